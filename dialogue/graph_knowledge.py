"""``Knowledge`` over the knowledge graph (embedded FalkorDB or Neo4j) through ``graph.queries``.

Matter facts are cached per process: the catalogue changes only on ingest, after which ``refresh()``
drops the cache (one graph round trip per matter otherwise).
"""

from __future__ import annotations

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
from dialogue.errors import UnknownMatterError
from graph.base import GraphStore
from graph.models import FormInfo, MatterDetail
from graph.queries import entity_names, list_matters, lobby_graph, matter_detail

# Bundles are not covered by graph.queries yet: one read in the subset both backends accept.
_BUNDLES = """
MATCH (b:Bundle)
OPTIONAL MATCH (b)-[i:INCLUDES]->(m:Matter)
OPTIONAL MATCH (b)-[:SERVED_AT]->(w:Window)
RETURN b {.*} AS bundle, collect(DISTINCT {id: m.id, order: i.order}) AS matters,
       collect(DISTINCT w.id) AS windows
"""


def _form(info: FormInfo) -> Form:
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
        for f in sorted(info.fields, key=lambda f: f.order)
    ]
    return Form(id=info.id, name=info.name, description=info.description, fields=fields)


def facts_from_detail(d: MatterDetail, places: dict[str, Place]) -> MatterFacts:
    """Convert the graph's ``MatterDetail`` into the dialogue's ``MatterFacts``."""
    windows = []
    for w in d.windows:
        loc = places.get(w.location.id) if w.location else None
        windows.append(
            WindowInfo(id=w.id, name=w.name, hours=w.hours, description=w.description, location=loc)
        )
    return MatterFacts(
        id=d.id,
        name=d.name,
        aliases=list(d.aliases),
        colloquial=list(d.colloquial),
        description=d.description,
        target=d.target,
        type=d.type,
        department=DepartmentInfo(
            id=d.department.id,
            name=d.department.name,
            short_name=d.department.short_name,
            phone=d.department.phone,
        )
        if d.department
        else None,
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
                options=list(zip(s.options, s.option_labels or s.options, strict=False)),
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
        forms=[_form(f) for f in d.forms],
        themes=[t.id for t in d.themes],
        source=d.source,
    )


class GraphKnowledge:
    """Reads the catalogue from a ``GraphStore``."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._cache: dict[str, MatterFacts] = {}
        self._places: list[Place] | None = None

    def refresh(self, matter_ids: list[str] | None = None) -> None:
        """Forget cached facts: of the given matters (after a curator edit), else all (after an ingest)."""
        if matter_ids is None:
            self._cache.clear()
            self._places = None
            return
        for mid in matter_ids:
            self._cache.pop(mid, None)

    def matter(self, matter_id: str) -> MatterFacts:
        if matter_id not in self._cache:
            detail = matter_detail(self._store, matter_id)
            if detail is None:
                raise UnknownMatterError(matter_id)
            self._cache[matter_id] = facts_from_detail(detail, {p.id: p for p in self.places()})
        return self._cache[matter_id]

    def matter_ids(self) -> list[str]:
        return [m.id for m in list_matters(self._store)]

    def places(self) -> list[Place]:
        if self._places is None:
            self._places = [
                Place(
                    id=loc.id,
                    name=loc.name,
                    kind=loc.kind,
                    floor=loc.floor or 1,
                    x=loc.x or 0.0,
                    y=loc.y or 0.0,
                    aliases=list(loc.aliases),
                    description=loc.description,
                )
                for loc in lobby_graph(self._store).locations
            ]
        return list(self._places)

    def departments(self) -> list[DepartmentInfo]:
        return [
            DepartmentInfo(id=e.id, name=e.name, aliases=list(e.aliases))
            for e in entity_names(self._store)
            if e.label == "Department"
        ]

    def bundles(self) -> list[BundleInfo]:
        out = []
        for row in self._store.query(_BUNDLES):
            b: dict[str, Any] = row["bundle"]
            matters = sorted(
                (m for m in row["matters"] if m.get("id")), key=lambda m: (m.get("order") or 0, m["id"])
            )
            out.append(
                BundleInfo(
                    id=b["id"],
                    name=b.get("name", ""),
                    aliases=list(b.get("aliases") or []),
                    description=b.get("description", ""),
                    matters=[m["id"] for m in matters],
                    windows=sorted(w for w in row["windows"] if w),
                    promised_limit_days=int(b.get("promised_limit_days") or 0),
                    source=b.get("source", ""),
                )
            )
        return sorted(out, key=lambda b: b.id)
