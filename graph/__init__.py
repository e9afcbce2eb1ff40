"""GovGuide knowledge graph: the GraphStore interface, its backends, shared queries and writers.

Backends: ``FalkorDBGraphStore`` (embedded default, a FalkorDB server on a unix socket) and
``Neo4jGraphStore`` (Neo4j 5). Build the configured one with ``build_graph_store(settings)``.
"""

from graph.backup import export_graph, import_graph
from graph.base import GraphStats, GraphStore, Row, WriteSummary
from graph.dialect import Dialect, dialect_for
from graph.errors import (
    ConstraintViolation,
    GraphError,
    GraphUnavailable,
    QueryError,
    RetryableGraphError,
    SchemaError,
)
from graph.factory import build_graph_store, open_graph_store
from graph.falkor import FalkorDBGraphStore
from graph.falkor_server import FalkorServer
from graph.models import (
    EntityName,
    FAQEntry,
    LobbyGraph,
    MaterialRequirement,
    MatterDetail,
    MatterSummary,
    PolicyEntry,
    WindowInfo,
)
from graph.neo4j_store import Neo4jGraphStore
from graph.queries import (
    entity_names,
    fulltext_search,
    list_faqs,
    list_matters,
    list_policies,
    lobby_graph,
    matter_detail,
    window_location,
)
from graph.writer import delete_missing, replace_relationships, upsert_nodes

__all__ = [
    "ConstraintViolation",
    "Dialect",
    "EntityName",
    "FAQEntry",
    "FalkorDBGraphStore",
    "FalkorServer",
    "GraphError",
    "GraphStats",
    "GraphStore",
    "GraphUnavailable",
    "LobbyGraph",
    "MaterialRequirement",
    "MatterDetail",
    "MatterSummary",
    "Neo4jGraphStore",
    "PolicyEntry",
    "QueryError",
    "RetryableGraphError",
    "Row",
    "SchemaError",
    "WindowInfo",
    "WriteSummary",
    "build_graph_store",
    "delete_missing",
    "dialect_for",
    "entity_names",
    "export_graph",
    "fulltext_search",
    "import_graph",
    "list_faqs",
    "list_matters",
    "list_policies",
    "lobby_graph",
    "matter_detail",
    "open_graph_store",
    "replace_relationships",
    "upsert_nodes",
    "window_location",
]
