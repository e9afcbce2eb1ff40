"""The shared read queries, written once for both backends, returning ``graph.models``.

Cypher subset used here (checked on FalkorDB 4.x and valid on Neo4j 5): OPTIONAL MATCH + ``collect``
of ``CASE``-guarded map projections, single-level pattern comprehensions, ``properties(r)``.
FalkorDB returns null for a pattern comprehension nested inside another one, so nested data (window ->
location, form -> fields) is collected with OPTIONAL MATCH + WITH instead. Ordering by the ``order``
relationship property is done in Python (pattern comprehensions are unordered).
"""

from __future__ import annotations

from typing import Any

from graph.base import GraphStore
from graph.dialect import dialect_for
from graph.models import (
    Adjacency,
    DepartmentRef,
    EntityName,
    FAQEntry,
    FormFieldInfo,
    FormInfo,
    FulltextHit,
    LobbyGraph,
    Location,
    LocationRef,
    MaterialRequirement,
    MatterDetail,
    MatterSummary,
    PolicyEntry,
    Ref,
    SituationInfo,
    WindowInfo,
)
from graph.schema import NODES, decode_when

ENTITY_LABELS: tuple[str, ...] = ("Matter", "Department", "Window", "Theme", "Bundle", "Location")

_LOCATION_REF = "CASE WHEN l IS NULL THEN null ELSE l {.id, .name, .floor, .x, .y} END"

MATTER_DETAIL = f"""
MATCH (m:Matter {{id: $id}})
OPTIONAL MATCH (m)-[:SERVED_AT]->(w:Window)
OPTIONAL MATCH (w)-[:LOCATED_AT]->(l:Location)
WITH m, collect(CASE WHEN w IS NULL THEN null ELSE w {{.*, location: {_LOCATION_REF}}} END) AS windows
OPTIONAL MATCH (m)-[:HAS_FORM]->(f:Form)
OPTIONAL MATCH (f)-[hf:HAS_FIELD]->(ff:FormField)
WITH m, windows, f, collect(CASE WHEN ff IS NULL THEN null ELSE ff {{.*, order: hf.order}} END) AS fields
WITH m, windows, collect(CASE WHEN f IS NULL THEN null ELSE f {{.*, fields: fields}} END) AS forms
RETURN m {{.*}} AS matter, windows, forms,
  [(m)-[:HANDLED_BY]->(d:Department) | d {{.id, .name, .short_name, .phone}}] AS departments,
  [(m)-[rq:REQUIRES]->(x:Material) | {{material: x {{.*}}, rel: properties(rq)}}] AS materials,
  [(m)-[hs:HAS_SITUATION]->(s:Situation) | s {{.*, order: hs.order}}] AS situations,
  [(q:FAQ)-[:ABOUT]->(m) | q.id] AS faq_ids,
  [(p:Policy)-[:GOVERNS]->(m) | p.id] AS policy_ids,
  [(b:Bundle)-[:INCLUDES]->(m) | b {{.id, .name}}] AS bundles,
  [(t:Theme)-[:INCLUDES]->(m) | t {{.id, .name}}] AS themes
"""

LIST_MATTERS = """
MATCH (m:Matter)
RETURN m {.id, .name, .aliases, .colloquial, .description, .source} AS matter,
  [(m)-[:HANDLED_BY]->(d:Department) | d {.id, .name}] AS departments,
  [(m)-[:SERVED_AT]->(w:Window) | w.id] AS window_ids
"""

LIST_FAQS = """
MATCH (q:FAQ)
RETURN q {.id, .question, .answer, .source} AS faq, [(q)-[:ABOUT]->(m:Matter) | m.id] AS matter_ids
"""

LIST_POLICIES = """
MATCH (p:Policy)
RETURN p {.id, .title, .excerpt, .doc_no, .source} AS policy,
  [(p)-[:GOVERNS]->(m:Matter) | m.id] AS matter_ids
"""

ENTITY_NAMES = f"""
MATCH (n) WHERE {" OR ".join(f"n:{label}" for label in ENTITY_LABELS)}
RETURN labels(n)[0] AS label, n.id AS id, n.name AS name, n.aliases AS aliases
"""

LOBBY_LOCATIONS = "MATCH (l:Location) RETURN l {.*} AS location"
LOBBY_EDGES = """
MATCH (a:Location)-[r:ADJACENT]->(b:Location)
RETURN a.id AS from_id, b.id AS to_id, r.distance AS distance, r.kind AS kind
"""

WINDOW_LOCATION = f"""
MATCH (w:Window {{id: $id}})
OPTIONAL MATCH (w)-[:LOCATED_AT]->(l:Location)
RETURN w {{.*}} AS window, {_LOCATION_REF} AS location
"""


