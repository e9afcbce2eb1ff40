"""API fixtures: an app over the corpus-backed engine (fast), and one over a real embedded graph with the
hybrid retriever (fake embedder) for curation tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.db import ApiDatabase
from api.runtime import Runtime, runtime_for_engine
from corpus.loader import Corpus, load_corpus
from dialogue.engine import Engine
from dialogue.finder import LexicalMatterFinder
from dialogue.knowledge import CorpusKnowledge
from dialogue.store import DialogueStore
from dialogue.testing import assemble_corpus_dir
from govguide.config import Settings

ADMIN_PASSWORD = "admin-pass-123"


@pytest.fixture(scope="session")
def api_corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble_corpus_dir(tmp_path_factory.mktemp("api-corpus"))


@pytest.fixture(scope="session")
def api_corpus(api_corpus_dir: Path) -> Corpus:
    return load_corpus(api_corpus_dir)


def make_settings(data_dir: Path, corpus_dir: Path, **api: Any) -> Settings:
    return Settings(
        data_dir=data_dir,
        corpus_dir=corpus_dir,
        api={"admin_password": ADMIN_PASSWORD, "rate_limit_per_minute": 10_000, **api},
    )


@pytest.fixture()
def make_client(tmp_path: Path, api_corpus: Corpus, api_corpus_dir: Path):  # type: ignore[no-untyped-def]
    """Factory: a TestClient over a corpus-backed engine; keyword args go to ApiSettings."""
    clients: list[TestClient] = []

    def factory(**api: Any) -> TestClient:
        knowledge = CorpusKnowledge(api_corpus)
        store = DialogueStore(f"sqlite:///{tmp_path / f'd{len(clients)}.db'}")
        store.seed_samples()
        engine = Engine(knowledge, LexicalMatterFinder(knowledge), store)
        settings = make_settings(tmp_path / "data", api_corpus_dir, **api)
        rt = runtime_for_engine(
            engine, settings, db=ApiDatabase(f"sqlite:///{tmp_path / f'a{len(clients)}.db'}")
        )
        client = TestClient(create_app(settings, runtime=rt))
        clients.append(client)
        return client

    yield factory
    for c in clients:
        c.close()


@pytest.fixture()
def client(make_client) -> TestClient:  # type: ignore[no-untyped-def]
    return make_client()


def token(client: TestClient, user: str = "admin", password: str = ADMIN_PASSWORD) -> dict[str, str]:
    r = client.post("/auth/token", data={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture()
def login():  # type: ignore[no-untyped-def]
    """``login(client, user="admin", password=...)`` -> bearer headers."""
    return token


@pytest.fixture(scope="module")
def graph_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A real embedded FalkorDB with the dialogue catalogue ingested, graph knowledge, hybrid retrieval."""
    from corpus.ingest import ingest_corpus
    from dialogue.finder import RetrieverMatterFinder
    from dialogue.graph_knowledge import GraphKnowledge
    from graph.falkor import FalkorDBGraphStore
    from graph.falkor_server import FalkorServer
    from retrieval.service import RetrievalService
    from retrieval.testing import FakeEmbedder

    short = Path(tempfile.mkdtemp(prefix="gg-api-", dir="/tmp"))  # unix socket paths must stay short
    corpus_dir = assemble_corpus_dir(tmp_path_factory.mktemp("graph-corpus"))
    server = FalkorServer(short / "falkordb").ensure_running()
    graph = FalkorDBGraphStore.from_server(server, "apitest")
    graph.clear()
    ingest_corpus(graph, load_corpus(corpus_dir))
    settings = make_settings(short, corpus_dir)
    service = RetrievalService.from_graph(graph, settings, embedder=FakeEmbedder())
    knowledge = GraphKnowledge(graph)
    store = DialogueStore(f"sqlite:///{short / 'dialogue.db'}")
    store.seed_samples()

    def make_engine() -> Engine:
        return Engine(knowledge, RetrieverMatterFinder(service, LexicalMatterFinder(knowledge)), store)

    rt = runtime_for_engine(
        make_engine(),
        settings,
        db=ApiDatabase(f"sqlite:///{short / 'api.db'}"),
        make_engine=make_engine,
        graph=graph,
        indexer=service,
    )
    try:
        yield rt
    finally:
        graph.close()
        server.stop()
        shutil.rmtree(short, ignore_errors=True)


@pytest.fixture()
def graph_client(graph_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(graph_runtime.settings, runtime=graph_runtime)) as c:
        yield c
