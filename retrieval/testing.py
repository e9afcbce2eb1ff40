"""Fakes shipped for other packages' tests: no model, deterministic, fast."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from retrieval.base import Document, Evidence, MatterHit

if TYPE_CHECKING:  # the retriever imports much more than the fakes need
    from retrieval.hybrid import HybridRetriever
    from retrieval.linking import EntityLinker


class FakeEmbedder:
    """Hash-seeded character-bigram embedder: texts sharing characters get similar vectors.

    Deterministic across processes (sha1, not ``hash``), so saved indexes stay valid in tests.
    """

    def __init__(self, dim: int = 64, name: str = "fake-bigram") -> None:
        self.dim = dim
        self.name = name
        self.calls: list[tuple[str, int]] = []  # ("query" | "passage", batch size)

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        t = f"^{text}$"
        for i in range(len(t) - 1):
            h = hashlib.sha1(t[i : i + 2].encode()).digest()
            v[int.from_bytes(h[:4], "little") % self.dim] += 1.0 if h[4] & 1 else -1.0
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(("query", len(texts)))
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(("passage", len(texts)))
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


class FakeExpander:
    """Evidence with only the matter id, name and score; records what it was asked."""

    def __init__(self) -> None:
        self.requests: list[list[str]] = []

    def expand(self, hits: Sequence[MatterHit], matched: dict[str, list[Document]]) -> list[Evidence]:
        self.requests.append([h.matter_id for h in hits])
        return [
            Evidence(matter_id=h.matter_id, name=h.name, score=h.score, matched=matched.get(h.matter_id, []))
            for h in hits
        ]


def fake_retriever(docs: Sequence[Document], linker: EntityLinker | None = None) -> HybridRetriever:
    """A ``HybridRetriever`` over ``docs`` with a ``FakeEmbedder`` and an exact FAISS index."""
    from retrieval.hybrid import HybridRetriever
    from retrieval.vector_index import FaissVectorIndex

    emb = FakeEmbedder()
    index = FaissVectorIndex.build([d.id for d in docs], emb.embed_passages([d.text for d in docs]))
    return HybridRetriever(emb, index, docs, linker=linker)
