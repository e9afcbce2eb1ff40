"""GovGuide hybrid retrieval: e5 embeddings + FAISS, BM25 over jieba, entity linking, fusion, out-of-scope
detection and graph expansion to cited evidence.

Build it from a graph with ``RetrievalService.from_graph(store, settings)``; tests use the fakes in
``retrieval.testing``. Errors derive from ``RetrievalError`` (tree in ``retrieval.errors``).
"""

from retrieval.base import (
    Citation,
    Document,
    Embedder,
    EntityLink,
    Evidence,
    Hit,
    MatterHit,
    RetrievalResult,
    Retriever,
    VectorIndex,
)
from retrieval.errors import (
    IndexVersionMismatch,
    ModelBuildError,
    RetrievalError,
    UnknownRecordError,
    VectorIndexError,
)

__all__ = [
    "Citation",
    "Document",
    "Embedder",
    "EntityLink",
    "Evidence",
    "Hit",
    "IndexVersionMismatch",
    "MatterHit",
    "ModelBuildError",
    "RetrievalError",
    "RetrievalResult",
    "Retriever",
    "UnknownRecordError",
    "VectorIndex",
    "VectorIndexError",
]
