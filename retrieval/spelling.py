"""Homophone spelling correction of a question against the catalogue's own vocabulary.

Citizens type with pinyin input methods and pick a wrong character of the right sound: 身份正, 公基金,
营业知照, 劳动仲栽. The pinyin BM25 channel matches such words by sound, but the embedding model sees a
different, often meaningless string and ranks the wrong matters. The corrector replaces a stretch of the
question that is not a catalogue word but sounds exactly like one (same toneless syllables) and differs
from it in at most ``max_changed`` characters, so the vector and word channels see the intended term.

Guards against rewriting correct text (each chosen on the dev questions, where sound-alike stretches
across word boundaries — 要去 -> 要取, 是五 -> 十五, 账上还 -> 账上海 — outnumbered real typos):

- a stretch that is a catalogue word or a word of the general dictionary is never rewritten;
- a target is a domain term (the user dictionary: matter names, aliases, colloquial phrases), or a
  general word used by at least ``min_count`` catalogue documents that is not much more common in general
  Chinese than in the catalogue (``max_ratio``: 认证, 档案, 申请 pass; 达到, 那里, 以下 do not);
- targets with numerals are never used (十五, 一份: numbers are facts the citizen typed).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

from retrieval.base import Document
from retrieval.bm25 import general_frequency, tokenize, user_words

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_CJK_ONLY = re.compile(r"^[\u3400-\u9fff]+$")
_NUMERALS = frozenset("零一二两三四五六七八九十百千万亿")


@lru_cache(maxsize=65536)
def _char_syllable(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(ch, style=Style.NORMAL)[0]


def _word_syllables(word: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(word, style=Style.NORMAL))


class HomophoneCorrector:
    """Maps sound-alike misspellings to catalogue words (see the module docstring)."""

    def __init__(
        self,
        *,
        general_freq: Callable[[str], int] = lambda w: 0,
        domain_words: Iterable[str] = (),
        min_len: int = 2,
        max_len: int = 5,
        max_changed: int = 1,
        min_count: int = 3,
        max_ratio: float = 100.0,
    ) -> None:
        self.general_freq = general_freq  # frequency in a general-language dictionary (0 = unknown)
        self.domain_words = set(domain_words)
        self.min_len = min_len
        self.max_len = max_len
        self.max_changed = max_changed
        self.min_count = min_count
        self.max_ratio = max_ratio
        self._count: Counter[str] = Counter()  # word -> how many documents use it
        self._by_sound: dict[tuple[str, ...], list[str]] = {}

    def __len__(self) -> int:
        return len(self._count)

    def add_words(self, words: Iterable[str]) -> None:
        """Count catalogue words (call once per document with its distinct words)."""
        for w in words:
            if self.min_len <= len(w) <= self.max_len and _CJK_ONLY.match(w):
                if w not in self._count:
                    # Keyed by the word's own pinyin (多音字 in context: 银行 -> yin hang) and by the
                    # characters' default readings, which is how a question's stretch is read.
                    for key in {_word_syllables(w), tuple(_char_syllable(c) for c in w)}:
                        self._by_sound.setdefault(key, []).append(w)
                self._count[w] += 1

    def add_domain_words(self, words: Iterable[str]) -> None:
        """Terms that are always acceptable targets (matter names, aliases, colloquial phrases)."""
        self.domain_words.update(words)

    def _acceptable(self, word: str) -> bool:
        if word in self.domain_words:
            return True
        if any(c in _NUMERALS for c in word):
            return False
        freq, count = self.general_freq(word), self._count[word]
        return freq > 0 and count >= self.min_count and freq <= self.max_ratio * count

    def _target(self, stretch: str, sounds: tuple[str, ...]) -> str | None:
        if self.general_freq(stretch) > 0:
            return None  # a real word, just not one the catalogue uses
        best: str | None = None
        for cand in self._by_sound.get(sounds, ()):
            if not self._acceptable(cand):
                continue
            changed = sum(1 for a, b in zip(stretch, cand, strict=True) if a != b)
            # A one-character word swap ("年间" -> "年检") is only trusted when the rest agrees.
            if 0 < changed <= self.max_changed and changed < len(stretch):
                if best is None or self._count[cand] > self._count[best]:
                    best = cand
        return best

    def correct(self, text: str) -> str:
        """``text`` with sound-alike non-catalogue stretches replaced by catalogue words (longest first)."""
        if not self._count:
            return text
        return _CJK_RUN.sub(lambda m: self._correct_run(m.group(0)), text)

    def _correct_run(self, run: str) -> str:
        sounds = tuple(_char_syllable(c) for c in run)
        out = list(run)
        taken = [False] * len(run)
        for length in range(min(self.max_len, len(run)), self.min_len - 1, -1):
            for i in range(len(run) - length + 1):
                if any(taken[i : i + length]):
                    continue
                stretch = run[i : i + length]
                if stretch in self._count:
                    # Already a catalogue word: protect it from shorter rewrites.
                    for j in range(i, i + length):
                        taken[j] = True
                    continue
                target = self._target(stretch, sounds[i : i + length])
                if target is not None:
                    out[i : i + length] = list(target)
                    for j in range(i, i + length):
                        taken[j] = True
        return "".join(out)


def catalogue_corrector(docs: Iterable[Document]) -> HomophoneCorrector:
    """A corrector over the words of matter and policy texts (FAQ questions are left out: some are
    written with typos on purpose), with jieba's dictionary as the general language and the domain user
    dictionary as always-acceptable targets."""
    corrector = HomophoneCorrector(general_freq=general_frequency)
    add_documents(corrector, docs)
    return corrector


def add_documents(corrector: HomophoneCorrector, docs: Iterable[Document]) -> None:
    """Count the words of (non-FAQ) documents and refresh the domain terms (after a curator edit)."""
    for d in docs:
        if d.kind != "faq":
            corrector.add_words(set(tokenize(d.text, chars=False)))
    corrector.add_domain_words(user_words())
