"""Idempotent batch writes used by the corpus ingest (same Cypher on both backends).

Labels and relationship types cannot be Cypher parameters, so they are checked against
``graph.schema`` before being formatted into a statement. Property values must be what both
backends can store: primitives or lists of primitives (no maps, no None inside lists).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from graph.base import GraphStore, Row, WriteSummary, batched
from graph.errors import QueryError
from graph.schema import LABELS, RELATIONSHIPS

_PRIMITIVES = (str, bool, int, float)
# Joins (from id, to id) into one comparable key; ids never contain control characters.
_KEY_SEP = "\u001f"


def upsert_nodes(
    store: GraphStore, label: str, rows: list[dict[str, Any]], batch_size: int = 500
) -> WriteSummary:
    """MERGE nodes by ``id`` and replace all their properties (``SET n = row``).

    A property missing from a row is removed from the node, and a second run with the same rows creates
    nothing. Rows whose value is None drop that key (None means "no such property").

    Raises:
        QueryError: unknown label, a row without ``id``, or a value the graph cannot store.
    """
    check_label(label)
    clean = [clean_props(row, f"{label} row", require_id=True) for row in rows]
    cypher = f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n = row"
    return _run_batches(store, cypher, clean, batch_size)


def replace_relationships(
    store: GraphStore,
    rel_type: str,
    from_label: str,
    to_label: str,
    rows: list[dict[str, Any]],
    owners: list[str],
    batch_size: int = 500,
) -> WriteSummary:
    """Make the owners' outgoing ``rel_type`` relationships to ``to_label`` exactly ``rows``.

    Args:
        rows: ``{"from": id, "to": id, "props": {...}}``; each is MERGEd and gets ``SET r = props``.
        owners: From-node ids whose relationships this call is authoritative for: any of their
            ``rel_type`` relationships to ``to_label`` not in ``rows`` is deleted.

    Raises:
        QueryError: unknown type/labels, a pair not allowed by the schema, a row whose from-id is not an
            owner, a bad property value, or an endpoint node that does not exist.
    """
    check_rel(rel_type, from_label, to_label)
    owner_set = set(owners)
    clean: list[Row] = []
    for i, row in enumerate(rows):
        if not isinstance(row.get("from"), str) or not isinstance(row.get("to"), str):
            raise QueryError(f"{rel_type} row {i} needs string 'from' and 'to' ids: {row!r}")
        if row["from"] not in owner_set:
            raise QueryError(f"{rel_type} row {i}: from-node {row['from']!r} is not among the owners")
        props = clean_props(row.get("props") or {}, f"{rel_type} row {i} props", require_id=False)
        clean.append({"from": row["from"], "to": row["to"], "props": props})
    keep = sorted({f"{r['from']}{_KEY_SEP}{r['to']}" for r in clean})
    delete = (
        f"MATCH (a:{from_label})-[r:{rel_type}]->(b:{to_label}) "
        f"WHERE a.id IN $owners AND NOT (a.id + $sep + b.id) IN $keep DELETE r"
    )
    summary = WriteSummary()
    for owner_batch in _chunks(sorted(owner_set), batch_size):
        summary += store.write(delete, {"owners": owner_batch, "keep": keep, "sep": _KEY_SEP})
    merge = (
        f"UNWIND $rows AS row MATCH (a:{from_label} {{id: row.from}}) MATCH (b:{to_label} {{id: row.to}}) "
        f"MERGE (a)-[r:{rel_type}]->(b) SET r = row.props"
    )
    for batch in batched(clean, batch_size):
        summary += store.write(merge, {"rows": batch})
    missing = _missing_endpoints(store, from_label, to_label, clean)
    if missing:
        raise QueryError(
            f"{rel_type}: endpoint nodes do not exist: {missing[:10]}"
            + (f" (+{len(missing) - 10} more)" if len(missing) > 10 else "")
        )
    return summary


def delete_missing(store: GraphStore, label: str, keep_ids: list[str]) -> WriteSummary:
    """DETACH DELETE every ``label`` node whose id is not in ``keep_ids``."""
    check_label(label)
    return store.write(f"MATCH (n:{label}) WHERE NOT n.id IN $keep DETACH DELETE n", {"keep": list(keep_ids)})


# ---------------------------------------------------------------------- helpers
def _run_batches(store: GraphStore, cypher: str, rows: list[Row], batch_size: int) -> WriteSummary:
    summary = WriteSummary()
    for batch in batched(rows, batch_size):
        summary += store.write(cypher, {"rows": batch})
    return summary


def _missing_endpoints(store: GraphStore, from_label: str, to_label: str, rows: list[Row]) -> list[str]:
    # MATCH silently skips rows whose endpoints are absent; a silent gap in the graph is worse than an error.
    from_ids = sorted({r["from"] for r in rows})
    to_ids = sorted({r["to"] for r in rows})
    found_from = _existing_ids(store, from_label, from_ids)
    found_to = _existing_ids(store, to_label, to_ids)
    return [f"{from_label}:{i}" for i in from_ids if i not in found_from] + [
        f"{to_label}:{i}" for i in to_ids if i not in found_to
    ]


def _existing_ids(store: GraphStore, label: str, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    rows = store.query(f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id", {"ids": ids})
    return {r["id"] for r in rows}


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def check_label(label: str) -> None:
    if label not in LABELS:
        raise QueryError(f"unknown node label {label!r}; expected one of {', '.join(LABELS)}")


def check_rel(rel_type: str, from_label: str, to_label: str) -> None:
    if rel_type not in RELATIONSHIPS:
        raise QueryError(
            f"unknown relationship type {rel_type!r}; expected one of {', '.join(RELATIONSHIPS)}"
        )
    if (from_label, to_label) not in RELATIONSHIPS[rel_type]:
        allowed = ", ".join(f"{a}->{b}" for a, b in RELATIONSHIPS[rel_type])
        raise QueryError(f"{rel_type} does not connect {from_label}->{to_label} (allowed: {allowed})")


def clean_props(row: dict[str, Any], what: str, *, require_id: bool) -> Row:
    """Validate one property map; None values are dropped (a missing property)."""
    if require_id and not (isinstance(row.get("id"), str) and row["id"]):
        raise QueryError(f"{what} needs a non-empty string 'id': {row!r}")
    out: Row = {}
    for key, value in row.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise QueryError(f"{what}: property name {key!r} must be an identifier")
        if value is None:
            continue
        if isinstance(value, _PRIMITIVES):
            _check_number(value, what, key)
            out[key] = value
        elif isinstance(value, list | tuple):
            for item in value:
                if item is None or not isinstance(item, _PRIMITIVES):
                    raise QueryError(
                        f"{what} (id={row.get('id')!r}): property {key!r} must be a list of primitives, "
                        f"found {type(item).__name__} inside"
                    )
                _check_number(item, what, key)
            out[key] = list(value)
        else:
            raise QueryError(
                f"{what} (id={row.get('id')!r}): property {key!r} has type {type(value).__name__}; graph "
                "properties must be primitives or lists of primitives (encode maps, e.g. schema.encode_when)"
            )
    return out


def _check_number(value: Any, what: str, key: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise QueryError(f"{what}: property {key!r} is {value}, which cannot be stored")
