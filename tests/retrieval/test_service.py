"""RetrievalService over the embedded graph and the test corpus: index lifecycle, curator edits, evidence."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from corpus.ingest import ingest_corpus
from corpus.loader import load_corpus
from retrieval.errors import UnknownRecordError
from retrieval.hybrid import RetrieverParams
from retrieval.oos import OOSModel
from retrieval.service import RetrievalService
from retrieval.testing import FakeEmbedder
from retrieval.vector_index import MANIFEST_FILE

NURSE = "health.nurse_reregistration"
BIRTH = "health.birth_cert_reissue"


@pytest.fixture()
def env(tmp_path: Path, test_corpus_dir: Path) -> Iterator[dict[str, Any]]:
    from govguide.config import EmbeddedGraphSettings, Settings
    from graph.factory import open_graph_store

    corpus_dir = tmp_path / "corpus"
    shutil.copytree(test_corpus_dir, corpus_dir)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_dir, graph=EmbeddedGraphSettings())
    with open_graph_store(settings) as store:
        ingest_corpus(store, load_corpus(corpus_dir))
        yield {"store": store, "settings": settings, "corpus_dir": corpus_dir}


def service(env: dict[str, Any], embedder: FakeEmbedder | None = None) -> RetrievalService:
    params = RetrieverParams(oos=OOSModel(weights=[0.0] * 6, bias=5.0))
    return RetrievalService.from_graph(
        env["store"], env["settings"], embedder=embedder or FakeEmbedder(), params=params
    )


def edit_matter(env: dict[str, Any], matter_id: str, **changes: Any) -> None:
    """A curator edit: change the YAML, re-ingest (the graph and its corpus version change)."""
    path = env["corpus_dir"] / "matters" / "health.yaml"
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    for r in records:
        if r["id"] == matter_id:
            r.update(changes)
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")
    ingest_corpus(env["store"], load_corpus(env["corpus_dir"]))


def test_index_is_reused_then_rebuilt_on_version_mismatch(env: dict[str, Any]) -> None:
    first = service(env)
    assert (
        first.status.startswith("rebuilt")
        and len(first.retriever.index) == 5 + 5 + 3  # records + phrase views
    )  # 2 matters, 2 FAQs, 1 policy
    emb = FakeEmbedder()
    assert service(env, emb).status == "opened" and emb.calls == []  # nothing re-embedded
    manifest_path = first.index_dir / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    manifest["corpus_version"] = "stale"
    manifest_path.write_text(json.dumps(manifest))
    again = service(env)
    assert again.status.startswith("rebuilt: version mismatch")
    assert json.loads(manifest_path.read_text())["corpus_version"] != "stale"


def test_search_returns_evidence_with_citations(env: dict[str, Any]) -> None:
    svc = service(env)
    result = svc.search("护士证到期了怎么办")
    assert result.matter_ids[0] == NURSE
    ev = result.evidence[0]
    assert ev.windows[0]["id"] == "B01" and ev.windows[0]["location"]["id"]
    assert ev.department and ev.department["id"] == "dept.health"
    assert {m["id"] for m in ev.materials} >= {"mat.id_card", "health.mat.nurse_license"}
    assert any(m["when"] == {"sit.agent": ["agent"]} for m in ev.materials)
    labels = {c.label for c in ev.citations}
    assert {"Matter", "Window", "Material", "Situation"} <= labels
    assert ev.citations[0].source.startswith("matters/health.yaml#")
    assert ev.facts["promised_limit_days"] == 5


def test_sync_record_is_incremental_and_visible(env: dict[str, Any]) -> None:
    emb = FakeEmbedder()
    svc = service(env, emb)
    before = len(emb.calls)
    edit_matter(env, BIRTH, colloquial=["小孩出生证明掉了找不到了"])
    svc.sync_record("matter", BIRTH)
    assert emb.calls[before:] == [("passage", 3)]  # the matter text, its name and its one phrase only
    assert (
        f"{BIRTH}#c0" in svc.retriever.index and f"{BIRTH}#c1" not in svc.retriever.index
    )  # stale view gone
    assert svc.search("小孩出生证明掉了找不到了").matter_ids[0] == BIRTH
    manifest = json.loads((svc.index_dir / MANIFEST_FILE).read_text())
    assert manifest["corpus_version"] == load_corpus(env["corpus_dir"]).version
    assert service(env).status == "opened"  # the saved index matches the new version
    with pytest.raises(UnknownRecordError):
        svc.sync_record("matter", "health.nope")
    with pytest.raises(UnknownRecordError):
        svc.sync_record("window", "B01")


def test_removed_matter_never_comes_back(env: dict[str, Any]) -> None:
    svc = service(env)
    env["store"].write("MATCH (m:Matter {id: $id}) DETACH DELETE m", {"id": NURSE})  # the curator's deletion
    removed = svc.remove_record("matter", NURSE)
    assert NURSE in removed and "faq.health.nurse_rereg_001" in removed
    for q in ["护士执业延续注册", "护士证到期了怎么办", "护士证快到期了，要提前多久去续？", "护士条例第十条"]:
        assert NURSE not in svc.search(q, 10).matter_ids
    reopened = service(env)  # the saved index no longer holds it either: reopened, not rebuilt
    assert reopened.status == "opened" and NURSE not in reopened.retriever.index
