"""The GraphStore interface every backend implements (embedded FalkorDB, Neo4j 5).

Queries are parameterised Cypher written once in the subset both backends accept: match on the business
``id``, ISO-string dates, return maps and scalars, never node objects. Anything a backend does differently
(DDL, constraints, full-text/vector procedures, atomic batches) lives in its ``Dialect``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Row = dict[str, Any]


@dataclass(frozen=True)
class WriteSummary:
    """What one write statement changed (counters both backends report)."""

    nodes_created: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0

    def __add__(self, other: WriteSummary) -> WriteSummary:
        return WriteSummary(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, int, int, int, int]:
        return (
            self.nodes_created,
            self.nodes_deleted,
            self.relationships_created,
            self.relationships_deleted,
            self.properties_set,
        )


@dataclass
class GraphStats:
    """Counts per node label and relationship type."""

    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class GraphStore(Protocol):
    """A Cypher graph database holding the GovGuide knowledge graph."""

    backend: str  # "embedded" | "neo4j"

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run one read statement; rows are dicts of plain Python values (str, int, float, list, dict)."""
        ...

    def write(self, cypher: str, params: Mapping[str, Any] | None = None) -> WriteSummary:
        """Run one write statement atomically and report what it changed."""
        ...

    def atomic(self) -> AbstractContextManager[None]:
        """All writes inside the block land together or not at all.

        Neo4j: one transaction. Embedded FalkorDB (no multi-statement transactions): the graph is
        snapshotted on entry and restored if the block raises.
        """
        ...

    def ensure_schema(self) -> None:
        """Create the uniqueness constraints and indexes of ``graph.schema`` (idempotent)."""
        ...

    def stats(self) -> GraphStats: ...

    def clear(self) -> None:
        """Delete every node and relationship (indexes stay)."""
        ...

    def health(self) -> bool:
        """True when the database answers a trivial query."""
        ...

    def close(self) -> None: ...


def batched(rows: list[Row], size: int) -> Iterator[list[Row]]:
    """Split rows into UNWIND-sized batches."""
    for i in range(0, len(rows), size):
        yield rows[i : i + size]
