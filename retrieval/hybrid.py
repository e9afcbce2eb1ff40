"""The hybrid retriever: BM25 + pinyin BM25 + vector + entity links, fused, judged in/out of scope,
expanded to evidence.

``search`` is a template method: rank documents per system -> matter rankings (+ the question
classifiers of ``retrieval.text_classifier``) -> fusion (the learned ranker of ``retrieval.ranker``, or
score/RRF fusion) -> out-of-scope probability -> graph expansion of the top matters. Every stage is a
swappable object, so tests run it on a plain document list with a fake embedder, and the service wires
it to the graph.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.base import (
    Document,
    Embedder,
    EntityLink,
    Evidence,
    Hit,
    MatterHit,
    RetrievalResult,
    VectorIndex,
)
from retrieval.bm25 import BM25Index, tokenize
from retrieval.dialect import normalise
from retrieval.documents import PHRASE_SEP, base_id, is_phrase
from retrieval.facets import facet_scores, matter_facets, query_facets
from retrieval.fusion import FusionParams, fuse, matter_ranking, vector_matter_scores
from retrieval.linking import EntityLinker
from retrieval.oos import OOSModel
from retrieval.pinyin import pinyin_index
from retrieval.ranker import LinearRanker, candidate_features
from retrieval.spelling import HomophoneCorrector, add_documents, catalogue_corrector
from retrieval.text_classifier import IN_SCOPE, CharNgramClassifier

MAX_QUERY_CHARS = 256
# Entities whose mention points at a group of matters (life events, bundles).
GROUP_KINDS = ("theme", "bundle")


class Expander(Protocol):
    """Turns ranked matters into evidence (graph expansion)."""

    def expand(self, hits: Sequence[MatterHit], matched: Mapping[str, list[Document]]) -> list[Evidence]: ...


@dataclass
class RetrieverParams:
    """Tunable knobs; ``fusion`` and ``oos`` come from the dev split (``retrieval/tuned.json``)."""

    fusion: FusionParams = field(default_factory=FusionParams)
    oos: OOSModel = field(default_factory=OOSModel)
    # Learned fusion (used when ``fusion.method == "learned"``); trained by ``retrieval.tuning``.
    ranker: LinearRanker | None = None
    # Supervised classifiers over the question text (``retrieval.text_classifier``): which matter (a
    # ranker feature) and whether it is a question the centre answers (an out-of-scope signal).
    matter_classifier: CharNgramClassifier | None = None
    question_form: CharNgramClassifier | None = None
    candidates: int = 50
    max_query_chars: int = MAX_QUERY_CHARS
    cache_size: int = 2048


@dataclass
class SystemRun:
    """What each system found for one query, before fusion (the eval scores each one alone)."""

    rankings: dict[str, list[str]]
    via: dict[str, dict[str, str]]
    features: dict[str, float]
    links: list[EntityLink]
    timings_ms: dict[str, float]
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # system -> matter -> score
    link_methods: dict[str, str] = field(default_factory=dict)  # matter -> exact | alias | fuzzy | group
    corrected: str = ""  # the question after dialect normalisation and spelling correction, if changed


def _views(hits: Sequence[Hit], prefix: str) -> dict[str, dict[str, float]]:
    """Best score per matter among its phrase views, its matter text, and its FAQs/policies
    (``<prefix>_phrase`` / ``_matter`` / ``_faq``)."""
    views: dict[str, dict[str, float]] = {f"{prefix}_{v}": {} for v in ("phrase", "matter", "faq")}
    for h in hits:
        view = "phrase" if is_phrase(h.doc_id) else "matter" if h.kind == "matter" else "faq"
        best = views[f"{prefix}_{view}"]
        for m in h.matter_ids:
            if h.score > best.get(m, -1.0):
                best[m] = h.score
    return views


class HybridRetriever:
    """Hybrid search over matters, FAQs and policies."""

    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        documents: Iterable[Document],
        *,
        linker: EntityLinker | None = None,
        groups: Mapping[str, Sequence[str]] | None = None,
        params: RetrieverParams | None = None,
        expander: Expander | None = None,
        bm25: BM25Index | None = None,
        pinyin: BM25Index | None = None,
        corrector: HomophoneCorrector | None = None,
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.docs: dict[str, Document] = {d.id: d for d in documents}
        self.bm25 = bm25 if bm25 is not None else BM25Index()
        if not len(self.bm25):
            self.bm25.add(d for d in self.docs.values() if not is_phrase(d.id))
        # Same records as BM25, tokenised as toneless pinyin (homophone typos).
        self.pinyin = pinyin if pinyin is not None else pinyin_index()
        if not len(self.pinyin):
            self.pinyin.add(d for d in self.docs.values() if not is_phrase(d.id))
        self.linker = linker or EntityLinker()
        # matter -> the actions its name and aliases name (补领, 注销 …), from its "#name" phrase view
        self.facets: dict[str, frozenset[str]] = {}
        self._update_facets(self.docs.values())
        # Dialect words (咋个, 莫得) and sound-alike typos (身份正 -> 身份证) are fixed before any
        # channel reads the question.
        self.corrector = corrector if corrector is not None else catalogue_corrector(self.docs.values())
        # theme/bundle id -> its matter ids
        self.groups: dict[str, list[str]] = {k: list(v) for k, v in (groups or {}).items()}
        self.params = params or RetrieverParams()
        self.expander = expander
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()

    # ---- incremental edits -----------------------------------------------------------------------
    def _update_facets(self, docs: Iterable[Document]) -> None:
        for d in docs:
            if d.id.endswith(f"{PHRASE_SEP}name"):
                self.facets[base_id(d.id)] = matter_facets([d.text])

    def upsert_documents(self, docs: Sequence[Document]) -> None:
        """Add or replace documents: one embedding call, no rebuild; the next query sees them."""
        if not docs:
            return
        self.index.upsert([d.id for d in docs], self.embedder.embed_passages([d.text for d in docs]))
        self.bm25.add(d for d in docs if not is_phrase(d.id))
        self.pinyin.add(d for d in docs if not is_phrase(d.id))
        add_documents(self.corrector, docs)
        self._update_facets(docs)
        self.docs.update({d.id: d for d in docs})

    def remove_documents(self, doc_ids: Sequence[str]) -> int:
        """Remove documents everywhere; returns how many existed."""
        self.index.delete(doc_ids)
        for d in doc_ids:
            if d.endswith(f"{PHRASE_SEP}name"):
                self.facets.pop(base_id(d), None)
        self.bm25.remove(doc_ids)
        self.pinyin.remove(doc_ids)
        return sum(1 for d in doc_ids if self.docs.pop(d, None) is not None)

    def forget_matter(self, matter_id: str) -> list[str]:
        """Remove a matter and drop it from FAQs/policies naming it (those about nothing else go too)."""
        removed = [matter_id] if matter_id in self.docs else []
        changed: list[Document] = []
        for d in list(self.docs.values()):
            if d.id != matter_id and matter_id in d.matter_ids:
                rest = tuple(m for m in d.matter_ids if m != matter_id)
                if rest:
                    changed.append(Document(d.id, d.kind, d.text, rest, d.title, d.source))
                else:
                    removed.append(d.id)
        self.remove_documents(removed)
        for d in changed:  # same text, same vector: only the mapping changes
            self.docs[d.id] = d
        self.bm25.add(d for d in changed if not is_phrase(d.id))
        self.pinyin.add(d for d in changed if not is_phrase(d.id))
        for members in self.groups.values():
            if matter_id in members:
                members.remove(matter_id)
        self.linker.remove("matter", matter_id)
        return removed

    # ---- search --------------------------------------------------------------------------------
    def _embed_query(self, query: str) -> np.ndarray:
        vec = self._qcache.get(query)
        if vec is None:
            vec = self.embedder.embed_queries([query])[0]
            self._qcache[query] = vec
            if len(self._qcache) > self.params.cache_size:
                self._qcache.popitem(last=False)
        else:
            self._qcache.move_to_end(query)
        return vec

    def _hits(self, pairs: Iterable[tuple[str, float]]) -> list[Hit]:
        out = []
        for doc_id, score in pairs:
            d = self.docs.get(doc_id)
            if d is not None:  # an index entry without a document is a deleted record: never return it
                out.append(Hit(doc_id, score, d.kind, d.matter_ids))
        return out

    def _link_scores(self, links: Sequence[EntityLink]) -> tuple[dict[str, float], dict[str, str]]:
        """Matter -> link score, and matter -> how it was linked (exact/alias/fuzzy, or "group")."""
        scored: dict[str, float] = {}
        methods: dict[str, str] = {}
        for link in links:
            if link.kind == "matter" and link.id in self.docs:
                if link.score > scored.get(link.id, 0.0):
                    scored[link.id], methods[link.id] = link.score, link.method
            elif link.kind in GROUP_KINDS:
                for m in self.groups.get(link.id, []):
                    if m in self.docs and 0.5 * link.score > scored.get(m, 0.0):
                        scored[m], methods[m] = 0.5 * link.score, "group"
        return scored, methods

    def run_systems(self, query: str, *, exclude: frozenset[str] = frozenset()) -> SystemRun:
        """Rank matters with each system separately and compute the out-of-scope features.

        ``exclude``: document ids to ignore (training the ranker on an FAQ's question without letting
        the FAQ itself answer it).
        """
        cand = self.params.candidates
        t0 = time.perf_counter()
        original, query = query, self.corrector.correct(normalise(query))
        t_spell = time.perf_counter()
        vec = self._embed_query(query)
        t1 = time.perf_counter()
        vpairs = self.index.search(vec[None, :], cand + len(exclude))[0]
        if exclude:
            vpairs = [p for p in vpairs if p[0] not in exclude][:cand]
        vhits = self._hits(vpairs)
        t2 = time.perf_counter()
        bhits = self.bm25.search(query, cand + len(exclude))
        t3 = time.perf_counter()
        phits = self.pinyin.search(query, cand + len(exclude))
        t4 = time.perf_counter()
        if exclude:
            bhits = [h for h in bhits if h.doc_id not in exclude][:cand]
            phits = [h for h in phits if h.doc_id not in exclude][:cand]
        links = self.linker.link(query)
        t5 = time.perf_counter()
        # The classifiers learned citizens' wording as written, typos and dialect included.
        clf = self.params.matter_classifier
        form = self.params.question_form
        classified = clf.probabilities(original) if clf is not None else {}
        form_in_scope = form.probabilities(original)[IN_SCOPE] if form is not None else None
        t6 = time.perf_counter()
        vscore, vvia = vector_matter_scores(vhits)
        brank = matter_ranking(bhits)
        prank = matter_ranking(phits)
        link_scores, link_methods = self._link_scores(links)
        facet_match, facet_conflict = facet_scores(query_facets(query), self.facets)
        scores = {
            "vector": vscore,
            "bm25": {m: s for m, _, s in brank},
            "pinyin": {m: s for m, _, s in prank},
            "link": link_scores,
            "facet_match": facet_match,
            "facet_conflict": facet_conflict,
            "classifier": classified,
            # per-view best similarities, for the learned ranker
            **_views(vhits, "vec"),
            **_views(bhits, "bm25"),
        }
        rankings = {
            "vector": sorted(vscore, key=lambda m: (-vscore[m], m)),
            "bm25": [m for m, _, _ in brank],
            "pinyin": [m for m, _, _ in prank],
            "link": sorted(link_scores, key=lambda m: (-link_scores[m], m)),
        }
        via = {
            "vector": vvia,
            "bm25": {m: d for m, d, _ in brank},
            "pinyin": {m: d for m, d, _ in prank},
            "link": {},
        }
        vscores = [s for _, s in vpairs]
        q_words = set(tokenize(query, chars=False))
        best_doc = bhits[0].doc_id if bhits else None
        cover = (len(q_words & self.bm25.terms(best_doc)) / len(q_words)) if q_words and best_doc else 0.0
        features = {
            "vec_top": vscores[0] if vscores else 0.0,
            "vec_margin": (vscores[0] - vscores[min(9, len(vscores) - 1)]) if vscores else 0.0,
            "bm25_top": float(np.log1p(bhits[0].score)) if bhits else 0.0,
            "bm25_cover": cover,
            "link_top": max((link.score for link in links), default=0.0),
            # Share of the question's words the catalogue uses anywhere: "炒股", "红烧肉" are not in it.
            "vocab_cover": (
                sum(1 for w in q_words if self.bm25.has_term(w)) / len(q_words) if q_words else 0.0
            ),
        }
        if form_in_scope is not None:
            features["form_in_scope"] = form_in_scope
        timings = {
            "spell": (t_spell - t0) * 1e3,
            "embed": (t1 - t_spell) * 1e3,
            "vector": (t2 - t1) * 1e3,
            "bm25": (t3 - t2) * 1e3,
            "pinyin": (t4 - t3) * 1e3,
            "link": (t5 - t4) * 1e3,
            "classify": (t6 - t5) * 1e3,
        }
        corrected = query if query != original else ""
        return SystemRun(rankings, via, features, links, timings, scores, link_methods, corrected)

    def fuse_run(self, run: SystemRun) -> list[tuple[str, float]]:
        """Fuse the systems' rankings (learned ranker or score/RRF fusion) and add the fused-score
        features (top score, margin over the runner-up, softmax share of the top) to ``run.features``."""
        ranker = self.params.ranker
        if self.params.fusion.method == "learned" and ranker is not None:
            ids, x = candidate_features(run.rankings, run.scores, run.link_methods)
            fused = ranker.rank(ids, x)
        else:
            fused = fuse(run.rankings, run.scores, self.params.fusion)
        top = fused[0][1] if fused else 0.0
        second = fused[1][1] if len(fused) > 1 else top - 10.0
        run.features["fused_top"] = top
        run.features["fused_margin"] = top - second
        if fused:
            z = np.array([s for _, s in fused[:50]]) - top
            run.features["fused_prob"] = float(1.0 / np.exp(z).sum())
        else:
            run.features["fused_prob"] = 0.0
        return fused

    def search(self, query: str, k: int = 5, *, expand: bool = True) -> RetrievalResult:
        """Top-k matters for a citizen's question, with an out-of-scope verdict and (optionally) evidence.

        Empty questions return no matters and ``out_of_scope=True``; questions longer than
        ``params.max_query_chars`` are truncated (``notice`` says so). Never raises on odd input.
        """
        start = time.perf_counter()
        text = " ".join((query or "").split())
        if not text:
            return RetrievalResult(
                query=query or "", matters=[], out_of_scope=True, confidence=0.0, notice="empty query"
            )
        notice = ""
        if len(text) > self.params.max_query_chars:
            text = text[: self.params.max_query_chars]
            notice = f"query truncated to {self.params.max_query_chars} characters"
        run = self.run_systems(text)
        fused = self.fuse_run(run)
        oos, confidence = self.params.oos.is_out_of_scope(run.features)
        hits = []
        for mid, score in fused[: max(k, 0)]:
            via = {s: base_id(run.via[s][mid]) for s in ("vector", "bm25") if mid in run.via[s]}
            if mid in run.rankings["link"]:
                via["link"] = mid
            hits.append(MatterHit(mid, score, self.docs[mid].title if mid in self.docs else "", via))
        result = RetrievalResult(
            query=query,
            matters=hits,
            out_of_scope=oos,
            confidence=confidence,
            links=run.links,
            notice=notice,
            timings_ms=dict(run.timings_ms),
            corrected=run.corrected,
        )
        if expand and self.expander is not None and hits and not oos:
            t = time.perf_counter()
            matched = {
                h.matter_id: [self.docs[d] for d in dict.fromkeys(h.via.values()) if d in self.docs]
                for h in hits
            }
            result.evidence = self.expander.expand(hits, matched)
            result.timings_ms["expand"] = (time.perf_counter() - t) * 1e3
        result.timings_ms["total"] = (time.perf_counter() - start) * 1e3
        return result

    def as_langchain(self, k: int = 5) -> HybridLangChainRetriever:
        """This retriever as a LangChain ``BaseRetriever``."""
        return HybridLangChainRetriever(retriever=self, k=k)


class HybridLangChainRetriever(BaseRetriever):
    """LangChain view: one ``Document`` per matter (empty list when out of scope)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        result: RetrievalResult = self.retriever.search(query, self.k)
        if result.out_of_scope:
            return []
        evidence = {e.matter_id: e for e in result.evidence}
        out = []
        for hit in result.matters:
            doc = self.retriever.docs.get(hit.matter_id)
            ev = evidence.get(hit.matter_id)
            out.append(
                LCDocument(
                    page_content=doc.text if doc else hit.name,
                    metadata={
                        "matter_id": hit.matter_id,
                        "name": hit.name,
                        "score": hit.score,
                        "via": hit.via,
                        "confidence": result.confidence,
                        "source": doc.source if doc else "",
                        "citations": [c.__dict__ for c in ev.citations] if ev else [],
                    },
                )
            )
        return out