def matter_detail(store: GraphStore, matter_id: str) -> MatterDetail | None:
    """Everything about one matter in one round trip, or None when the id is unknown.

    Lists are in a stable order: materials, situations and form fields by their ``order``
    relationship property (then id); windows, forms, bundles, themes, FAQ and policy ids by id.
    """
    rows = store.query(MATTER_DETAIL, {"id": matter_id})
    if not rows:
        return None
    row = rows[0]
    departments = sorted(row["departments"] or [], key=lambda d: d.get("id") or "")
    materials = [
        MaterialRequirement(**{**_drop_none(item["material"]), **_requires_props(item["rel"] or {})})
        for item in row["materials"] or []
    ]
    return MatterDetail(
        **_drop_none(row["matter"]),
        department=DepartmentRef(**_drop_none(departments[0])) if departments else None,
        windows=sorted((_window(w) for w in row["windows"] or []), key=lambda w: w.id),
        materials=sorted(materials, key=lambda m: (m.order, m.id)),
        situations=sorted(
            (SituationInfo(**_drop_none(s)) for s in row["situations"] or []), key=lambda s: (s.order, s.id)
        ),
        forms=sorted((_form(f) for f in row["forms"] or []), key=lambda f: f.id),
        faq_ids=sorted(set(row["faq_ids"] or [])),
        policy_ids=sorted(set(row["policy_ids"] or [])),
        bundles=sorted((Ref(**_drop_none(b)) for b in row["bundles"] or []), key=lambda b: b.id),
        themes=sorted((Ref(**_drop_none(t)) for t in row["themes"] or []), key=lambda t: t.id),
    )


def list_matters(store: GraphStore) -> list[MatterSummary]:
    """Every matter with its department and windows (for indexing and entity linking), sorted by id."""
    out = []
    for row in store.query(LIST_MATTERS):
        depts = sorted(row["departments"] or [], key=lambda d: d.get("id") or "")
        out.append(
            MatterSummary(
                **_drop_none(row["matter"]),
                department_id=depts[0]["id"] if depts else None,
                department_name=depts[0].get("name") if depts else None,
                window_ids=sorted(row["window_ids"] or []),
            )
        )
    return sorted(out, key=lambda m: m.id)


def list_faqs(store: GraphStore) -> list[FAQEntry]:
    """Every FAQ with the matters it is about, sorted by id."""
    rows = store.query(LIST_FAQS)
    out = [FAQEntry(**_drop_none(r["faq"]), matter_ids=sorted(r["matter_ids"] or [])) for r in rows]
    return sorted(out, key=lambda f: f.id)


def list_policies(store: GraphStore) -> list[PolicyEntry]:
    """Every policy with the matters it governs, sorted by id."""
    rows = store.query(LIST_POLICIES)
    out = [PolicyEntry(**_drop_none(r["policy"]), matter_ids=sorted(r["matter_ids"] or [])) for r in rows]
    return sorted(out, key=lambda p: p.id)


def entity_names(store: GraphStore) -> list[EntityName]:
    """Id, name and aliases of every Matter/Department/Window/Theme/Bundle/Location, sorted by (label, id)."""
    out = [EntityName(**_drop_none(r)) for r in store.query(ENTITY_NAMES)]
    return sorted(out, key=lambda e: (e.label, e.id))


def lobby_graph(store: GraphStore) -> LobbyGraph:
    """All lobby locations and walkable ADJACENT edges (both directions, as stored)."""
    locations = [Location(**_drop_none(r["location"])) for r in store.query(LOBBY_LOCATIONS)]
    edges = [Adjacency(**_drop_none(r)) for r in store.query(LOBBY_EDGES)]
    return LobbyGraph(
        locations=sorted(locations, key=lambda loc: loc.id),
        edges=sorted(edges, key=lambda e: (e.from_id, e.to_id)),
    )


def window_location(store: GraphStore, window_id: str) -> WindowInfo | None:
    """A window with the map point it stands at, or None when the window id is unknown."""
    rows = store.query(WINDOW_LOCATION, {"id": window_id})
    if not rows:
        return None
    return _window({**rows[0]["window"], "location": rows[0]["location"]})


def fulltext_search(store: GraphStore, label: str, text: str, limit: int = 10) -> list[FulltextHit]:
    """Full-text search over a label's ``NodeSpec.fulltext`` properties (Chinese-aware on both backends).

    FalkorDB builds full-text indexes asynchronously: right after ``ensure_schema`` + a write, hits may
    still be missing for a moment.
    """
    if label not in {n.label for n in NODES if n.fulltext}:
        raise ValueError(f"{label!r} has no full-text index (see graph.schema.NODES)")
    dialect = dialect_for(store.backend)
    query_text = dialect.fulltext_text(text)
    if not query_text:
        return []
    rows = store.query(
        dialect.fulltext_query(),
        {"index": dialect.fulltext_index_arg(label), "text": query_text, "limit": limit},
    )
    return [FulltextHit(**r) for r in rows]


# ---------------------------------------------------------------------- helpers
def _drop_none(props: dict[str, Any]) -> dict[str, Any]:
    # Map projections of a missing property give null; let the model defaults apply instead.
    return {k: v for k, v in props.items() if v is not None}


def _requires_props(rel: dict[str, Any]) -> dict[str, Any]:
    props = _drop_none(rel)
    props["when"] = decode_when(rel.get("when"))
    return props


def _window(props: dict[str, Any]) -> WindowInfo:
    location = props.get("location")
    return WindowInfo(
        **{**_drop_none(props), "location": LocationRef(**_drop_none(location)) if location else None}
    )


def _form(props: dict[str, Any]) -> FormInfo:
    fields = sorted(
        (FormFieldInfo(**_drop_none(f)) for f in props.get("fields") or []), key=lambda f: (f.order, f.id)
    )
    return FormInfo(**{**_drop_none(props), "fields": fields})
