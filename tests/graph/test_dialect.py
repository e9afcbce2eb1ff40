"""Dialect differences, and the package's public surface."""

from __future__ import annotations

import graph
from graph.dialect import EMBEDDED, NEO4J, dialect_for
from graph.schema import NODES


def test_dialects_are_selected_by_backend_name() -> None:
    assert dialect_for("embedded") is EMBEDDED and dialect_for("neo4j") is NEO4J
    assert (EMBEDDED.atomic, NEO4J.atomic) == ("snapshot", "transaction")


def test_neo4j_ddl_is_idempotent_cypher() -> None:
    stmts = NEO4J.schema_statements("neo4j")
    assert all(s.cypher and not s.command and "IF NOT EXISTS" in s.cypher for s in stmts)
    constraints = [s.cypher for s in stmts if "CONSTRAINT" in s.cypher]
    assert len(constraints) == len(NODES)
    assert "FOR (n:Matter) REQUIRE n.id IS UNIQUE" in " ".join(constraints)
    fulltext = [s.cypher for s in stmts if "FULLTEXT" in s.cypher]
    assert len(fulltext) == sum(1 for n in NODES if n.fulltext)
    assert all("'cjk'" in s for s in fulltext)


def test_falkordb_ddl_orders_fulltext_before_range_indexes_and_uses_the_constraint_command() -> None:
    stmts = EMBEDDED.schema_statements("govguide")
    kinds = ["fulltext" if "fulltext" in s.cypher else "range" if s.cypher else "constraint" for s in stmts]
    # The full-text language is fixed when a label's first index is created: full-text must come first.
    assert kinds == sorted(kinds, key=["fulltext", "range", "constraint"].index)
    assert not any("IF NOT EXISTS" in s.cypher for s in stmts)
    assert all("language: 'chinese'" in s.cypher for s in stmts if "fulltext" in s.cypher)
    constraint = next(s.command for s in stmts if s.command)
    assert constraint[:6] == ("GRAPH.CONSTRAINT", "CREATE", "govguide", "UNIQUE", "NODE", NODES[0].label)
    assert sum(1 for s in stmts if s.command) == len(NODES)
    assert EMBEDDED.is_benign_schema_error("Attribute 'id' is already indexed")
    assert EMBEDDED.is_benign_schema_error("Constraint already exists")
    assert not EMBEDDED.is_benign_schema_error("Can not override index configuration")


def test_fulltext_calls_differ_only_in_the_dialect() -> None:
    assert "db.index.fulltext.queryNodes" in NEO4J.fulltext_query()
    assert "db.idx.fulltext.queryNodes" in EMBEDDED.fulltext_query()
    assert NEO4J.fulltext_index_arg("Matter") == "ft_matter_text"
    assert EMBEDDED.fulltext_index_arg("Matter") == "Matter"
    # Query operators typed by a citizen are neutralised; terms are OR-ed in each syntax.
    assert NEO4J.fulltext_text('结婚 "登记" AND-x*') == "结婚 OR 登记 OR AND OR x"
    assert EMBEDDED.fulltext_text("结婚 登记|@x") == "结婚* | 登记* | x"
    # FalkorDB matches query words as given: Chinese is segmented and words are OR-ed as prefixes.
    assert EMBEDDED.fulltext_text("户口迁移？") == "户口迁移* | 户口* | 迁移*"


def test_public_api_is_sorted_and_importable() -> None:
    assert graph.__all__ == sorted(graph.__all__)
    for name in graph.__all__:
        assert getattr(graph, name) is not None
