"""``FalkorDBGraphStore``: the embedded default, over the ``falkordb`` client on a unix socket.

FalkorDB runs each statement atomically but has no multi-statement transactions, so ``atomic()``
snapshots the graph key (``GRAPH.COPY``) on entry and renames the snapshot back if the block raises.
Caveats (acceptable because GovGuide writes only from one ingest at a time):

* writes by other connections during a failed block are rolled back with it;
* one store must not run ``atomic()`` from several threads at once (the nesting depth is per store);
* a process killed inside a block leaves its ``<graph>.__atomic__.<id>`` snapshot key behind (visible
  in ``GRAPH.LIST``; delete it with ``DEL``); the graph itself is consistent up to the last statement.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import redis
from falkordb import FalkorDB
from falkordb.edge import Edge
from falkordb.graph import Graph
from falkordb.node import Node
from falkordb.path import Path as FalkorPath

from graph.base import GraphStats, Row, WriteSummary
from graph.dialect import EMBEDDED, Dialect
from graph.errors import ConstraintViolation, GraphError, GraphUnavailable, QueryError, SchemaError
from graph.falkor_server import FalkorServer, no_retry
from graph.schema import NODES

CONSTRAINT_WAIT_S = 10.0
EMPTY_KEY = "Invalid graph operation on empty key"
STATS_NODES = "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS count"
STATS_RELS = "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS count"


class FalkorDBGraphStore:
    """GraphStore over an embedded FalkorDB server.

    Args:
        socket_path: The server's unix socket.
        graph_name: The graph key inside the server.
        server: The launcher; when given, a lost connection restarts (or re-finds) the server once.
    """

    backend = "embedded"
    dialect: Dialect = EMBEDDED

    def __init__(self, socket_path: str, graph_name: str = "govguide", *, server: FalkorServer | None = None):
        self.graph_name = graph_name
        self.server = server
        self._socket_path = str(socket_path)
        # Connected lazily: the client talks to the server as soon as it is built.
        self._db: FalkorDB | None = None
        self._graph: Graph | None = None
        self._atomic_depth = 0

    @classmethod
    def from_server(cls, server: FalkorServer, graph_name: str = "govguide") -> FalkorDBGraphStore:
        """Start (or reuse) ``server`` and connect to it."""
        server.ensure_running()
        return cls(str(server.socket_path), graph_name, server=server)

    def __repr__(self) -> str:
        return f"FalkorDBGraphStore({self._socket_path!r}, graph={self.graph_name!r})"

    # ------------------------------------------------------------------ statements
    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run one read-only statement (GRAPH.RO_QUERY: a write here is a QueryError)."""
        try:
            result = self._run(cypher, params, read_only=True)
        except QueryError as e:
            # RO_QUERY on a graph that was never written refuses to run: it simply has no rows.
            if EMPTY_KEY in str(e) and not isinstance(e.__cause__, TypeError | ValueError):
                return []
            raise
        header = [name for _, name in result.header]
        return [{k: _plain(v) for k, v in zip(header, row, strict=True)} for row in result.result_set]

    def write(self, cypher: str, params: Mapping[str, Any] | None = None) -> WriteSummary:
        result = self._run(cypher, params, read_only=False)
        return WriteSummary(
            nodes_created=int(result.nodes_created),
            nodes_deleted=int(result.nodes_deleted),
            relationships_created=int(result.relationships_created),
            relationships_deleted=int(result.relationships_deleted),
            properties_set=int(result.properties_set),
        )

    def _run(self, cypher: str, params: Mapping[str, Any] | None, *, read_only: bool) -> Any:
        args = dict(params) if params is not None else None
        for attempt in (1, 2):
            try:
                graph = self._handle()
                return graph.ro_query(cypher, args) if read_only else graph.query(cypher, args)
            except redis.exceptions.ResponseError as e:
                raise _query_error(e, cypher) from e
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as e:
                # The shared server may have been stopped by its owner: start/reuse it once, then retry.
                # Never inside atomic(): a restarted server would not hold the snapshot.
                if attempt == 1 and self.server is not None and self._atomic_depth == 0:
                    self._recover(e)
                    continue
                raise GraphUnavailable(f"FalkorDB at {self._socket_path} is unreachable: {e}") from e
            except (TypeError, ValueError) as e:  # the client refuses some parameter values
                raise QueryError(f"cannot send parameters to FalkorDB: {e}") from e
        raise AssertionError("unreachable")

    def _recover(self, cause: Exception) -> None:
        assert self.server is not None
        try:
            self.server.ensure_running()
        except GraphError as e:
            raise GraphUnavailable(f"FalkorDB at {self._socket_path} is unreachable: {cause}") from e
        self._reconnect()

    def _handle(self) -> Graph:
        if self._graph is None:
            # Recovery (restart the shared server) is ours: no silent redis-py retries with backoff.
            self._db = FalkorDB(unix_socket_path=self._socket_path, retry=no_retry())
            self._graph = self._db.select_graph(self.graph_name)
        return self._graph

    def _reconnect(self) -> None:
        self.close()

    def _command(self, *args: Any) -> Any:
        try:
            self._handle()
            assert self._db is not None
            return self._db.execute_command(*args)
        except redis.exceptions.ResponseError as e:
            raise QueryError(f"FalkorDB rejected {args[0]}: {e}") from e
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as e:
            raise GraphUnavailable(f"FalkorDB at {self._socket_path} is unreachable: {e}") from e

    # ------------------------------------------------------------------ atomic
    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """All-or-nothing block: snapshot the graph key, restore it if the block raises.

        Nested blocks join the outermost one.
        """
        if self._atomic_depth:
            self._atomic_depth += 1
            try:
                yield
            finally:
                self._atomic_depth -= 1
            return
        snapshot = f"{self.graph_name}.__atomic__.{uuid.uuid4().hex[:12]}"
        existed = self.graph_name in self._list_graphs()
        if existed:
            self._command("GRAPH.COPY", self.graph_name, snapshot)
        self._atomic_depth = 1
        try:
            yield
        except BaseException:
            self._restore(snapshot if existed else None)
            raise
        else:
            if existed:
                self._command("DEL", snapshot)
        finally:
            self._atomic_depth = 0

    def _restore(self, snapshot: str | None) -> None:
        if snapshot is None:  # the graph did not exist before the block: remove what it created
            self._command("DEL", self.graph_name)
        else:
            self._command("RENAME", snapshot, self.graph_name)
        # The client caches label/property ids per graph; start from a fresh handle.
        assert self._db is not None
        self._graph = self._db.select_graph(self.graph_name)

    def _list_graphs(self) -> list[str]:
        return list(self._command("GRAPH.LIST") or [])

    # ------------------------------------------------------------------ schema and admin
    def ensure_schema(self) -> None:
        """Full-text (Chinese) indexes, range indexes, then uniqueness constraints; idempotent."""
        for stmt in self.dialect.schema_statements(self.graph_name, NODES):
            try:
                if stmt.command:
                    self._command(*stmt.command)
                else:
                    self.write(stmt.cypher)
            except QueryError as e:
                if self.dialect.is_benign_schema_error(str(e)):
                    continue
                raise SchemaError(
                    f"cannot apply {stmt.cypher or ' '.join(map(str, stmt.command))}: {e}"
                ) from e
        self._wait_for_constraints()

    def _wait_for_constraints(self) -> None:
        # Constraints are built asynchronously (PENDING); writes right after must already be checked.
        deadline = time.monotonic() + CONSTRAINT_WAIT_S
        while True:
            rows = self.query("CALL db.constraints() YIELD label, status RETURN label, status")
            failed = [r["label"] for r in rows if r["status"] == "FAILED"]
            if failed:
                raise SchemaError(f"uniqueness constraint on id failed (duplicate ids?) for {sorted(failed)}")
            if all(r["status"] == "OPERATIONAL" for r in rows):
                return
            if time.monotonic() > deadline:
                raise SchemaError(f"constraints still pending after {CONSTRAINT_WAIT_S}s: {rows}")
            time.sleep(0.02)

    def stats(self) -> GraphStats:
        return GraphStats(
            nodes={r["label"]: r["count"] for r in self.query(STATS_NODES)},
            relationships={r["type"]: r["count"] for r in self.query(STATS_RELS)},
        )

    def clear(self) -> None:
        self.write("MATCH (n) DETACH DELETE n")

    def health(self) -> bool:
        """True when the server answers and has the graph module (GRAPH.LIST), even before any write."""
        try:
            self._command("GRAPH.LIST")
        except GraphError:
            return False
        return True

    def close(self) -> None:
        """Close the connection; the server keeps running (its owner stops it, see ``FalkorServer``)."""
        if self._db is not None:
            self._db.close()
        self._db = None
        self._graph = None


def _query_error(e: redis.exceptions.ResponseError, cypher: str) -> QueryError:
    message = str(e)
    shown = " ".join(cypher.split())
    shown = shown if len(shown) <= 300 else shown[:300] + " ..."
    if "unique constraint violation" in message.lower():
        return ConstraintViolation(f"FalkorDB: {message} (statement: {shown})")
    if "read-only" in message.lower() or "is a write" in message.lower():
        return QueryError(f"FalkorDB: {message}; use GraphStore.write() for writes (statement: {shown})")
    return QueryError(f"FalkorDB rejected the statement: {message} (statement: {shown})")


def _plain(value: Any) -> Any:
    """Driver values -> plain Python (maps and lists recursively; nodes/edges become their properties)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Node | Edge):
        return {str(k): _plain(v) for k, v in (value.properties or {}).items()}
    if isinstance(value, FalkorPath):
        return {
            "nodes": [_plain(n) for n in value.nodes()],
            "relationships": [_plain(r) for r in value.edges()],
        }
    return value
