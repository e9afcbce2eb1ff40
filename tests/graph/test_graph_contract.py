"""One contract suite for every GraphStore backend: writes, schema, atomic blocks, backup, shared queries."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sample_graph import NODE_COUNT, NODES, REL_COUNT, RELS, load_sample, rel

from graph.backup import export_graph, import_graph
from graph.base import GraphStore
from graph.errors import ConstraintViolation, GraphError, QueryError
from graph.queries import (
    ENTITY_LABELS,
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


def _export(store: GraphStore, path: Path) -> bytes:
    export_graph(store, path)
    return path.read_bytes()


# ---------------------------------------------------------------------- writes
def test_load_creates_every_node_and_relationship(store: GraphStore) -> None:
    summary = load_sample(store)
    assert summary.nodes_created == NODE_COUNT
    assert summary.relationships_created == REL_COUNT
    stats = store.stats()
    assert sum(stats.nodes.values()) == NODE_COUNT
    assert stats.nodes["Matter"] == 2 and stats.nodes["Location"] == 3
    assert stats.relationships["REQUIRES"] == 6 and stats.relationships["ADJACENT"] == 4


def test_upserts_are_idempotent(store: GraphStore, tmp_path: Path) -> None:
    load_sample(store)
    before = _export(store, tmp_path / "a.jsonl")
    again = load_sample(store)
    assert (again.nodes_created, again.relationships_created) == (0, 0)
    assert (again.nodes_deleted, again.relationships_deleted) == (0, 0)
    assert _export(store, tmp_path / "b.jsonl") == before


def test_upsert_replaces_properties(store: GraphStore) -> None:
    upsert_nodes(store, "Material", [{"id": "mat.x", "name": "旧名称", "description": "将被删除"}])
    upsert_nodes(store, "Material", [{"id": "mat.x", "name": "新名称", "description": None}])
    rows = store.query("MATCH (n:Material {id: 'mat.x'}) RETURN properties(n) AS p")
    assert rows == [{"p": {"id": "mat.x", "name": "新名称"}}]


def test_replace_relationships_removes_stale_ones(store: GraphStore) -> None:
    load_sample(store)
    keep = [
        rel("matter.marriage", "mat.id_card", copies=2, order=0),
        rel("matter.marriage", "mat.photo", copies=3, order=1),
    ]
    summary = replace_relationships(store, "REQUIRES", "Matter", "Material", keep, ["matter.marriage"])
    assert summary.relationships_deleted == 2 and summary.relationships_created == 0
    detail = matter_detail(store, "matter.marriage")
    assert detail is not None
    assert [(m.id, m.copies) for m in detail.materials] == [("mat.id_card", 2), ("mat.photo", 3)]
    # SET r = props: properties not given any more are gone (note, when, ...) and take model defaults.
    assert detail.materials[0].note == "" and detail.materials[0].when == {}
    # Another owner's relationships are untouched.
    other = matter_detail(store, "matter.hukou_move")
    assert other is not None and [m.id for m in other.materials] == ["mat.id_card", "mat.hukou_book"]
    # Empty rows for an owner remove all of its relationships of that type.
    replace_relationships(store, "REQUIRES", "Matter", "Material", [], ["matter.hukou_move"])
    other = matter_detail(store, "matter.hukou_move")
    assert other is not None and other.materials == []


def test_replace_relationships_only_touches_the_given_target_label(store: GraphStore) -> None:
    load_sample(store)
    replace_relationships(store, "INCLUDES", "Theme", "Matter", [], ["theme.marriage"])
    rows = store.query("MATCH (:Theme)-[r:INCLUDES]->(b) RETURN labels(b)[0] AS label")
    assert rows == [{"label": "Bundle"}]


def test_replace_relationships_rejects_missing_endpoints(store: GraphStore) -> None:
    load_sample(store)
    with pytest.raises(QueryError, match="Material:mat.nope"):
        replace_relationships(
            store, "REQUIRES", "Matter", "Material", [rel("matter.marriage", "mat.nope")], ["matter.marriage"]
        )


def test_delete_missing(store: GraphStore) -> None:
    load_sample(store)
    summary = delete_missing(store, "Material", ["mat.id_card", "mat.hukou_book", "mat.photo"])
    assert summary.nodes_deleted == 1 and summary.relationships_deleted == 1
    assert store.stats().nodes["Material"] == 3


def test_writer_validates_labels_and_values(store: GraphStore) -> None:
    with pytest.raises(QueryError, match="unknown node label"):
        upsert_nodes(store, "Matter) DETACH DELETE (x", [{"id": "a"}])
    with pytest.raises(QueryError, match="'when'"):
        upsert_nodes(store, "Matter", [{"id": "m", "when": {"sit.a": ["x"]}}])
    with pytest.raises(QueryError, match="'aliases'"):
        upsert_nodes(store, "Matter", [{"id": "m", "aliases": ["a", None]}])
    with pytest.raises(QueryError, match="does not connect"):
        replace_relationships(store, "REQUIRES", "Matter", "Window", [], [])
    with pytest.raises(QueryError, match="not among the owners"):
        replace_relationships(store, "SERVED_AT", "Matter", "Window", [rel("m1", "B01")], ["m2"])
    assert store.stats().nodes == {}


# ---------------------------------------------------------------------- schema and errors
def test_ensure_schema_is_idempotent_and_enforces_unique_ids(store: GraphStore) -> None:
    store.ensure_schema()  # second run: nothing to do, no error
    load_sample(store)
    with pytest.raises(ConstraintViolation):
        store.write("CREATE (:Matter {id: 'matter.marriage', name: '重复'})")
    assert store.stats().nodes["Matter"] == 2


def test_bad_cypher_raises_query_error_with_the_statement(store: GraphStore) -> None:
    with pytest.raises(QueryError, match="rejected the statement") as info:
        store.query("MATCH (n:Matter RETURN n")
    assert "MATCH (n:Matter RETURN n" in str(info.value)
    with pytest.raises(QueryError):
        store.write("MERGE (n:Matter {id: $id}) SET n.x = $missing_param_is_fine RETURN n.nope(")


def test_health_stats_clear(store: GraphStore) -> None:
    assert store.health()
    load_sample(store)
    store.clear()
    assert store.stats().nodes == {} and store.stats().relationships == {}


# ---------------------------------------------------------------------- atomic
def test_atomic_rolls_back_on_exception(store: GraphStore, tmp_path: Path) -> None:
    load_sample(store)
    before = _export(store, tmp_path / "before.jsonl")
    with pytest.raises(RuntimeError, match="boom"), store.atomic():
        upsert_nodes(store, "Matter", [{"id": "matter.new", "name": "新事项"}])
        delete_missing(store, "Material", [])
        store.write("MATCH (m:Matter {id: 'matter.marriage'}) SET m.name = '改名'")
        raise RuntimeError("boom")
    assert _export(store, tmp_path / "after.jsonl") == before
    # The store keeps working after a rollback, constraints included.
    with pytest.raises(ConstraintViolation):
        store.write("CREATE (:Matter {id: 'matter.marriage'})")
    detail = matter_detail(store, "matter.marriage")
    assert detail is not None and detail.name == "内地居民结婚登记"


def test_atomic_commits_on_success(store: GraphStore) -> None:
    with store.atomic():
        upsert_nodes(store, "Matter", [{"id": "matter.a", "name": "甲"}])
        with store.atomic():  # nested blocks join the outer one
            upsert_nodes(store, "Matter", [{"id": "matter.b", "name": "乙"}])
    assert store.stats().nodes == {"Matter": 2}


def test_atomic_rollback_of_a_graph_created_inside_the_block(store: GraphStore) -> None:
    with pytest.raises(ValueError), store.atomic():
        upsert_nodes(store, "Matter", [{"id": "matter.a", "name": "甲"}])
        raise ValueError
    assert store.stats().nodes == {}


# ---------------------------------------------------------------------- backup
def test_backup_round_trip_is_byte_identical(store: GraphStore, tmp_path: Path) -> None:
    load_sample(store)
    first = tmp_path / "first.jsonl"
    nodes, rels = export_graph(store, first)
    assert (nodes, rels) == (NODE_COUNT, REL_COUNT)
    with pytest.raises(GraphError, match="empty graph"):
        import_graph(store, first)
    summary = import_graph(store, first, clear=True)
    assert summary.nodes_created == NODE_COUNT and summary.relationships_created == REL_COUNT
    assert _export(store, tmp_path / "second.jsonl") == first.read_bytes()
    store.clear()
    import_graph(store, first)
    assert _export(store, tmp_path / "third.jsonl") == first.read_bytes()


def test_import_of_a_broken_file_changes_nothing(store: GraphStore, tmp_path: Path) -> None:
    load_sample(store)
    good = tmp_path / "good.jsonl"
    export_graph(store, good)
    broken = tmp_path / "broken.jsonl"
    lines = good.read_text(encoding="utf-8").splitlines()
    # Drop the Window nodes: their relationships cannot be created, so the whole import must roll back.
    broken.write_text("\n".join(ln for ln in lines if '"label":"Window"' not in ln) + "\n", encoding="utf-8")
    with pytest.raises(QueryError, match="relationships"):
        import_graph(store, broken, clear=True)
    assert _export(store, tmp_path / "after.jsonl") == good.read_bytes()


# ---------------------------------------------------------------------- shared queries
def test_matter_detail_returns_the_expected_facts(store: GraphStore) -> None:
    load_sample(store)
    d = matter_detail(store, "matter.marriage")
    assert d is not None
    assert d.name == "内地居民结婚登记" and d.colloquial == ["领证", "扯证"] and d.legal_limit_days == 0
    assert d.department is not None and d.department.id == "dept.civil" and d.department.short_name == "民政"
    assert [w.id for w in d.windows] == ["B01"]
    loc = d.windows[0].location
    assert loc is not None and (loc.id, loc.floor, loc.x, loc.y) == ("loc.win_b01", 1, 12.5, 20.0)
    assert [m.id for m in d.materials] == ["mat.id_card", "mat.hukou_book", "mat.photo", "mat.proxy"]
    proxy = d.materials[-1]
    assert proxy.when == {"sit.agent": ["yes"]} and proxy.note == "仅代办时提供"
    assert d.materials[0].elicense and d.materials[0].elicense_type == "身份证"
    assert d.materials[2].copies == 3
    assert [(s.id, s.options, s.option_labels) for s in d.situations] == [
        ("sit.agent", ["yes", "no"], ["委托代办", "本人办理"])
    ]
    assert [f.id for f in d.forms] == ["form.marriage"]
    assert [f.field_id for f in d.forms[0].fields] == ["name", "id_number"]
    assert d.faq_ids == ["faq.marriage_fee"] and d.policy_ids == ["policy.marriage_reg"]
    assert [b.id for b in d.bundles] == ["bundle.newlywed"] and [t.id for t in d.themes] == ["theme.marriage"]
    assert matter_detail(store, "matter.unknown") is None


def test_matter_detail_of_a_bare_matter(store: GraphStore) -> None:
    upsert_nodes(store, "Matter", [{"id": "matter.bare", "name": "孤立事项"}])
    d = matter_detail(store, "matter.bare")
    assert d is not None and d.department is None
    assert (d.windows, d.materials, d.forms, d.situations, d.bundles) == ([], [], [], [], [])


def test_listings(store: GraphStore) -> None:
    load_sample(store)
    matters = list_matters(store)
    assert [m.id for m in matters] == ["matter.hukou_move", "matter.marriage"]
    assert (matters[1].department_id, matters[1].department_name, matters[1].window_ids) == (
        "dept.civil",
        "云溪县民政局",
        ["B01"],
    )
    faqs = list_faqs(store)
    assert [(f.id, f.matter_ids) for f in faqs] == [("faq.marriage_fee", ["matter.marriage"])]
    policies = list_policies(store)
    assert policies[0].doc_no == "国务院令第387号" and policies[0].matter_ids == ["matter.marriage"]


def test_entity_names_cover_the_linkable_labels(store: GraphStore) -> None:
    load_sample(store)
    names = entity_names(store)
    assert {e.label for e in names} == {"Matter", "Department", "Window", "Theme", "Bundle", "Location"}
    assert len(names) == sum(len(NODES[label]) for label in ENTITY_LABELS)
    by_id = {e.id: e for e in names}
    assert by_id["theme.marriage"].aliases == ["结婚"] and by_id["B01"].name == "B01号窗口"


def test_lobby_graph_and_window_location(store: GraphStore) -> None:
    load_sample(store)
    lobby = lobby_graph(store)
    assert [loc.id for loc in lobby.locations] == ["loc.entrance", "loc.win_b01", "loc.win_c01"]
    assert len(lobby.edges) == 4 and {(e.from_id, e.to_id) for e in lobby.edges} >= {
        ("loc.entrance", "loc.win_b01"),
        ("loc.win_b01", "loc.entrance"),
    }
    w = window_location(store, "C01")
    assert w is not None and w.location is not None and w.location.id == "loc.win_c01"
    assert window_location(store, "Z99") is None


def test_fulltext_search_finds_chinese_text(store: GraphStore) -> None:
    load_sample(store)
    hits = []
    for _ in range(50):  # full-text indexes are updated asynchronously on both backends
        hits = fulltext_search(store, "Policy", "婚姻登记")
        if hits:
            break
        time.sleep(0.05)
    assert [h.id for h in hits] == ["policy.marriage_reg"]
    # A sentence finds the matter even though the index holds other word boundaries.
    assert [h.id for h in fulltext_search(store, "Matter", "我想办户口迁移")] == ["matter.hukou_move"]
    assert "matter.marriage" in [h.id for h in fulltext_search(store, "Matter", "结婚")]
    assert fulltext_search(store, "FAQ", "？？") == []
    with pytest.raises(ValueError, match="no full-text index"):
        fulltext_search(store, "Window", "B01")


def test_sample_relationship_table_matches_the_schema() -> None:
    from graph.schema import RELATIONSHIPS

    for rel_type, from_label, to_label, _ in RELS:
        assert (from_label, to_label) in RELATIONSHIPS[rel_type]
