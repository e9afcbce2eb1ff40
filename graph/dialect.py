"""What differs between the graph backends, and nothing else.

Shared queries (``graph.queries``, ``graph.writer``, ``graph.backup``) are written once in the Cypher
subset both backends accept; they never branch on the backend. The differences live here:

* DDL: Neo4j has ``IF NOT EXISTS`` and Cypher constraints; FalkorDB has neither (indexes are created and
  "already indexed" is ignored; uniqueness is the ``GRAPH.CONSTRAINT CREATE`` command), and its
  full-text language is per label, so the full-text index must come before the label's range indexes.
* Full-text search: ``db.index.fulltext.queryNodes(indexName, lucene)`` (Neo4j, ``cjk`` analyzer) vs
  ``db.idx.fulltext.queryNodes(label, query)`` (FalkorDB/RediSearch, ``chinese`` language).
* Atomic batches: one Neo4j transaction vs a FalkorDB snapshot of the graph key restored on error.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from graph.schema import NODES, NodeSpec

AtomicStrategy = Literal["transaction", "snapshot"]

# Lucene and RediSearch both treat these as operators; a citizen's question must be searched literally.
_FULLTEXT_SPECIAL = re.compile(r'[+\-&|!(){}\[\]^"~*?:\\/@<>=%$;,.\'`#，。？！、；：“”‘’（）《》]')


@dataclass(frozen=True)
class SchemaStatement:
    """One schema step: a Cypher statement, or (FalkorDB constraints) a raw server command."""

    cypher: str = ""
    command: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class Dialect:
    """The per-backend differences. Build with ``dialect_for(backend)``."""

    name: Literal["embedded", "neo4j"]
    atomic: AtomicStrategy

    # ------------------------------------------------------------------ DDL
    def schema_statements(
        self, graph_name: str, nodes: tuple[NodeSpec, ...] = NODES
    ) -> list[SchemaStatement]:
        """Statements creating the constraints and indexes for ``nodes`` in execution order."""
        out: list[SchemaStatement] = []
        if self.name == "neo4j":
            for spec in nodes:
                out.append(
                    SchemaStatement(
                        f"CREATE CONSTRAINT {_name('uniq', spec.label, 'id')} IF NOT EXISTS "
                        f"FOR (n:{spec.label}) REQUIRE n.id IS UNIQUE"
                    )
                )
                for prop in spec.indexed:
                    out.append(
                        SchemaStatement(
                            f"CREATE INDEX {_name('idx', spec.label, prop)} IF NOT EXISTS "
                            f"FOR (n:{spec.label}) ON (n.{prop})"
                        )
                    )
                if spec.fulltext:
                    props = ", ".join(f"n.{p}" for p in spec.fulltext)
                    out.append(
                        SchemaStatement(
                            f"CREATE FULLTEXT INDEX {self.fulltext_index(spec.label)} IF NOT EXISTS "
                            f"FOR (n:{spec.label}) ON EACH [{props}] "
                            "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}"
                        )
                    )
            return out
        # FalkorDB: the full-text language is a per-label index option that cannot be changed once the
        # label has any index, so full-text first, then range indexes, then constraints (need the index).
        for spec in nodes:
            for prop in spec.fulltext:
                out.append(
                    SchemaStatement(
                        "CALL db.idx.fulltext.createNodeIndex("
                        f"{{label: '{spec.label}', language: 'chinese'}}, '{prop}')"
                    )
                )
        for spec in nodes:
            for prop in ("id", *spec.indexed):
                out.append(SchemaStatement(f"CREATE INDEX FOR (n:{spec.label}) ON (n.{prop})"))
        for spec in nodes:
            out.append(
                SchemaStatement(
                    command=(
                        "GRAPH.CONSTRAINT",
                        "CREATE",
                        graph_name,
                        "UNIQUE",
                        "NODE",
                        spec.label,
                        "PROPERTIES",
                        1,
                        "id",
                    )
                )
            )
        return out

    def is_benign_schema_error(self, message: str) -> bool:
        """True for errors meaning "this index/constraint already exists" (no IF NOT EXISTS)."""
        lowered = message.lower()
        return "already indexed" in lowered or "already exists" in lowered

    # ------------------------------------------------------------------ full-text
    def fulltext_index(self, label: str) -> str:
        """Index name used by Neo4j (FalkorDB addresses full-text indexes by label)."""
        return _name("ft", label, "text")

    def fulltext_query(self) -> str:
        """Statement with params ``$index``, ``$text``, ``$limit``; yields ``id``, ``label``, ``score``."""
        proc = "db.index.fulltext.queryNodes" if self.name == "neo4j" else "db.idx.fulltext.queryNodes"
        return (
            f"CALL {proc}($index, $text) YIELD node, score "
            "RETURN node.id AS id, labels(node)[0] AS label, score ORDER BY score DESC LIMIT $limit"
        )

    def fulltext_index_arg(self, label: str) -> str:
        """The ``$index`` argument: an index name (Neo4j) or the label itself (FalkorDB)."""
        return self.fulltext_index(label) if self.name == "neo4j" else label

    def fulltext_text(self, text: str) -> str:
        """Make free text safe for the backend's query syntax (operators removed, terms OR-ed).

        Neo4j's ``cjk`` analyzer also analyses the query, so whitespace terms suffice. FalkorDB indexes
        Chinese with its own word segmenter but matches query terms as given: "户口迁移" misses a node
        indexed as 户口 + 迁移, so the query is segmented here (jieba's search mode) and the words OR-ed
        as prefixes.
        """
        terms = _FULLTEXT_SPECIAL.sub(" ", text).split()
        if self.name == "neo4j":
            return " OR ".join(terms)
        words: list[str] = []
        for term in terms:
            words.append(term)
            words.extend(w for w in _segment(term) if len(w) > 1 and w != term)
        # Prefix match too: the index may hold a longer word (结婚 -> 结婚登记); RediSearch needs >= 2 chars.
        return " | ".join(f"{w}*" if len(w) > 1 else w for w in dict.fromkeys(words))


def _segment(term: str) -> list[str]:
    if term.isascii():
        return [term]
    import jieba  # lazy: ~1 s to load its dictionary, needed only for embedded full-text queries

    jieba.setLogLevel(logging.WARNING)
    return [w.strip() for w in jieba.cut_for_search(term) if w.strip()]


def _name(kind: str, label: str, prop: str) -> str:
    return f"{kind}_{label.lower()}_{prop.lower()}"


EMBEDDED = Dialect(name="embedded", atomic="snapshot")
NEO4J = Dialect(name="neo4j", atomic="transaction")


def dialect_for(backend: str) -> Dialect:
    """The dialect of a store's ``backend`` ("embedded" or "neo4j")."""
    match backend:
        case "embedded":
            return EMBEDDED
        case "neo4j":
            return NEO4J
        case _:
            raise ValueError(f"unknown graph backend {backend!r}")
