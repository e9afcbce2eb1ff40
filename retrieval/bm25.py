"""BM25 over jieba tokens, with a domain user dictionary of matter names and aliases.

jieba's default dictionary splits official terms ("护士执业延续注册" -> 护士/执业/延续/注册) and glues
colloquial ones unpredictably; adding every matter name, alias and colloquial phrase as a user word makes
both sides of a match tokenise alike. Search-mode cutting (``cut_for_search``) also emits the sub-words of a
long term, so "营业执照" still matches "执照". Single CJK characters are added as extra tokens: colloquial
queries often share only characters with the official text ("生娃" vs "出生").

The inverted index is kept per document, so a curator edit is an O(document) add/remove (no rebuild).
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

from retrieval.base import Document, Hit

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[\w\u3400-\u9fff]+")
# Function words and question fillers that carry no information about which matter is meant.
STOPWORDS = frozenset(
    "的 了 吗 呢 啊 吧 呀 么 嘛 哦 哈 我 你 他 她 们 我们 你们 要 想 请问 请 问 一下 "
    "怎么 怎样 如何 什么 啥 哪 哪里 哪儿 办 办理 去 在 是 有 和 与 及 或 个 这 那 "
    "这个 那个 能 能不能 可以 可不可以 需要 该 应该 得 都 也 还 就 "
    "吗 么 呐 咋 咋办 怎么办 一个 给 把 被 让 到 从 对 为 以 及其 等 之".split()
)
_jieba_lock = threading.Lock()
_jieba_words: set[str] = set()


def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def add_user_words(words: Iterable[str]) -> int:
    """Add domain terms to jieba's dictionary (process-wide, idempotent); returns how many were new."""
    jieba = _jieba()
    new = 0
    with _jieba_lock:
        for w in words:
            w = w.strip()
            if len(w) >= 2 and w not in _jieba_words and " " not in w:
                jieba.add_word(w, freq=20000)  # type: ignore[attr-defined]
                _jieba_words.add(w)
                new += 1
    return new


def user_dictionary(entries: Iterable[tuple[str, Sequence[str]]]) -> list[str]:
    """Dictionary words from (name, aliases) pairs: every name and alias, deduplicated, in order."""
    seen: dict[str, None] = {}
    for name, aliases in entries:
        for w in (name, *aliases):
            if w and len(w) >= 2:
                seen.setdefault(w.strip(), None)
    return list(seen)


def tokenize(text: str, *, chars: bool = True) -> list[str]:
    """jieba search-mode tokens without stop words, lowercased, plus single CJK characters."""
    jieba = _jieba()
    out: list[str] = []
    for chunk in _WORD.findall(text.lower()):
        for tok in jieba.cut_for_search(chunk):  # type: ignore[attr-defined]
            tok = tok.strip()
            if tok and tok not in STOPWORDS:
                out.append(tok)
        if chars:
            out.extend(f"#{c}" for c in chunk if _CJK.match(c) and c not in STOPWORDS)
    return out


class BM25Index:
    """Okapi BM25 with an incremental inverted index.

    ``tokenizer`` turns text into tokens (default: jieba words plus ``#``-prefixed characters); tokens
    starting with ``#`` are weighted by ``char_weight``.
    """

    def __init__(
        self,
        k1: float = 1.2,
        b: float = 0.75,
        char_weight: float = 0.3,
        tokenizer: Callable[[str], list[str]] = tokenize,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.tokenizer = tokenizer
        # Character tokens help recall but should not outvote whole words.
        self.char_weight = char_weight
        self._docs: dict[str, Document] = {}
        self._tf: dict[str, Counter[str]] = {}
        self._len: dict[str, int] = {}
        self._postings: dict[str, dict[str, int]] = defaultdict(dict)
        self._total_len = 0

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    def add(self, docs: Iterable[Document]) -> None:
        """Add or replace documents."""
        for doc in docs:
            if doc.id in self._docs:
                self.remove([doc.id])
            tf = Counter(self.tokenizer(doc.text))
            self._docs[doc.id] = doc
            self._tf[doc.id] = tf
            n = sum(tf.values())
            self._len[doc.id] = n
            self._total_len += n
            for tok, c in tf.items():
                self._postings[tok][doc.id] = c

    def remove(self, doc_ids: Iterable[str]) -> int:
        removed = 0
        for d in doc_ids:
            if d not in self._docs:
                continue
            for tok in self._tf.pop(d):
                posting = self._postings[tok]
                posting.pop(d, None)
                if not posting:
                    del self._postings[tok]
            self._total_len -= self._len.pop(d)
            del self._docs[d]
            removed += 1
        return removed

    def scores(self, query: str) -> dict[str, float]:
        """BM25 score of every document sharing a token with the query."""
        n = len(self._docs)
        if not n:
            return {}
        avgdl = self._total_len / n or 1.0
        acc: dict[str, float] = defaultdict(float)
        for tok, qtf in Counter(self.tokenizer(query)).items():
            posting = self._postings.get(tok)
            if not posting:
                continue
            idf = math.log(1.0 + (n - len(posting) + 0.5) / (len(posting) + 0.5))
            w = idf * (self.char_weight if tok.startswith("#") else 1.0) * min(qtf, 2)
            for d, tf in posting.items():
                norm = self.k1 * (1 - self.b + self.b * self._len[d] / avgdl)
                acc[d] += w * tf * (self.k1 + 1) / (tf + norm)
        return acc

    def search(self, query: str, k: int) -> list[Hit]:
        ranked = sorted(self.scores(query).items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [Hit(d, s, self._docs[d].kind, self._docs[d].matter_ids) for d, s in ranked]
