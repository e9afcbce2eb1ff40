"""Retrieval interfaces (Protocols) and the models they exchange.

A ``Document`` is one searchable record (a matter, an FAQ or a policy). Every backend ranks documents;
the hybrid retriever turns document hits into a ranking of *matters* (an FAQ or a policy counts for the
matters it is about), then expands the top matters into ``Evidence`` with citations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

DocKind = Literal["matter", "faq", "policy"]
DOC_KINDS: tuple[DocKind, ...] = ("matter", "faq", "policy")


@dataclass(frozen=True)
class Document:
    """One searchable record.

    Attributes:
        id: the record's business id (unique across kinds: FAQ ids start with ``faq.``, policies ``policy.``).
        kind: matter, faq or policy.
        text: what the vector index embeds and BM25 tokenises.
        matter_ids: the matters this document resolves to (a matter document: itself).
        title: short display label (matter name, FAQ question, policy title).
        source: corpus citation, ``file.yaml#index``.
    """

    id: str
    kind: DocKind
    text: str
    matter_ids: tuple[str, ...]
    title: str = ""
    source: str = ""


@dataclass(frozen=True)
class Hit:
    """A document ranked by one backend (score is backend-specific: cosine, BM25, link strength)."""

    doc_id: str
    score: float
    kind: DocKind = "matter"
    matter_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntityLink:
    """A catalogue entity mentioned in the query.

    ``kind`` is matter | department | window | theme | bundle | location; ``method`` exact | alias | fuzzy |
    pattern; ``score`` in [0, 1].
    """

    kind: str
    id: str
    name: str
    surface: str
    method: str
    score: float


@dataclass(frozen=True)
class Citation:
    """Where a fact comes from: a graph node id and its corpus source record."""

    node_id: str
    label: str
    source: str


@dataclass
class MatterHit:
    """One matter in the fused ranking, with which systems found it and through which documents."""

    matter_id: str
    score: float
    name: str = ""
    via: dict[str, str] = field(default_factory=dict)  # system -> document id that ranked it best


@dataclass
class Evidence:
    """A matter expanded through the graph: what the dialogue may state, each fact citable."""

    matter_id: str
    name: str
    score: float
    department: dict[str, Any] | None = None
    windows: list[dict[str, Any]] = field(default_factory=list)  # each with its location
    materials: list[dict[str, Any]] = field(default_factory=list)
    situations: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # time limits, fee, online level, phone ...
    matched: list[Document] = field(default_factory=list)  # the FAQs / policies / matter text that matched
    citations: list[Citation] = field(default_factory=list)


@dataclass
class RetrievalResult:
    """What ``HybridRetriever.search`` returns.

    ``out_of_scope`` is True when the calibrated in-scope probability ``confidence`` is below the threshold:
    the dialogue should say it does not know rather than present ``matters``.
    """

    query: str
    matters: list[MatterHit]
    out_of_scope: bool
    confidence: float
    links: list[EntityLink] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    notice: str = ""  # set for empty / truncated queries
    timings_ms: dict[str, float] = field(default_factory=dict)
    # the question as searched, when dialect normalisation or homophone correction changed it
    corrected: str = ""

    @property
    def matter_ids(self) -> list[str]:
        return [m.matter_id for m in self.matters]


@runtime_checkable
class Embedder(Protocol):
    """Text -> L2-normalised vectors; queries and passages may be embedded differently (e5 prefixes)."""

    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, rows L2-normalised."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, rows L2-normalised."""
        ...


@runtime_checkable
class VectorIndex(Protocol):
    """Inner-product search over vectors keyed by document id, editable one record at a time."""

    dim: int

    def upsert(self, doc_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add new ids, replace the vectors of existing ones."""
        ...

    def delete(self, doc_ids: Sequence[str]) -> int:
        """Remove ids (unknown ids are ignored); returns how many were removed."""
        ...

    def search(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """Top-k (doc id, score) per query row, best first."""
        ...

    def __len__(self) -> int: ...

    def __contains__(self, doc_id: object) -> bool: ...


@runtime_checkable
class Retriever(Protocol):
    """Ranks documents for a query."""

    def search(self, query: str, k: int) -> list[Hit]: ...
