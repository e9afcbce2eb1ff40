"""Backend-neutral backup: the whole graph as JSON Lines (moves data between FalkorDB and Neo4j too).

Line format, nodes first (sorted by label, id), then relationships (sorted by type, endpoints, props)::

    {"kind": "node", "label": "Matter", "props": {...}}
    {"kind": "rel", "type": "REQUIRES", "from": ["Matter", "matter.x"],
     "to": ["Material", "mat.y"], "props": {...}}

Keys are sorted and non-ASCII is kept as is, so export -> import -> export is byte-identical.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from graph.base import GraphStore, WriteSummary, batched
from graph.errors import GraphError, QueryError
from graph.writer import check_label, check_rel, clean_props, upsert_nodes

EXPORT_NODES = "MATCH (n) RETURN labels(n)[0] AS label, properties(n) AS props"
EXPORT_RELS = """
MATCH (a)-[r]->(b)
RETURN type(r) AS type, labels(a)[0] AS from_label, a.id AS from_id, labels(b)[0] AS to_label, b.id AS to_id,
  properties(r) AS props
"""


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def export_graph(store: GraphStore, path: Path) -> tuple[int, int]:
    """Write every node and relationship to ``path`` (JSON Lines, stable order).

    Returns:
        (node count, relationship count).
    """
    nodes = [{"kind": "node", "label": r["label"], "props": r["props"]} for r in store.query(EXPORT_NODES)]
    nodes.sort(key=lambda n: (n["label"], str(n["props"].get("id", "")), _dumps(n)))
    rels = [
        {
            "kind": "rel",
            "type": r["type"],
            "from": [r["from_label"], r["from_id"]],
            "to": [r["to_label"], r["to_id"]],
            "props": r["props"],
        }
        for r in store.query(EXPORT_RELS)
    ]
    rels.sort(key=_dumps)
    lines = [_dumps(item) for item in (*nodes, *rels)]
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(nodes), len(rels)


def import_graph(
    store: GraphStore, path: Path, *, clear: bool = False, batch_size: int = 500
) -> WriteSummary:
    """Load a file written by ``export_graph`` in one ``atomic()`` block.

    Args:
        clear: Delete the current graph first (inside the same atomic block). Without it the graph
            must be empty.

    Raises:
        GraphError: the graph is not empty and ``clear`` is False.
        QueryError: a line is malformed or names a label/relationship outside ``graph.schema``.
    """
    nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rels: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if item["kind"] == "node":
                check_label(item["label"])
                nodes[item["label"]].append(item["props"])
            elif item["kind"] == "rel":
                (from_label, from_id), (to_label, to_id) = item["from"], item["to"]
                check_rel(item["type"], from_label, to_label)
                props = clean_props(item["props"], f"line {lineno}", require_id=False)
                rels[(item["type"], from_label, to_label)].append(
                    {"from": from_id, "to": to_id, "props": props}
                )
            else:
                raise QueryError(f"unknown kind {item['kind']!r}")
        except (ValueError, KeyError, TypeError) as e:
            raise QueryError(f"{path}:{lineno}: not a graph backup line: {e}") from e
        except QueryError as e:
            raise QueryError(f"{path}:{lineno}: {e}") from e
    summary = WriteSummary()
    with store.atomic():
        if clear:
            store.clear()
        elif any(store.stats().nodes.values()):
            raise GraphError("import_graph needs an empty graph (pass clear=True to replace it)")
        for label, rows in sorted(nodes.items()):
            summary += upsert_nodes(store, label, rows, batch_size)
        for (rel_type, from_label, to_label), rows in sorted(rels.items()):
            cypher = (
                f"UNWIND $rows AS row MATCH (a:{from_label} {{id: row.from}}) "
                f"MATCH (b:{to_label} {{id: row.to}}) "
                f"CREATE (a)-[r:{rel_type}]->(b) SET r = row.props"
            )
            for batch in batched(rows, batch_size):
                summary += store.write(cypher, {"rows": batch})
        expected = sum(len(rows) for rows in rels.values())
        if summary.relationships_created != expected:  # MATCH skips rows whose endpoints are missing
            raise QueryError(
                f"{path}: created {summary.relationships_created} of {expected} relationships "
                "(some endpoint nodes are missing from the file)"
            )
    return summary
