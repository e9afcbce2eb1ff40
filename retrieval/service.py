"""RetrievalService: builds the hybrid retriever from a GraphStore + Settings and keeps it in step with
curator edits.

On start it opens the persisted FAISS index if its manifest matches (corpus version of the graph, model
name, dimension) and holds exactly the catalogue's documents; otherwise it rebuilds and saves it.
``sync_record`` / ``remove_record`` apply one curator edit incrementally (one embedding call, no rebuild).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from govguide.config import Settings
from graph.base import GraphStore
from graph.queries import entity_names, list_faqs, list_matters, list_policies, matter_detail
from retrieval.base import Document, Embedder, RetrievalResult
from retrieval.bm25 import add_user_words, user_dictionary
from retrieval.documents import (
    base_id,
    build_documents,
    faq_document,
    is_phrase,
    matter_document,
    phrase_documents,
    policy_document,
)
from retrieval.embeddings import build_embedder
from retrieval.errors import IndexVersionMismatch, UnknownRecordError, VectorIndexError
from retrieval.expansion import GraphExpander
from retrieval.fusion import FusionParams
from retrieval.graph_queries import graph_corpus_version, group_members
from retrieval.hybrid import HybridRetriever, RetrieverParams
from retrieval.linking import EntityLinker, EntityName
from retrieval.oos import OOSModel
from retrieval.ranker import LinearRanker
from retrieval.text_classifier import CharNgramClassifier
from retrieval.vector_index import EXACT_LIMIT, FaissVectorIndex

log = logging.getLogger(__name__)
TUNED_FILE = Path(__file__).with_name("tuned.json")
KINDS = ("matter", "faq", "policy")
CLASSIFIERS = ("matter_classifier", "question_form")  # RetrieverParams fields stored as .npz files


def load_params(path: Path = TUNED_FILE) -> RetrieverParams:
    """Fusion weights and out-of-scope model tuned on the dev split (defaults when the file is absent)."""
    if not path.exists():
        return RetrieverParams()
    data = json.loads(path.read_text(encoding="utf-8"))
    fusion = FusionParams.from_dict(data["fusion"])
    ranker = None
    if data.get("ranker"):
        try:
            ranker = LinearRanker.from_dict(data["ranker"])
        except ValueError as e:  # saved by other code: serve with score fusion rather than not at all
            log.warning("ignoring the saved ranker (%s); retrain it (see retrieval.tuning)", e)
            fusion = FusionParams()
    oos = OOSModel.from_dict(data["oos"])
    classifiers = {
        kind: CharNgramClassifier.load(_classifier_file(path, kind))
        for kind in CLASSIFIERS
        if _classifier_file(path, kind).exists()
    }
    form = classifiers.get("question_form")
    if "form_in_scope" in oos.features and form is None:
        raise ValueError(f"{path}: the out-of-scope model needs {_classifier_file(path, 'question_form')}")
    matter = classifiers.get("matter_classifier")
    if ranker is not None and matter is None:
        log.warning("no matter classifier beside %s: the ranker's classifier features will be 0", path)
    return RetrieverParams(
        fusion=fusion, oos=oos, ranker=ranker, matter_classifier=matter, question_form=form
    )


def _classifier_file(path: Path, kind: str) -> Path:
    return path.with_name(f"{path.stem}_{kind}.npz")


def save_params(params: RetrieverParams, path: Path = TUNED_FILE, **info: Any) -> None:
    """Write ``tuned.json`` and, beside it, the question classifiers (``tuned_<kind>.npz``)."""
    payload = {"fusion": params.fusion.as_dict(), "oos": params.oos.as_dict(), **info}
    if params.ranker is not None:
        payload["ranker"] = params.ranker.as_dict()
    for kind in CLASSIFIERS:
        model: CharNgramClassifier | None = getattr(params, kind)
        if model is not None:
            model.save(_classifier_file(path, kind))
            payload.setdefault("classifiers", {})[kind] = model.info
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def entity_catalogue(store: GraphStore, matters: Sequence[Any]) -> list[EntityName]:
    """Matters with their colloquial phrasings, plus departments, windows, themes, bundles, locations."""
    names = [EntityName("matter", m.id, m.name, tuple(m.aliases) + tuple(m.colloquial)) for m in matters]
    for e in entity_names(store):
        if e.label != "Matter":
            names.append(EntityName(e.label.lower(), e.id, e.name, tuple(a for a in e.aliases if a)))
    return names


def open_or_build_index(
    directory: Path,
    docs: Sequence[Document],
    embedder: Embedder,
    corpus_version: str,
    *,
    exact_limit: int = EXACT_LIMIT,
) -> tuple[FaissVectorIndex, str]:
    """Open the saved index when it matches, else rebuild; returns it and "opened" / "rebuilt: <why>"."""
    expect = {"corpus_version": corpus_version, "model": embedder.name}
    try:
        index = FaissVectorIndex.open(directory, expect=expect, exact_limit=exact_limit)
        if index.dim == embedder.dim and set(index.doc_ids()) == {d.id for d in docs}:
            return index, "opened"
        why = "documents differ from the catalogue"
    except IndexVersionMismatch as e:
        why = f"version mismatch ({e.found} != {e.expected})"
    except VectorIndexError as e:
        why = f"no usable index ({e})"
    vectors = embedder.embed_passages([d.text for d in docs])
    index = FaissVectorIndex.build(
        [d.id for d in docs], vectors, exact_limit=exact_limit, meta={**expect, "dim": embedder.dim}
    )
    index.save(directory)
    log.info("vector index rebuilt: %s", why)
    return index, f"rebuilt: {why}"


class RetrievalService:
    """The retrieval facade the dialogue and API use."""

    def __init__(self, store: GraphStore, retriever: HybridRetriever, index_dir: Path, status: str) -> None:
        self.store = store
        self.retriever = retriever
        self.index_dir = index_dir
        self.status = status  # how the index was obtained at start ("opened" / "rebuilt: ...")

    @classmethod
    def from_graph(
        cls,
        store: GraphStore,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        params: RetrieverParams | None = None,
        expand_limit: int = 3,
    ) -> RetrievalService:
        """Build everything from the graph: documents, user dictionary, linker, index, expander."""
        if embedder is None:
            embedder = build_embedder(settings)
        matters = list_matters(store)
        docs = build_documents(matters, list_faqs(store), list_policies(store))
        add_user_words(user_dictionary((m.name, [*m.aliases, *m.colloquial]) for m in matters))
        version = graph_corpus_version(store) or "unversioned"
        index_dir = Path(settings.data_dir) / settings.retrieval.index_subdir
        exact_limit = settings.retrieval.exact_limit
        index, status = open_or_build_index(index_dir, docs, embedder, version, exact_limit=exact_limit)
        retriever = HybridRetriever(
            embedder,
            index,
            docs,
            linker=EntityLinker.from_names(entity_catalogue(store, matters)),
            groups=group_members(store),
            params=params or load_params(),
            expander=GraphExpander(store, expand_limit),
        )
        return cls(store, retriever, index_dir, status)

    def search(self, query: str, k: int = 5, *, expand: bool = True) -> RetrievalResult:
        return self.retriever.search(query, k, expand=expand)

    # ---- curator edits -------------------------------------------------------------------------
    def _refresh_version(self, persist: bool) -> None:
        self.retriever.index.meta["corpus_version"] = graph_corpus_version(self.store) or "unversioned"  # type: ignore[attr-defined]
        if persist:
            self.retriever.index.save(self.index_dir)  # type: ignore[attr-defined]

    def _record_document(self, kind: str, record_id: str) -> Document | None:
        if kind == "matter":
            detail = matter_detail(self.store, record_id)
            if detail is None:
                return None
            return matter_document(detail)
        if kind == "faq":
            found = [f for f in list_faqs(self.store) if f.id == record_id]
            return faq_document(found[0]) if found else None
        if kind == "policy":
            found_p = [p for p in list_policies(self.store) if p.id == record_id]
            return policy_document(found_p[0]) if found_p else None
        raise UnknownRecordError(f"unknown record kind {kind!r} (expected one of {KINDS})")

    def sync_record(self, kind: str, record_id: str, *, persist: bool = True) -> Document:
        """Re-read one edited (or new) record from the graph and update every index in place.

        ``persist=False`` updates memory only: other API workers following an edit leave the saving to
        the worker that made it (several processes must not write the same index files).

        Raises:
            UnknownRecordError: the graph has no such record (use ``remove_record`` for deletions).
        """
        doc = self._record_document(kind, record_id)
        if doc is None:
            raise UnknownRecordError(f"{kind} {record_id!r} is not in the graph")
        known = {d for d, x in self.retriever.docs.items() if x.kind == "matter"}
        if kind != "matter":
            doc = Document(
                doc.id,
                doc.kind,
                doc.text,
                tuple(m for m in doc.matter_ids if m in known),
                doc.title,
                doc.source,
            )
            if not doc.matter_ids:
                raise UnknownRecordError(f"{kind} {record_id!r} is about no indexed matter")
        if kind == "matter":
            detail = matter_detail(self.store, record_id)
            assert detail is not None
            phrases = phrase_documents(detail)
            stale = [d for d in self.retriever.docs if is_phrase(d) and base_id(d) == record_id]
            self.retriever.remove_documents([d for d in stale if d not in {p.id for p in phrases}])
            self.retriever.upsert_documents([doc, *phrases])
            names = [*detail.aliases, *detail.colloquial]
            add_user_words(user_dictionary([(detail.name, names)]))
            self.retriever.linker.add(EntityName("matter", detail.id, detail.name, tuple(names)))
            for theme in detail.themes:
                members = self.retriever.groups.setdefault(theme.id, [])
                if record_id not in members:
                    members.append(record_id)
        else:
            self.retriever.upsert_documents([doc])
        self._refresh_version(persist)
        return doc

    def remove_record(self, kind: str, record_id: str, *, persist: bool = True) -> list[str]:
        """Remove one deleted record everywhere; a matter also leaves the FAQs/policies that named it."""
        if kind not in KINDS:
            raise UnknownRecordError(f"unknown record kind {kind!r} (expected one of {KINDS})")
        if kind == "matter":
            removed = self.retriever.forget_matter(record_id)
        else:
            removed = [record_id] if self.retriever.remove_documents([record_id]) else []
        self._refresh_version(persist)
        return removed
