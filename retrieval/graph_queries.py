"""Read queries retrieval needs that ``graph.queries`` does not provide (kept here so there is one of each).

- ``group_members``: theme / bundle id -> the matter ids it includes (a life event mentioned in a question
  points at its matters; themes that include a bundle point at the bundle's matters too).
- ``graph_corpus_version``: the corpus version the graph was ingested from (the ``Meta`` node written by
  ``corpus.ingest``), which the vector index manifest must match.
"""

from __future__ import annotations

from graph.base import GraphStore

GROUP_MEMBERS = """
MATCH (g)-[:INCLUDES]->(m:Matter) WHERE g:Theme OR g:Bundle
RETURN g.id AS id, collect(m.id) AS matters
"""
THEME_BUNDLE_MEMBERS = """
MATCH (t:Theme)-[:INCLUDES]->(:Bundle)-[:INCLUDES]->(m:Matter)
RETURN t.id AS id, collect(m.id) AS matters
"""
CORPUS_VERSION = "MATCH (n:Meta {id: $id}) RETURN n.corpus_version AS version"
META_ID = "meta.corpus"  # written by corpus.ingest


def group_members(store: GraphStore) -> dict[str, list[str]]:
    """Theme/bundle id -> sorted matter ids it includes (directly or through a bundle)."""
    out: dict[str, set[str]] = {}
    for row in store.query(GROUP_MEMBERS) + store.query(THEME_BUNDLE_MEMBERS):
        out.setdefault(row["id"], set()).update(row["matters"] or [])
    return {k: sorted(v) for k, v in sorted(out.items())}


def graph_corpus_version(store: GraphStore) -> str | None:
    """The corpus version recorded at ingest, or None for a graph not loaded by ``corpus.ingest``."""
    rows = store.query(CORPUS_VERSION, {"id": META_ID})
    return str(rows[0]["version"]) if rows and rows[0]["version"] else None
