"""``Knowledge`` backed by a validated ``corpus.Corpus`` held in memory.

Used by tests, the evaluation and any deployment that has not ingested the graph yet. A graph-backed
adapter (over ``graph.queries.matter_detail``) returns the same ``MatterFacts``.
"""

from __future__ import annotations

from corpus.loader import Corpus
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


class KnowledgeIndex:
    """The ``Knowledge`` accessors over facts held in memory; subclasses fill the four containers."""

    _facts: dict[str, MatterFacts]
    _places: list[Place]
    _departments: dict[str, DepartmentInfo]
    _bundles: list[BundleInfo]

    def matter(self, matter_id: str) -> MatterFacts:
        try:
            return self._facts[matter_id]
        except KeyError:
            raise UnknownMatterError(matter_id) from None

    def matter_ids(self) -> list[str]:
        return list(self._facts)

    def places(self) -> list[Place]:
        return list(self._places)

    def departments(self) -> list[DepartmentInfo]:
        return list(self._departments.values())

    def bundles(self) -> list[BundleInfo]:
        return list(self._bundles)


class CorpusKnowledge(KnowledgeIndex):
    """Matter facts assembled from corpus records (facts are built once, then served from a dict)."""

    def __init__(self, corpus: Corpus) -> None:
        self._corpus = corpus
        lobby = corpus.lobby
        self._places = [
            Place(
                id=loc.id,
                name=loc.name,
                kind=loc.kind,
                floor=loc.floor,
                x=loc.x,
                y=loc.y,
                aliases=list(loc.aliases),
                description=loc.description,
            )
            for loc in (lobby.locations if lobby else [])
        ]
        places = {p.id: p for p in self._places}
        self._departments = {
            d.id: DepartmentInfo(
                id=d.id,
                name=d.name,
                short_name=d.short_name,
                aliases=list(d.aliases),
                phone=d.phone,
                description=d.description,
            )
            for d in corpus.departments
        }
        self._windows = {
            w.id: WindowInfo(
                id=w.id,
                name=w.name,
                hours=w.hours,
                description=w.description,
                location=places.get(w.location),
            )
            for w in corpus.windows
        }
        self._facts = {m.id: self._build(m) for m in corpus.matters}
        self._bundles = [
            BundleInfo(
                id=b.id,
                name=b.name,
                aliases=list(b.aliases),
                description=b.description,
                matters=list(b.matters),
                windows=list(b.windows),
                promised_limit_days=b.promised_limit_days,
                source=corpus.sources.get(b.id, ""),
            )
            for b in corpus.bundles
        ]

    def _build(self, m: object) -> MatterFacts:
        from corpus.models import Matter

        assert isinstance(m, Matter)
        c = self._corpus
        materials = c.by_id("materials")
        situations = c.by_id("situations")
        forms = c.by_id("forms")
        reqs = []
        for r in m.materials:
            mat = materials[r.material]
            reqs.append(
                RequirementInfo(
                    material_id=r.material,
                    name=mat.name,
                    description=mat.description,
                    copies=r.copies,
                    original=r.original,
                    elicense=r.elicense,
                    elicense_type=mat.elicense_type,
                    required=r.required,
                    when=dict(r.when),
                    note=r.note,
                )
            )
        sits = [
            SituationInfo(
                id=s,
                question=situations[s].question,
                options=[(o.value, o.label) for o in situations[s].options],
                profile_key=situations[s].profile_key,
            )
            for s in m.situations
        ]
        return MatterFacts(
            id=m.id,
            name=m.name,
            aliases=list(m.aliases),
            colloquial=list(m.colloquial),
            description=m.description,
            target=m.target,
            type=m.type,
            department=self._departments.get(m.department),
            windows=[self._windows[w] for w in m.windows if w in self._windows],
            legal_limit_days=m.legal_limit_days,
            promised_limit_days=m.promised_limit_days,
            fee=m.fee,
            online_level=m.online_level,
            max_visits=m.max_visits,
            phone=m.phone,
            conditions=m.conditions,
            steps=list(m.steps),
            legal_basis=list(m.legal_basis),
            situations=sits,
            materials=reqs,
            forms=[forms[f] for f in m.forms if f in forms],
            themes=list(m.themes),
            source=c.sources.get(m.id, ""),
        )
