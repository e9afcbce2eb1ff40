"""Graph expansion: a ranked matter becomes Evidence (department, windows + locations, materials,
situations, key facts), every fact cited by graph node id and corpus source record.

FAQ and policy hits were already resolved to their matters by the retriever; the documents that matched
travel along in ``Evidence.matched`` and are cited too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from graph.base import GraphStore
from graph.models import MatterDetail
from graph.queries import matter_detail
from retrieval.base import Citation, Document, Evidence, MatterHit

FACT_FIELDS = (
    "code",
    "target",
    "type",
    "legal_limit_days",
    "promised_limit_days",
    "fee",
    "fee_basis",
    "online_level",
    "max_visits",
    "legal_basis",
    "phone",
    "conditions",
    "steps",
    "description",
)
DOC_LABEL = {"matter": "Matter", "faq": "FAQ", "policy": "Policy"}


def evidence_from_detail(detail: MatterDetail, score: float, matched: Sequence[Document] = ()) -> Evidence:
    """Evidence for one matter from its graph detail (pure)."""
    cites = [Citation(detail.id, "Matter", detail.source)]
    department = None
    if detail.department is not None:
        department = detail.department.model_dump()
        cites.append(Citation(detail.department.id, "Department", ""))
    windows = []
    for w in detail.windows:
        windows.append(w.model_dump())
        cites.append(Citation(w.id, "Window", w.source))
        if w.location is not None:
            cites.append(Citation(w.location.id, "Location", ""))
    materials = []
    for m in sorted(detail.materials, key=lambda m: m.order):
        materials.append(m.model_dump())
        cites.append(Citation(m.id, "Material", m.source))
    situations = []
    for s in sorted(detail.situations, key=lambda s: s.order):
        situations.append(s.model_dump())
        cites.append(Citation(s.id, "Situation", s.source))
    for d in matched:
        if d.id != detail.id:
            cites.append(Citation(d.id, DOC_LABEL[d.kind], d.source))
    facts = {f: getattr(detail, f) for f in FACT_FIELDS}
    return Evidence(
        matter_id=detail.id,
        name=detail.name,
        score=score,
        department=department,
        windows=windows,
        materials=materials,
        situations=situations,
        facts=facts,
        matched=list(matched),
        citations=cites,
    )


class GraphExpander:
    """Expands the top ``limit`` matters with one ``matter_detail`` round trip each."""

    def __init__(self, store: GraphStore, limit: int = 3) -> None:
        self.store = store
        self.limit = limit

    def expand(self, hits: Sequence[MatterHit], matched: Mapping[str, list[Document]]) -> list[Evidence]:
        out = []
        for h in hits[: self.limit]:
            detail = matter_detail(self.store, h.matter_id)
            if detail is not None:  # deleted between search and expansion: skip, never invent
                out.append(evidence_from_detail(detail, h.score, matched.get(h.matter_id, [])))
        return out
