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
from functools import lru_cache

import numpy as np

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


@lru_cache(maxsize=1)
def _jieba() -> object:
    # Once per process: setLogLevel clears logging's level cache (~1 ms) and tokenize runs per query.
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
        if new:
            _tokenize_cached.cache_clear()  # new words change how text splits
    return new


def user_words() -> frozenset[str]:
    """The domain words added with ``add_user_words`` so far."""
    with _jieba_lock:
        return frozenset(_jieba_words)


def general_frequency(word: str) -> int:
    """How common ``word`` is in jieba's dictionary (0 when it is not a word there)."""
    jieba = _jieba()
    dt = jieba.dt  # type: ignore[attr-defined]
    if not dt.initialized:
        dt.initialize()
    return int(dt.FREQ.get(word) or 0)


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
    # One question is tokenised three times per search (BM25, pinyin, coverage features): cache it.
    return list(_tokenize_cached(text, chars))


@lru_cache(maxsize=4096)
def _tokenize_cached(text: str, chars: bool) -> tuple[str, ...]:
    jieba = _jieba()
    out: list[str] = []
    for chunk in _WORD.findall(text.lower()):
        for tok in jieba.cut_for_search(chunk):  # type: ignore[attr-defined]
            tok = tok.strip()
            if tok and tok not in STOPWORDS:
                out.append(tok)
        if chars:
            out.extend(f"#{c}" for c in chunk if _CJK.match(c) and c not in STOPWORDS)
    return tuple(out)


class BM25Index:
    """Okapi BM25 with an incremental inverted index and vectorised scoring.

    ``tokenizer`` turns text into tokens (default: jieba words plus ``#``-prefixed characters); tokens
    starting with ``#`` are weighted by ``char_weight``.

    Edits update per-document postings (O(document)); the first query after an edit compiles them into
    per-token numpy arrays of saturated term frequencies, so a query is one ``bincount`` over the
    postings of its tokens instead of a Python loop over every (token, document) pair.
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
        self._compiled: _Compiled | None = None
        self._compile_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    def has_term(self, token: str) -> bool:
        """Whether any indexed document contains ``token``."""
        return token in self._postings

    def terms(self, doc_id: str) -> set[str]:
        """The distinct tokens of one document (empty when unknown)."""
        return set(self._tf.get(doc_id, ()))

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
            self._compiled = None

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
            self._compiled = None
        return removed

    def _compile(self) -> _Compiled:
        with self._compile_lock:
            compiled = self._compiled
            if compiled is not None:
                return compiled
            ids = sorted(self._docs)
            pos = {d: i for i, d in enumerate(ids)}
            n = len(ids)
            avgdl = (self._total_len / n if n else 0.0) or 1.0
            lengths = np.array([self._len[d] for d in ids], dtype=np.float64)
            norm = self.k1 * (1 - self.b + self.b * lengths / avgdl)
            postings: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
            for tok, posting in self._postings.items():
                idx = np.fromiter((pos[d] for d in posting), dtype=np.int64, count=len(posting))
                tf = np.fromiter(posting.values(), dtype=np.float64, count=len(posting))
                sat = tf * (self.k1 + 1) / (tf + norm[idx])
                idf = math.log(1.0 + (n - len(posting) + 0.5) / (len(posting) + 0.5))
                postings[tok] = (idx, sat, idf * (self.char_weight if tok.startswith("#") else 1.0))
            compiled = _Compiled(ids, postings)
            self._compiled = compiled
            return compiled

    def _dense(self, query: str) -> tuple[list[str], np.ndarray]:
        c = self._compiled or self._compile()
        idx: list[np.ndarray] = []
        val: list[np.ndarray] = []
        for tok, qtf in Counter(self.tokenizer(query)).items():
            p = c.postings.get(tok)
            if p is not None:
                idx.append(p[0])
                val.append(p[1] * (p[2] * min(qtf, 2)))
        if not idx:
            return c.ids, np.zeros(0)
        return c.ids, np.bincount(np.concatenate(idx), np.concatenate(val), minlength=len(c.ids))

    def scores(self, query: str) -> dict[str, float]:
        """BM25 score of every document sharing a token with the query."""
        if not self._docs:
            return {}
        ids, dense = self._dense(query)
        return {ids[i]: float(dense[i]) for i in np.flatnonzero(dense)}

    def search(self, query: str, k: int) -> list[Hit]:
        if not self._docs or k <= 0:
            return []
        ids, dense = self._dense(query)
        nz = np.flatnonzero(dense)
        if len(nz) > k:
            # keep every document tied with the k-th score so the id tie-break below stays exact
            kth = np.partition(dense[nz], len(nz) - k)[len(nz) - k]
            nz = nz[dense[nz] >= kth]
        ranked = sorted(((ids[i], float(dense[i])) for i in nz), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [Hit(d, s, self._docs[d].kind, self._docs[d].matter_ids) for d, s in ranked]


class _Compiled:
    """Per-token (document positions, saturated tf, idf x token weight), for one index state."""

    __slots__ = ("ids", "postings")

    def __init__(self, ids: list[str], postings: dict[str, tuple[np.ndarray, np.ndarray, float]]) -> None:
        self.ids = ids
        self.postings = postings
