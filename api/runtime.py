"""Everything the app serves with, built once from Settings (``build_runtime``) or injected by tests.

The engine is rebuilt after each curator edit (``Runtime.refresh``): the dialogue engine caches the
material names and places it checks answers against, and the lexical finder caches surface forms, so
a fresh engine over the refreshed knowledge is what makes an edit visible in the next answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from api.auth import Auth
from api.db import ApiDatabase
from api.errors import Conflict
from api.sync import ChangeFollower
from dialogue.base import Knowledge
from dialogue.engine import Engine
from dialogue.store import DialogueStore
from govguide.config import Settings

log = logging.getLogger(__name__)


class Indexer(Protocol):
    """The incremental side of ``retrieval.service.RetrievalService`` the curation service needs."""

    def sync_record(self, kind: str, record_id: str, *, persist: bool = True) -> Any: ...

    def remove_record(self, kind: str, record_id: str, *, persist: bool = True) -> list[str]: ...


class Refreshable(Protocol):
    def refresh(self, matter_ids: list[str] | None = None) -> None: ...


@dataclass
class Runtime:
    """The live objects behind the app; ``engine`` is swapped atomically by ``refresh``."""

    engine: Engine
    store: DialogueStore
    db: ApiDatabase
    auth: Auth
    settings: Settings
    make_engine: Callable[[], Engine] | None = None
    graph: Any = None  # graph.base.GraphStore when curation is enabled
    indexer: Indexer | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    # Follows curator edits made by other API workers (api.sync); set by the app when it serves.
    follower: ChangeFollower | None = None
    # Serialises changes to the served state (index, knowledge, engine) from requests and the feed.
    change_lock: threading.RLock = field(default_factory=threading.RLock)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def knowledge(self) -> Knowledge:
        return self.engine.knowledge

    def refresh(self, matter_ids: list[str] | None = None) -> None:
        """Re-read edited matters and swap in a new engine (in-flight turns finish on the old one)."""
        with self._lock:
            knowledge = self.engine.knowledge
            if hasattr(knowledge, "refresh"):
                knowledge.refresh(matter_ids)
            if self.make_engine is not None:
                self.engine = self.make_engine()

    def readiness(self) -> dict[str, Any]:
        """Per-component checks; the app is ready when all are true."""
        checks: dict[str, Any] = {"knowledge": bool(self.knowledge.matter_ids())}
        try:
            self.store.load_session("__ready__")
            checks["database"] = True
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            checks["database"] = False
        if self.graph is not None:
            try:
                checks["graph"] = bool(self.graph.health())
            except Exception:  # noqa: BLE001
                checks["graph"] = False
        if self.graph is not None and self.settings.api.finder == "hybrid":
            checks["index"] = self.indexer is not None
        return checks

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception as e:  # noqa: BLE001 - shutting down: log and go on
                log.warning("close failed: %s", e)


def make_auth(db: ApiDatabase, settings: Settings) -> Auth:
    """Auth over ``db``; bootstraps the first admin from settings when there are no users yet."""
    auth = Auth(db, settings.api.jwt_secret.get_secret_value(), settings.api.jwt_ttl_s)
    password = settings.api.admin_password.get_secret_value()
    if password and not auth.has_users():
        try:
            auth.create_user(settings.api.admin_user, password, "admin")
        except Conflict:
            pass  # several workers start at once: one of them created it
    return auth


def runtime_for_engine(
    engine: Engine,
    settings: Settings,
    *,
    db: ApiDatabase | None = None,
    make_engine: Callable[[], Engine] | None = None,
    graph: Any = None,
    indexer: Indexer | None = None,
) -> Runtime:
    """A runtime around an engine the caller built (tests, benchmarks, embedding GovGuide elsewhere)."""
    db = db or ApiDatabase("sqlite://")
    return Runtime(
        engine=engine,
        store=engine.store,
        db=db,
        auth=make_auth(db, settings),
        settings=settings,
        make_engine=make_engine,
        graph=graph,
        indexer=indexer,
    )


def build_runtime(settings: Settings) -> Runtime:
    """The production wiring: graph → knowledge, hybrid retrieval (lexical fallback), SQL store, engine.

    Raises:
        graph.errors.GraphError: the graph cannot be reached.
        RuntimeError: the graph holds no matters (run ``govguide ingest`` first).
    """
    from dialogue.finder import LexicalMatterFinder, RetrieverMatterFinder
    from dialogue.graph_knowledge import GraphKnowledge
    from graph.factory import build_graph_store

    graph = build_graph_store(settings)
    closers: list[Callable[[], None]] = [graph.close]
    server = getattr(graph, "server", None)
    if server is not None:
        closers.append(server.stop)  # no-op unless this process started it
    knowledge = GraphKnowledge(graph)
    if not knowledge.matter_ids():
        for c in reversed(closers):
            c()
        raise RuntimeError("the graph holds no matters: run `govguide ingest` first")
    indexer = None
    if settings.api.finder == "hybrid":
        import torch

        from retrieval.service import RetrievalService

        torch.set_num_threads(settings.api.torch_threads)

        indexer = RetrievalService.from_graph(graph, settings)
    from dialogue.factory import build_store
    from dialogue.llm import build_chat_model

    store = build_store(settings)  # settings.dialogue.database_url (SQLite under data_dir by default)
    closers.append(store.close)
    db = ApiDatabase(settings.dialogue.db_url(settings.data_dir))  # the API's tables live beside it
    closers.append(db.close)
    chat_model = build_chat_model(settings.llm)  # None (the default) = grounded deterministic answers
    secrets = [s for s in (settings.llm.api_key.get_secret_value(),) if s and s != "not-needed"]

    def make_engine() -> Engine:
        # Same options as dialogue.factory.build_engine, over the one cached knowledge object that
        # curation refreshes (build_engine would re-read the whole graph on every edit).
        lexical = LexicalMatterFinder(knowledge)
        finder = RetrieverMatterFinder(indexer, lexical) if indexer is not None else lexical
        return Engine(
            knowledge,
            finder,
            store,
            chat_model,
            llm_timeout_s=settings.llm.timeout_s,
            session_ttl_s=settings.dialogue.session_ttl_s,
            secrets=secrets,
        )

    rt = Runtime(
        engine=make_engine(),
        store=store,
        db=db,
        auth=make_auth(db, settings),
        settings=settings,
        make_engine=make_engine,
        graph=graph,
        indexer=indexer,
        closers=closers,
    )
    return rt
