"""``Neo4jGraphStore``: production backend, a Neo4j 5 server through the official ``neo4j`` driver.

Statements outside ``atomic()`` run as auto-committed managed queries (``execute_query``, with the
driver's own retry of transient errors). Inside ``atomic()`` every ``query``/``write`` goes through one
explicit transaction that commits at the end of the block or rolls back if it raises.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import neo4j
from neo4j import exceptions as neo4j_errors
from neo4j.graph import Node, Path, Relationship

from graph.base import GraphStats, Row, WriteSummary
from graph.dialect import NEO4J, Dialect
from graph.errors import (
    ConstraintViolation,
    GraphUnavailable,
    QueryError,
    RetryableGraphError,
    SchemaError,
)
from graph.schema import NODES

STATS_NODES = "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS count"
STATS_RELS = "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS count"


class Neo4jGraphStore:
    """GraphStore over a Neo4j 5 server.

    Args:
        uri: Bolt or neo4j URI, e.g. ``bolt://127.0.0.1:7687``.
        user: Database user.
        password: The user's password (pass ``SecretStr.get_secret_value()``).
        database: Database name.
        connection_timeout_s: Socket connect timeout.
        max_retry_time_s: Upper bound for the driver's retries of transient failures.
    """

    backend = "neo4j"
    dialect: Dialect = NEO4J

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        *,
        database: str = "neo4j",
        connection_timeout_s: float = 10.0,
        max_retry_time_s: float = 5.0,
    ) -> None:
        self.uri = uri
        self.database = database
        try:
            # The driver retries transient failures of managed queries; keep that bounded (default 30 s).
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password),
                connection_timeout=connection_timeout_s,
                max_transaction_retry_time=max_retry_time_s,
            )
        except (neo4j_errors.DriverError, ValueError) as e:
            raise GraphUnavailable(f"cannot create a Neo4j driver for {uri}: {e}") from e
        self._tx: neo4j.Transaction | None = None
        self._session: neo4j.Session | None = None

    def __repr__(self) -> str:
        return f"Neo4jGraphStore({self.uri!r}, database={self.database!r})"

    # ------------------------------------------------------------------ statements
    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        def run() -> list[Row]:
            if self._tx is not None:
                result = self._tx.run(cypher, dict(params or {}))
                return [{k: _plain(v) for k, v in _items(rec)} for rec in result]
            records, _, _ = self._driver.execute_query(
                cypher, dict(params or {}), database_=self.database, routing_=neo4j.RoutingControl.READ
            )
            return [{k: _plain(v) for k, v in _items(rec)} for rec in records]

        return _mapped(run, cypher, self.uri)

    def write(self, cypher: str, params: Mapping[str, Any] | None = None) -> WriteSummary:
        def run() -> WriteSummary:
            if self._tx is not None:
                counters = self._tx.run(cypher, dict(params or {})).consume().counters
            else:
                _, summary, _ = self._driver.execute_query(
                    cypher, dict(params or {}), database_=self.database, routing_=neo4j.RoutingControl.WRITE
                )
                counters = summary.counters
            return WriteSummary(
                nodes_created=counters.nodes_created,
                nodes_deleted=counters.nodes_deleted,
                relationships_created=counters.relationships_created,
                relationships_deleted=counters.relationships_deleted,
                properties_set=counters.properties_set,
            )

        return _mapped(run, cypher, self.uri)

    # ------------------------------------------------------------------ atomic
    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """One explicit transaction for the block; nested blocks join the outermost one."""
        if self._tx is not None:
            yield
            return
        try:
            self._session = self._driver.session(database=self.database)
            self._tx = self._session.begin_transaction()
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError) as e:
            self._end_session()
            raise GraphUnavailable(f"Neo4j at {self.uri} is unreachable: {e}") from e
        try:
            yield
        except BaseException:
            with contextlib.suppress(neo4j_errors.Neo4jError, neo4j_errors.DriverError):
                self._tx.rollback()
            self._end_session()
            raise
        try:
            self._tx.commit()
        except neo4j_errors.Neo4jError as e:
            raise _query_error(e, "COMMIT") from e
        except (neo4j_errors.DriverError, OSError) as e:
            raise GraphUnavailable(f"Neo4j at {self.uri} failed during commit: {e}") from e
        finally:
            self._end_session()

    def _end_session(self) -> None:
        tx, session = self._tx, self._session
        self._tx = self._session = None
        if tx is not None:
            with contextlib.suppress(Exception):
                tx.close()
        if session is not None:
            with contextlib.suppress(Exception):
                session.close()

    # ------------------------------------------------------------------ schema and admin
    def ensure_schema(self) -> None:
        """Uniqueness constraints, range indexes and CJK full-text indexes, all ``IF NOT EXISTS``."""
        for stmt in self.dialect.schema_statements(self.database, NODES):
            try:
                self.write(stmt.cypher)
            except QueryError as e:
                raise SchemaError(f"cannot apply {stmt.cypher}: {e}") from e
        with contextlib.suppress(QueryError):  # wait until indexes are ONLINE (not on every edition)
            self.write("CALL db.awaitIndexes(60)")

    def stats(self) -> GraphStats:
        return GraphStats(
            nodes={r["label"]: r["count"] for r in self.query(STATS_NODES)},
            relationships={r["type"]: r["count"] for r in self.query(STATS_RELS)},
        )

    def clear(self) -> None:
        self.write("MATCH (n) DETACH DELETE n")

    def health(self) -> bool:
        """True when the server accepts a connection (no retries: a health check must answer fast)."""
        try:
            self._driver.verify_connectivity()
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError):
            return False
        return True

    def close(self) -> None:
        self._end_session()
        self._driver.close()


T = TypeVar("T")


def _items(record: Any) -> list[tuple[str, Any]]:
    return list(record.items())


def _mapped(run: Callable[[], T], cypher: str, uri: str) -> T:
    try:
        return run()
    except neo4j_errors.Neo4jError as e:
        if isinstance(e, neo4j_errors.TransientError):
            raise RetryableGraphError(f"Neo4j transient error: {e.message}") from e
        raise _query_error(e, cypher) from e
    except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError) as e:
        raise GraphUnavailable(f"Neo4j at {uri} is unreachable: {e}") from e
    except (neo4j_errors.DriverError, TypeError, ValueError) as e:
        raise QueryError(f"Neo4j driver rejected the statement: {e}") from e


def _query_error(e: neo4j_errors.Neo4jError, cypher: str) -> QueryError:
    shown = " ".join(cypher.split())
    shown = shown if len(shown) <= 300 else shown[:300] + " ..."
    message = f"Neo4j rejected the statement: {e.code}: {e.message} (statement: {shown})"
    if isinstance(e, neo4j_errors.ConstraintError):
        return ConstraintViolation(message)
    return QueryError(message)


def _plain(value: Any) -> Any:
    """Driver values -> plain Python: nodes/relationships become property dicts, temporals ISO strings."""
    if isinstance(value, Node | Relationship):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return {
            "nodes": [_plain(n) for n in value.nodes],
            "relationships": [_plain(r) for r in value.relationships],
        }
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "iso_format"):  # neo4j.time.Date/DateTime/Time/Duration
        return value.iso_format()
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    return value
