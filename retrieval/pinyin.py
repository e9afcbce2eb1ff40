"""Pinyin channel: BM25 over toneless pinyin, so homophone typos (社宝卡, 身分证, 公积金提区) still match.

Citizens type with pinyin input methods and pick the wrong character of the right sound; word-level BM25
then sees an unknown word. Two kinds of tokens make the sound match:

- the toneless pinyin of each jieba search-mode token ("社宝卡" -> "shebaoka" = pinyin of "社保卡"), which
  works when jieba keeps the misspelt word whole;
- ``#``-prefixed syllable bigrams of each text chunk ("办退修" -> "#ban_tui", "#tui_xiu" shares "#tui_xiu"
  with "退休"), which survive jieba splitting a misspelling differently; they get ``BM25Index.char_weight``
  so they add recall without outvoting whole words.
"""

from __future__ import annotations

from functools import lru_cache

from retrieval.bm25 import _CJK, _WORD, BM25Index, tokenize


@lru_cache(maxsize=65536)
def _syllables(text: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(text, style=Style.NORMAL))


def pinyin_tokenize(text: str) -> list[str]:
    """Toneless pinyin of the jieba tokens (stop words dropped) plus ``#``-prefixed syllable bigrams."""
    out = ["".join(_syllables(tok)) for tok in tokenize(text, chars=False)]
    for chunk in _WORD.findall(text.lower()):
        if _CJK.search(chunk):
            syl = _syllables(chunk)
            out.extend(f"#{a}_{b}" for a, b in zip(syl, syl[1:], strict=False))
    return out


def pinyin_index() -> BM25Index:
    """An empty BM25 index over pinyin tokens."""
    return BM25Index(tokenizer=pinyin_tokenize)
