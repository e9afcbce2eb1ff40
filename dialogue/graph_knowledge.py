"""``dialogue.base.Knowledge`` read from the graph, so curator edits reach the answers.

Facts are read once per matter (one ``graph.queries.matter_detail`` round trip) and served from memory;
the curation service calls ``refresh`` for the records it changed. (The dialogue package's own adapter is
``CorpusKnowledge``, over corpus files; this one belongs next to it once the dialogue owner adopts it.)
"""

from __future__ import annotations

import threading
from typing import Any

from corpus.models import Form, FormField
from dialogue.base import (
    BundleInfo,
    DepartmentInfo,
    MatterFacts,
    Place,
    RequirementInfo,
    SituationInfo,
    WindowInfo,
)
from dialogue.knowledge import KnowledgeIndex
from graph.base import GraphStore
from graph.models import FormInfo, MatterDetail
from graph.queries import list_matters, lobby_graph, matter_detail

DEPARTMENTS = "MATCH (d:Department) RETURN d {.*} AS d"
BUNDLES = """
MATCH (b:Bundle)
RETURN b {.*} AS b,
  [(b)-[r:INCLUDES]->(m:Matter) | {id: m.id, order: r.order}] AS matters,
  [(b)-[s:SERVED_AT]->(w:Window) | {id: w.id, order: s.order}] AS windows
"""


def _ordered(items: list[dict[str, Any]]) -> list[str]:
    return [str(i["id"]) for i in sorted(items or [], key=lambda i: (int(i.get("order") or 0), str(i["id"])))]


def _form(info: FormInfo) -> Form | None:
    fields = [
        FormField(
            id=f.field_id or f.id.rsplit(".", 1)[-1],
            label=f.label,
            type=f.type,  # type: ignore[arg-type]
            required=f.required,
            options=list(f.options),
            pattern=f.pattern,
            min=f.min,
            max=f.max,
            max_length=f.max_length,
            profile_key=f.profile_key,
            elicense_key=f.elicense_key,
            help=f.help,
        )
        for f in info.fields
    ]
    try:
        return Form(id=info.id, name=info.name, description=info.description, fields=fields)
    except ValueError:
        return None  # a half-edited form in the graph must not break the matter's answers


class GraphKnowledge(KnowledgeIndex):
    """Matter facts from the graph, cached; ``refresh(ids)`` re-reads edited matters (thread-safe)."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self.reload()

    def reload(self) -> None:
        """Re-read everything (places, departments, bundles, every matter)."""
        lobby = lobby_graph(self._store)
        places = [
            Place(
                id=loc.id,
                name=loc.name,
                kind=loc.kind,
                floor=loc.floor or 0,
                x=loc.x or 0.0,
                y=loc.y or 0.0,
                aliases=list(loc.aliases),
                description=loc.description,
            )
            for loc in lobby.locations
        ]
        departments = {}
        for row in self._store.query(DEPARTMENTS):
            d = {k: v for k, v in row["d"].items() if v is not None}
            departments[d["id"]] = DepartmentInfo(
                id=d["id"],
                name=d.get("name", ""),
                short_name=d.get("short_name", ""),
                aliases=list(d.get("aliases") or []),
                phone=d.get("phone", ""),
                description=d.get("description", ""),
            )
        self._places = places
        self._place_by_id = {p.id: p for p in places}
        self._departments = departments
        facts = {}
        for summary in list_matters(self._store):
            detail = matter_detail(self._store, summary.id)
            if detail is not None:
                facts[detail.id] = self._facts_of(detail)
        with self._lock:
            self._facts = dict(sorted(facts.items()))
        self._bundles = self._read_bundles()

    def refresh(self, matter_ids: list[str] | None = None) -> None:
        """Re-read these matters (deleted ones disappear) and the bundles; None = everything."""
        if matter_ids is None:
            self.reload()
            return
        for mid in matter_ids:
            detail = matter_detail(self._store, mid)
            with self._lock:
                facts = dict(self._facts)
                if detail is None:
                    facts.pop(mid, None)
                else:
                    facts[mid] = self._facts_of(detail)
                self._facts = dict(sorted(facts.items()))  # ids stay sorted, as after a reload
        self._bundles = self._read_bundles()

    def _read_bundles(self) -> list[BundleInfo]:
        out = []
        for row in self._store.query(BUNDLES):
            b = {k: v for k, v in row["b"].items() if v is not None}
            out.append(
                BundleInfo(
                    id=b["id"],
                    name=b.get("name", ""),
                    aliases=list(b.get("aliases") or []),
                    description=b.get("description", ""),
                    matters=_ordered(row["matters"]),
                    windows=_ordered(row["windows"]),
                    promised_limit_days=int(b.get("promised_limit_days") or 0),
                    source=b.get("source", ""),
                )
            )
        return sorted(out, key=lambda b: b.id)

    def _facts_of(self, d: MatterDetail) -> MatterFacts:
        dept = None
        if d.department is not None:
            dept = self._departments.get(d.department.id) or DepartmentInfo(
                id=d.department.id,
                name=d.department.name,
                short_name=d.department.short_name,
                phone=d.department.phone,
            )
        windows = [
            WindowInfo(
                id=w.id,
                name=w.name,
                hours=w.hours,
                description=w.description,
                location=self._place_by_id.get(w.location.id) if w.location else None,
            )
            for w in d.windows
        ]
        forms = [f for f in (_form(i) for i in d.forms) if f is not None]
        return MatterFacts(
            id=d.id,
            name=d.name,
            aliases=list(d.aliases),
            colloquial=list(d.colloquial),
            description=d.description,
            target=d.target,
            type=d.type,
            department=dept,
            windows=windows,
            legal_limit_days=d.legal_limit_days or 0,
            promised_limit_days=d.promised_limit_days or 0,
            fee=d.fee or "不收费",
            online_level=d.online_level,
            max_visits=d.max_visits or 0,
            phone=d.phone,
            conditions=d.conditions,
            steps=list(d.steps),
            legal_basis=list(d.legal_basis),
            situations=[
                SituationInfo(
                    id=s.id,
                    question=s.question,
                    options=list(zip(s.options, s.option_labels, strict=False)),
                    profile_key=s.profile_key,
                )
                for s in d.situations
            ],
            materials=[
                RequirementInfo(
                    material_id=m.id,
                    name=m.name,
                    description=m.description,
                    copies=m.copies,
                    original=m.original,
                    elicense=m.elicense,
                    elicense_type=m.elicense_type,
                    required=m.required,
                    when=dict(m.when),
                    note=m.note,
                )
                for m in d.materials
            ],
            forms=forms,
            themes=[t.id for t in d.themes],
            source=d.source,
        )
