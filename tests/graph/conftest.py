"""Graph fixtures: a fresh store per test, parametrised over the backends (embedded always, Neo4j opt-in)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.base import GraphStore
from graph.falkor import FalkorDBGraphStore
from graph.falkor_server import FalkorServer

NEO4J_SKIP = "GOVGUIDE_NEO4J_URI not set: no Neo4j 5 server here"


@pytest.fixture()
def data_dir() -> Iterator[Path]:
    """A short private directory (unix socket paths are limited to 107 bytes; tmp_path may be longer)."""
    path = Path(tempfile.mkdtemp(prefix="gg-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture()
def server(data_dir: Path) -> Iterator[FalkorServer]:
    srv = FalkorServer(data_dir / "falkordb").ensure_running()
    try:
        yield srv
    finally:
        srv.stop()


def _neo4j_store() -> GraphStore:
    uri = os.environ.get("GOVGUIDE_NEO4J_URI")
    if not uri:
        pytest.skip(NEO4J_SKIP)
    from graph.neo4j_store import Neo4jGraphStore

    return Neo4jGraphStore(
        uri,
        os.environ.get("GOVGUIDE_NEO4J_USER", "neo4j"),
        os.environ.get("GOVGUIDE_NEO4J_PASSWORD", "neo4j"),
        database=os.environ.get("GOVGUIDE_NEO4J_DATABASE", "neo4j"),
    )


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """An empty graph with the schema applied."""
    if request.param == "embedded":
        srv: FalkorServer = request.getfixturevalue("server")
        s: GraphStore = FalkorDBGraphStore.from_server(srv, "test")
    else:
        s = _neo4j_store()
        s.clear()
    s.ensure_schema()
    try:
        yield s
    finally:
        if request.param == "neo4j":
            s.clear()
        s.close()
