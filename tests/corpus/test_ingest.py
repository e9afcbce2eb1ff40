"""Ingest into the real embedded graph: counts, idempotency, deletions, all-or-nothing, matter detail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corpus.ingest import corpus_rows, ingest_corpus
from corpus.loader import load_corpus
from graph.backup import export_graph
from graph.errors import GraphError
from graph.queries import matter_detail


def _snapshot(store, tmp_path: Path, name: str) -> bytes:  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.jsonl"
    export_graph(store, path)
    return path.read_bytes()


def test_ingest_counts_match_the_corpus(embedded_store, test_corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = load_corpus(test_corpus_dir)
    report = ingest_corpus(embedded_store, corpus)
    stats = embedded_store.stats()
    assert stats.nodes["Matter"] == 2
    assert stats.nodes["Window"] == len(corpus.windows)
    assert stats.nodes["Location"] == len(corpus.lobby.locations)
    assert stats.nodes["FormField"] == sum(len(f.fields) for f in corpus.forms)
    assert stats.relationships["REQUIRES"] == sum(len(m.materials) for m in corpus.matters)
    assert stats.relationships["ADJACENT"] == 2 * len(corpus.lobby.edges)
    assert report.nodes["Matter"] == 2 and report.corpus_version == corpus.version
    assert report.changes.nodes_created == sum(report.nodes.values())


def test_second_ingest_changes_nothing(embedded_store, test_corpus_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = load_corpus(test_corpus_dir)
    ingest_corpus(embedded_store, corpus, batch_size=7)  # small batches: UNWIND batching is exercised
    before = _snapshot(embedded_store, tmp_path, "before")
    again = ingest_corpus(embedded_store, corpus, batch_size=7)
    assert again.changes.nodes_created == 0
    assert again.changes.relationships_created == 0
    assert again.changes.nodes_deleted == 0 and again.changes.relationships_deleted == 0
    assert _snapshot(embedded_store, tmp_path, "after") == before


def test_removed_records_leave_the_graph(embedded_store, test_corpus_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ingest_corpus(embedded_store, load_corpus(test_corpus_dir))
    root = tmp_path / "corpus"
    shutil.copytree(test_corpus_dir, root)
    path = root / "matters" / "health.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("- id: health.birth_cert_reissue")])
    bundles = root / "bundles.yaml"
    bundles.write_text(bundles.read_text().replace("health.birth_cert_reissue, ", ""))
    bundles.write_text(
        bundles.read_text().replace(
            "matters: [health.nurse_reregistration]",
            "matters: [health.nurse_reregistration, health.nurse_reregistration]",
        )
    )
    corpus = load_corpus(root)
    report = ingest_corpus(embedded_store, corpus)
    assert report.changes.nodes_deleted == 1
    assert matter_detail(embedded_store, "health.birth_cert_reissue") is None
    rows = embedded_store.query(
        "MATCH (:Theme {id: 'theme.birth'})-[r:INCLUDES]->(m:Matter) RETURN count(r) AS n"
    )
    assert rows == [{"n": 0}]


def test_failed_ingest_leaves_graph_unchanged(embedded_store, test_corpus_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = load_corpus(test_corpus_dir)
    ingest_corpus(embedded_store, corpus)
    before = _snapshot(embedded_store, tmp_path, "before")
    # A record whose property is not storable (a map) fails half-way through the writes.
    corpus.matters[1].fee = {"amount": 10}  # type: ignore[assignment]
    corpus.materials[0].name = "已改名"
    with pytest.raises(GraphError):
        ingest_corpus(embedded_store, corpus)
    assert _snapshot(embedded_store, tmp_path, "after") == before


def test_matter_detail_returns_the_expected_facts(embedded_store, test_corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    ingest_corpus(embedded_store, load_corpus(test_corpus_dir))
    d = matter_detail(embedded_store, "health.nurse_reregistration")
    assert d is not None
    assert d.name == "护士执业延续注册" and d.legal_limit_days == 20 and d.promised_limit_days == 5
    assert d.department is not None and d.department.name == "云溪县卫生健康局"
    [window] = d.windows
    assert window.id == "B01" and window.location is not None and window.location.id == "loc.win_b01"
    assert window.location.floor == 1
    names = [m.name for m in d.materials]
    assert names[:4] == ["申请表", "居民身份证", "护士执业证书", "护士执业健康体检证明"]
    agent = {m.id: m for m in d.materials}["mat.agent_id_card"]
    assert agent.when == {"sit.agent": ["agent"]}
    assert [s.id for s in d.situations] == ["sit.agent"]
    assert d.situations[0].options == ["self", "agent"]
    [form] = d.forms
    assert form.id == "form.nurse_registration" and [f.field_id for f in form.fields][:3] == [
        "name",
        "id_number",
        "phone",
    ]
    assert d.faq_ids and d.policy_ids == ["policy.health.nurse_regulation_10"]
    assert [b.id for b in d.bundles] == ["bundle.newborn"]
    assert d.source == "matters/health.yaml#0"


def test_rows_hold_only_graph_storable_values(test_corpus_dir: Path) -> None:
    rows = corpus_rows(load_corpus(test_corpus_dir))
    for label, node_rows in rows.nodes.items():
        for row in node_rows:
            for key, value in row.items():
                assert value is not None, (label, key)
                assert not isinstance(value, dict), (label, key)
                if isinstance(value, list):
                    assert all(isinstance(v, str | int | float | bool) for v in value), (label, key)
