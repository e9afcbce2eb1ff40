"""One build path for the production dialogue engine: graph → knowledge, hybrid retrieval → finder,
SQL store, optional chat model, all from ``Settings``.

The CLI (``govguide demo`` / ``eval``), the API and tests call ``build_engine``; anything already open
(a graph store, a retrieval service, a store) can be passed in and is used as is.
"""

from __future__ import annotations

from typing import Any

from dialogue.engine import Engine
from dialogue.finder import LexicalMatterFinder, RetrieverMatterFinder
from dialogue.graph_knowledge import GraphKnowledge
from dialogue.llm import build_chat_model
from dialogue.store import DialogueStore
from govguide.config import Settings
from graph.base import GraphStore


def build_store(settings: Settings, *, seed_samples: bool = True) -> DialogueStore:
    """The dialogue database of ``settings.dialogue.database_url`` (SQLite under ``data_dir`` if empty).

    ``seed_samples`` loads the fictional sample citizens and e-licences (demo and evaluation data) once.
    """
    if not settings.dialogue.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = DialogueStore(settings.dialogue.db_url(settings.data_dir))
    if seed_samples:
        store.seed_samples()
    return store


def build_engine(
    settings: Settings,
    *,
    graph_store: GraphStore | None = None,
    retrieval: Any = None,
    store: DialogueStore | None = None,
    seed_samples: bool = True,
    **engine_options: Any,
) -> Engine:
    """The production engine: graph-backed knowledge, the hybrid retriever through
    ``RetrieverMatterFinder`` (the lexical finder answers if a retrieval call fails), the SQL store and
    the configured chat model (None without one).

    Args:
        settings: the product settings (graph backend, retrieval model/index, dialogue database, LLM).
        graph_store: an open graph store; else ``graph.factory.build_graph_store(settings)`` (the caller
            owns closing it).
        retrieval: a ``retrieval.service.RetrievalService`` (or anything with its ``search``); else built
            with ``RetrievalService.from_graph(graph_store, settings)`` (loads the embedder, opens or
            rebuilds the vector index under ``data_dir``).
        store: an open ``DialogueStore``; else ``build_store(settings, seed_samples=seed_samples)``.
        seed_samples: load the sample citizens into a newly built store.
        **engine_options: passed to ``Engine`` (e.g. ``today`` for reproducible evaluations).

    Raises:
        graph.errors.GraphError: the graph cannot be reached.
        dialogue.errors.StoreError: the database cannot be opened.
        dialogue.errors.LLMError: the configured chat model cannot be built.
    """
    if graph_store is None:
        from graph.factory import build_graph_store

        graph_store = build_graph_store(settings)
    knowledge = GraphKnowledge(graph_store)
    if retrieval is None:
        from retrieval.service import RetrievalService

        retrieval = RetrievalService.from_graph(graph_store, settings)
    finder = RetrieverMatterFinder(retrieval, LexicalMatterFinder(knowledge))
    if store is None:
        store = build_store(settings, seed_samples=seed_samples)
    chat_model = build_chat_model(settings.llm)
    options: dict[str, Any] = {
        "llm_timeout_s": settings.llm.timeout_s,
        "session_ttl_s": settings.dialogue.session_ttl_s,
        "secrets": [s for s in (settings.llm.api_key.get_secret_value(),) if s and s != "not-needed"],
    }
    options.update(engine_options)
    return Engine(knowledge, finder, store, chat_model, **options)
