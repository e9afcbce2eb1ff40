"""Errors raised by the graph package; driver and server errors are wrapped with ``raise ... from e``.

Exception tree::

    GraphError                      root: catch this to handle any graph failure
    ├── RetryableGraphError         transient: the same call may succeed later
    │   └── GraphUnavailable        server not running / not reachable / failed to start
    ├── QueryError                  a statement was rejected (syntax, semantics, bad property values)
    │   └── ConstraintViolation     a uniqueness constraint rejected a write
    └── SchemaError                 indexes or constraints could not be created
"""

from __future__ import annotations


class GraphError(Exception):
    """Root of every error raised by ``graph``."""


class RetryableGraphError(GraphError):
    """A transient failure; retries belong in adapters, never in the store itself."""


class GraphUnavailable(RetryableGraphError):
    """The database cannot be reached (or the embedded server could not be started)."""


class QueryError(GraphError):
    """The database rejected a statement, or the caller passed values it cannot store."""


class ConstraintViolation(QueryError):
    """A write broke a uniqueness constraint (e.g. a second node with the same ``id``)."""


class SchemaError(GraphError):
    """Indexes or constraints could not be created as ``graph.schema`` declares."""
