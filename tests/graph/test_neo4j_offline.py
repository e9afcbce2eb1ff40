"""Neo4jGraphStore behaviour that needs no server: unreachable database errors and value conversion."""

from __future__ import annotations

import socket

import pytest

from graph.errors import GraphUnavailable
from graph.neo4j_store import Neo4jGraphStore


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_neo4j_is_graph_unavailable_quickly() -> None:
    store = Neo4jGraphStore(
        f"bolt://127.0.0.1:{_closed_port()}", "neo4j", "x", connection_timeout_s=1, max_retry_time_s=0
    )
    try:
        assert not store.health()
        with pytest.raises(GraphUnavailable, match="unreachable"):
            store.query("RETURN 1 AS ok")
        with pytest.raises(GraphUnavailable, match="unreachable"):
            store.write("CREATE (:Matter {id: 'x'})")
        with pytest.raises(GraphUnavailable), store.atomic():
            pass
    finally:
        store.close()


def test_bad_uri_is_graph_unavailable() -> None:
    with pytest.raises(GraphUnavailable, match="cannot create a Neo4j driver"):
        Neo4jGraphStore("nonsense://x", "neo4j", "x")
