"""Build the configured GraphStore: the settings' discriminated union is the registry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from govguide.config import EmbeddedGraphSettings, Neo4jGraphSettings, Settings
from graph.base import GraphStore


def build_graph_store(settings: Settings) -> GraphStore:
    """Connect to the configured backend.

    The embedded branch starts the FalkorDB server under ``settings.data_dir / subdir`` or reuses the
    one already running there (shared by every process using that directory).

    Raises:
        GraphUnavailable: the server cannot be started or reached.
    """
    match settings.graph:
        case EmbeddedGraphSettings() as cfg:
            from graph.falkor import FalkorDBGraphStore
            from graph.falkor_server import FalkorServer

            server = FalkorServer(settings.data_dir / cfg.subdir, start_timeout_s=cfg.start_timeout_s)
            return FalkorDBGraphStore.from_server(server, cfg.graph_name)
        case Neo4jGraphSettings() as cfg:
            from graph.neo4j_store import Neo4jGraphStore

            return Neo4jGraphStore(cfg.uri, cfg.user, cfg.password.get_secret_value(), database=cfg.database)
        case _:  # pragma: no cover - pydantic rejects other backends before this
            raise ValueError(f"unknown graph settings {settings.graph!r}")


@contextmanager
def open_graph_store(settings: Settings) -> Iterator[GraphStore]:
    """``build_graph_store`` as a context manager: closes the connection on exit, and stops the embedded
    server if this call started it (a server reused from another process or block keeps running; its
    other users restart it on demand if they outlive this block).
    """
    store = build_graph_store(settings)
    try:
        yield store
    finally:
        store.close()
        from graph.falkor import FalkorDBGraphStore

        if isinstance(store, FalkorDBGraphStore) and store.server is not None:
            store.server.stop()  # no-op unless this process spawned it
