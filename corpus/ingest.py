"""Load a validated corpus into the graph: idempotent (MERGE), batched (UNWIND), all-or-nothing.

The corpus is validated completely before the first write (``corpus.loader.load_corpus``); the writes then
run inside ``store.atomic()`` so a failure half-way leaves the graph as it was. Records removed from the
files are removed from the graph, so the graph always mirrors the corpus version it was loaded from.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corpus.loader import Corpus
from corpus.models import Location
from graph.base import GraphStore, Row, WriteSummary
from graph.schema import NODES, encode_when
from graph.writer import delete_missing, replace_relationships, upsert_nodes

META_ID = "meta.corpus"

Progress = Callable[[str, int], None]  # (step description, rows in step)


@dataclass
class GraphRows:
    """Everything to write: node rows per label and relationship rows per (type, from, to)."""

    nodes: dict[str, list[Row]] = field(default_factory=dict)
    # (rel_type, from_label, to_label) -> (rows, owner ids whose relationships of that kind are replaced)
    rels: dict[tuple[str, str, str], tuple[list[Row], list[str]]] = field(default_factory=dict)

    def add_rels(self, key: tuple[str, str, str], owners: list[str], rows: list[Row]) -> None:
        existing, owner_ids = self.rels.setdefault(key, ([], []))
        existing.extend(rows)
        owner_ids.extend(owners)


@dataclass
class IngestReport:
    corpus_version: str
    nodes: dict[str, int]
    relationships: dict[str, int]
    changes: WriteSummary
    seconds: float


def _clean(d: dict[str, Any]) -> Row:
    """Graph properties: drop None (absent) values; keep primitives and lists of primitives."""
    return {k: v for k, v in d.items() if v is not None}


def _distance(a: Location, b: Location) -> float:
    return round(math.hypot(a.x - b.x, a.y - b.y), 2)


def corpus_rows(c: Corpus) -> GraphRows:
    """Map corpus records to graph rows (pure; no I/O)."""
    g = GraphRows()
    src = c.sources
    g.nodes["Department"] = [_clean({**d.model_dump(), "source": src[d.id]}) for d in c.departments]
    locations = {loc.id: loc for loc in (c.lobby.locations if c.lobby else [])}
    g.nodes["Location"] = [_clean({**loc.model_dump(), "source": src[loc.id]}) for loc in locations.values()]
    g.nodes["Window"] = [
        _clean(
            {
                "id": w.id,
                "name": w.name,
                "description": w.description,
                "hours": w.hours,
                "floor": locations[w.location].floor,
                "source": "windows.yaml#" + str(i),
            }
        )
        for i, w in enumerate(c.windows)
    ]
    g.nodes["Material"] = [_clean({**m.model_dump(), "source": src[m.id]}) for m in c.materials]
    g.nodes["Situation"] = [
        _clean(
            {
                "id": s.id,
                "question": s.question,
                "options": [o.value for o in s.options],
                "option_labels": [o.label for o in s.options],
                "profile_key": s.profile_key,
                "source": src[s.id],
            }
        )
        for s in c.situations
    ]
    g.nodes["Theme"] = [_clean({**t.model_dump(), "source": src[t.id]}) for t in c.themes]
    g.nodes["Form"] = [
        _clean({"id": f.id, "name": f.name, "description": f.description, "source": src[f.id]})
        for f in c.forms
    ]
    g.nodes["FormField"] = [
        _clean(
            {
                **fld.model_dump(),
                "id": f"{f.id}.{fld.id}",
                "form_id": f.id,
                "field_id": fld.id,
                "source": src[f.id],
            }
        )
        for f in c.forms
        for fld in f.fields
    ]
    # The Matter properties the graph schema declares (source is set from the loader's positions).
    matter_props = [k for k in next(n.properties for n in NODES if n.label == "Matter") if k != "source"]
    g.nodes["Matter"] = [
        _clean({**{k: getattr(m, k) for k in matter_props}, "source": src[m.id]}) for m in c.matters
    ]
    g.nodes["Bundle"] = [
        _clean(
            {
                "id": b.id,
                "name": b.name,
                "aliases": b.aliases,
                "description": b.description,
                "promised_limit_days": b.promised_limit_days,
                "source": src[b.id],
            }
        )
        for b in c.bundles
    ]
    g.nodes["FAQ"] = [
        _clean(
            {"id": f.id, "question": f.question, "answer": f.answer, "style": f.style, "source": src[f.id]}
        )
        for f in c.faqs
    ]
    g.nodes["Policy"] = [
        _clean({**p.model_dump(exclude={"matters"}), "source": src[p.id]}) for p in c.policies
    ]

    def rel(frm: str, to: str, **props: Any) -> Row:
        return {"from": frm, "to": to, "props": _clean(props)}

    windows = [w.id for w in c.windows]
    g.add_rels(("LOCATED_AT", "Window", "Location"), windows, [rel(w.id, w.location) for w in c.windows])
    g.add_rels(
        ("BELONGS_TO", "Window", "Department"),
        windows,
        [rel(w.id, d) for w in c.windows for d in w.departments],
    )
    adjacent: list[Row] = []
    for e in c.lobby.edges if c.lobby else []:
        dist = e.distance or _distance(locations[e.a], locations[e.b])
        adjacent += [rel(e.a, e.b, distance=dist, kind=e.kind), rel(e.b, e.a, distance=dist, kind=e.kind)]
    g.add_rels(("ADJACENT", "Location", "Location"), list(locations), adjacent)

    matters = [m.id for m in c.matters]
    g.add_rels(("HANDLED_BY", "Matter", "Department"), matters, [rel(m.id, m.department) for m in c.matters])
    g.add_rels(
        ("SERVED_AT", "Matter", "Window"),
        matters,
        [rel(m.id, w, order=i) for m in c.matters for i, w in enumerate(m.windows)],
    )
    g.add_rels(
        ("HAS_SITUATION", "Matter", "Situation"),
        matters,
        [rel(m.id, s, order=i) for m in c.matters for i, s in enumerate(m.situations)],
    )
    g.add_rels(("HAS_FORM", "Matter", "Form"), matters, [rel(m.id, f) for m in c.matters for f in m.forms])
    g.add_rels(
        ("REQUIRES", "Matter", "Material"),
        matters,
        [
            rel(
                m.id,
                r.material,
                copies=r.copies,
                original=r.original,
                elicense=r.elicense,
                required=r.required,
                when=encode_when(r.when),
                note=r.note,
                order=i,
            )
            for m in c.matters
            for i, r in enumerate(m.materials)
        ],
    )
    g.add_rels(
        ("HAS_FIELD", "Form", "FormField"),
        [f.id for f in c.forms],
        [rel(f.id, f"{f.id}.{fld.id}", order=i) for f in c.forms for i, fld in enumerate(f.fields)],
    )
    bundles = [b.id for b in c.bundles]
    g.add_rels(
        ("INCLUDES", "Bundle", "Matter"),
        bundles,
        [rel(b.id, m, order=i) for b in c.bundles for i, m in enumerate(b.matters)],
    )
    g.add_rels(
        ("SERVED_AT", "Bundle", "Window"),
        bundles,
        [rel(b.id, w, order=i) for b in c.bundles for i, w in enumerate(b.windows)],
    )
    themes = [t.id for t in c.themes]
    g.add_rels(("INCLUDES", "Theme", "Matter"), themes, [rel(t, m.id) for m in c.matters for t in m.themes])
    g.add_rels(("INCLUDES", "Theme", "Bundle"), themes, [rel(b.theme, b.id) for b in c.bundles if b.theme])
    g.add_rels(
        ("ABOUT", "FAQ", "Matter"), [f.id for f in c.faqs], [rel(f.id, m) for f in c.faqs for m in f.matters]
    )
    g.add_rels(
        ("GOVERNS", "Policy", "Matter"),
        [p.id for p in c.policies],
        [rel(p.id, m) for p in c.policies for m in p.matters],
    )
    return g


def ingest_corpus(
    store: GraphStore, corpus: Corpus, *, batch_size: int = 500, progress: Progress | None = None
) -> IngestReport:
    """Write a validated corpus into the graph in one all-or-nothing unit.

    A second run over the same corpus creates nothing and leaves the graph byte-identical (export).
    """
    started = time.perf_counter()
    rows = corpus_rows(corpus)
    rows.nodes["Meta"] = [{"id": META_ID, "corpus_version": corpus.version}]
    total = WriteSummary()
    store.ensure_schema()
    with store.atomic():
        for label, node_rows in rows.nodes.items():
            if progress:
                progress(f"nodes {label}", len(node_rows))
            total += upsert_nodes(store, label, node_rows, batch_size=batch_size)
        for (rel_type, frm, to), (rel_rows, owners) in rows.rels.items():
            if progress:
                progress(f"relationships {rel_type} {frm}->{to}", len(rel_rows))
            total += replace_relationships(store, rel_type, frm, to, rel_rows, owners, batch_size=batch_size)
        for label, node_rows in rows.nodes.items():
            total += delete_missing(store, label, [r["id"] for r in node_rows])
    rel_counts: dict[str, int] = {}
    for (rel_type, _, _), (rel_rows, _) in rows.rels.items():
        rel_counts[rel_type] = rel_counts.get(rel_type, 0) + len(rel_rows)
    return IngestReport(
        corpus_version=corpus.version,
        nodes={label: len(r) for label, r in rows.nodes.items()},
        relationships=rel_counts,
        changes=total,
        seconds=time.perf_counter() - started,
    )
