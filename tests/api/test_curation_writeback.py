"""Curator edits reach the corpus YAML files, so `govguide ingest` after an edit reproduces it.

Every test works on its own copy of tests/data/corpus (never on corpus/data) over a real embedded graph.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.curation import Curator, corpus_writer
from api.db import ApiDatabase
from api.errors import CurationError
from api.runtime import Runtime, runtime_for_engine
from corpus.ingest import META_ID, ingest_corpus
from corpus.loader import corpus_version, load_corpus
from corpus.writer import CorpusWriter
from dialogue.engine import Engine
from graph.errors import GraphError
from tests.api.conftest import ADMIN_PASSWORD, make_settings

MATTER = "health.birth_cert_reissue"


@pytest.fixture(scope="module")
def falkor() -> Iterator[tuple[Any, Path]]:
    from graph.falkor import FalkorDBGraphStore
    from graph.falkor_server import FalkorServer

    short = Path(tempfile.mkdtemp(prefix="gg-wb-", dir="/tmp"))  # unix socket paths must stay short
    server = FalkorServer(short / "falkordb").ensure_running()
    graph = FalkorDBGraphStore.from_server(server, "writeback")
    try:
        yield graph, short
    finally:
        graph.close()
        server.stop()
        shutil.rmtree(short, ignore_errors=True)


def _runtime(graph: Any, data: Path, corpus_dir: Path, **api: Any) -> Runtime:
    from dialogue.finder import LexicalMatterFinder
    from dialogue.graph_knowledge import GraphKnowledge
    from dialogue.store import DialogueStore

    knowledge = GraphKnowledge(graph)
    store = DialogueStore(f"sqlite:///{data / 'dialogue.db'}")

    def make_engine() -> Engine:
        return Engine(knowledge, LexicalMatterFinder(knowledge), store)

    return runtime_for_engine(
        make_engine(),
        make_settings(data, corpus_dir, **api),
        db=ApiDatabase(f"sqlite:///{data / 'api.db'}"),
        make_engine=make_engine,
        graph=graph,
    )


@pytest.fixture()
def corpus_dir(tmp_path: Path, test_corpus_dir: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(test_corpus_dir, root)
    return root


@pytest.fixture()
def rt(falkor: tuple[Any, Path], corpus_dir: Path, tmp_path: Path) -> Runtime:
    graph, _ = falkor
    graph.clear()
    ingest_corpus(graph, load_corpus(corpus_dir))
    return _runtime(graph, tmp_path, corpus_dir)


@pytest.fixture()
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt.settings, runtime=rt)) as c:
        c.headers["Authorization"] = (
            "Bearer "
            + (
                c.post("/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}).json()[
                    "access_token"
                ]
            )
        )
        yield c


def _reingest(rt: Runtime) -> None:
    """What `govguide ingest` does: load the corpus files and make the graph mirror them."""
    ingest_corpus(rt.graph, load_corpus(rt.settings.corpus_dir))
    rt.refresh()


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def test_an_edit_survives_reingest(client: TestClient, rt: Runtime) -> None:
    record = client.get(f"/admin/records/matter/{MATTER}").json()
    record["fee"] = "工本费10元"
    record["colloquial"].append("出生证弄丢了补一个")
    record["materials"].append(
        {"material": "mat.guardian_proof", "copies": 1, "when": {"sit.agent": ["agent"]}}
    )
    r = client.put(f"/admin/records/matter/{MATTER}", json=record)
    assert r.status_code == 200, r.text
    text = (rt.settings.corpus_dir / "matters/health.yaml").read_text(encoding="utf-8")
    assert "fee: 工本费10元" in text and "出生证弄丢了补一个" in text
    # The graph stays at the version of the files it mirrors.
    meta = rt.graph.query("MATCH (n:Meta {id: $id}) RETURN n.corpus_version AS v", {"id": META_ID})
    assert meta[0]["v"] == corpus_version(rt.settings.corpus_dir)
    edited = client.get(f"/admin/records/matter/{MATTER}").json()
    assert edited["materials"][-1]["when"] == {"sit.agent": ["agent"]}
    _reingest(rt)
    assert client.get(f"/admin/records/matter/{MATTER}").json() == edited  # the same as right after the edit
    assert client.get(f"/matters/{MATTER}").json()["fee"] == "工本费10元"


def test_creates_and_deletes_survive_reingest(client: TestClient, rt: Runtime) -> None:
    faq = {"id": "faq.health.wb_001", "question": "出生证补办要钱吗？", "answer": "出生医学证明补发不收费。"}
    faq["matters"] = [MATTER]  # type: ignore[assignment]
    assert client.post("/admin/records/faq", json=faq).status_code == 201
    source = rt.graph.query("MATCH (f:FAQ {id: $id}) RETURN f.source AS s", {"id": faq["id"]})[0]["s"]
    assert source == f"faqs/health.yaml#{len(load_corpus(rt.settings.corpus_dir).faqs) - 1}"
    base = client.get(f"/admin/records/matter/{MATTER}").json()
    new = {**base, "id": "health.wb_new", "name": "写回测试事项", "aliases": [], "colloquial": ["写回测试"]}
    assert client.post("/admin/records/matter", json=new).status_code == 201
    _reingest(rt)
    assert client.get(f"/admin/records/faq/{faq['id']}").json()["answer"] == faq["answer"]
    assert client.get("/admin/records/matter/health.wb_new").json()["name"] == "写回测试事项"
    # Delete both; the bundle and FAQ lists lose nothing they need, so both deletions go through.
    assert client.delete(f"/admin/records/faq/{faq['id']}").status_code == 200
    assert client.delete("/admin/records/matter/health.wb_new").status_code == 200
    _reingest(rt)
    assert client.get(f"/admin/records/faq/{faq['id']}").status_code == 404
    assert client.get("/admin/records/matter/health.wb_new").status_code == 404
    assert client.get("/matters/health.wb_new").status_code == 404


def test_a_deletion_moves_later_records_and_their_citations(client: TestClient, rt: Runtime) -> None:
    corpus = load_corpus(rt.settings.corpus_dir)
    first, second = (f.id for f in corpus.faqs[:2])
    assert client.delete(f"/admin/records/faq/{first}").status_code == 200
    source = rt.graph.query("MATCH (f:FAQ {id: $id}) RETURN f.source AS s", {"id": second})[0]["s"]
    assert source == load_corpus(rt.settings.corpus_dir).sources[second] == "faqs/health.yaml#0"


def test_an_edit_that_would_break_the_corpus_changes_nothing(client: TestClient, rt: Runtime) -> None:
    before_files = _digest(rt.settings.corpus_dir)
    record = client.get(f"/admin/records/matter/{MATTER}").json()
    bad = {**record, "materials": [*record["materials"], {"material": "mat.nowhere_to_be_found"}]}
    r = client.put(f"/admin/records/matter/{MATTER}", json=bad)
    assert r.status_code == 422 and "mat.nowhere_to_be_found" in r.json()["detail"]
    assert r.json()["errors"][0]["loc"].startswith("matters/health.yaml")
    # A matter its FAQs are about only cannot go: ingest could not load files with those FAQs.
    r = client.delete("/admin/records/matter/health.nurse_reregistration")
    assert r.status_code == 409 and "faq.health.nurse_rereg_001" in r.json()["detail"]
    assert _digest(rt.settings.corpus_dir) == before_files
    assert client.get(f"/admin/records/matter/{MATTER}").json() == record
    assert client.get("/admin/records/matter/health.nurse_reregistration").status_code == 200


class _WritesFail:
    """The graph with every write failing (a graph outage in the middle of an edit)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def write(self, cypher: str, params: Any = None) -> Any:
        raise GraphError("injected: graph unavailable")


def test_a_failed_graph_transaction_restores_the_file(rt: Runtime) -> None:
    before_files = _digest(rt.settings.corpus_dir)
    broken = dataclasses.replace(rt, graph=_WritesFail(rt.graph))
    cur = Curator(broken)
    record = cur.get("matter", MATTER)
    with pytest.raises(CurationError, match="injected"):
        cur.save("matter", {**record, "fee": "工本费99元"}, "admin")
    with pytest.raises(CurationError, match="injected"):
        cur.save(
            "faq",
            {"id": "faq.x.fail", "question": "失败测试？", "answer": "失败测试。", "matters": [MATTER]},
            "a",
        )
    assert _digest(rt.settings.corpus_dir) == before_files
    assert not (rt.settings.corpus_dir / "faqs" / "curated.yaml").exists()
    assert Curator(rt).get("matter", MATTER) == record


def test_write_back_setting(rt: Runtime, tmp_path: Path, corpus_dir: Path) -> None:
    assert isinstance(corpus_writer(rt.settings), CorpusWriter)  # default: on for a writable corpus
    off = _runtime(rt.graph, tmp_path, corpus_dir, write_back=False)
    assert corpus_writer(off.settings) is None
    assert corpus_writer(make_settings(tmp_path, tmp_path / "no-such-corpus")) is None  # auto: not writable
    before_files = _digest(corpus_dir)
    record = Curator(off).get("matter", MATTER)
    Curator(off).save("matter", {**record, "fee": "只在图里"}, "admin")
    assert Curator(off).get("matter", MATTER)["fee"] == "只在图里"
    assert _digest(corpus_dir) == before_files  # graph only: the next ingest drops it, as configured
    _reingest(off)
    assert Curator(off).get("matter", MATTER)["fee"] == record.get("fee", "不收费")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to a read-only directory")
def test_a_read_only_corpus_turns_write_back_off(rt: Runtime, tmp_path: Path, corpus_dir: Path) -> None:
    corpus_dir.chmod(0o555)
    try:
        assert corpus_writer(rt.settings) is None
    finally:
        corpus_dir.chmod(0o755)


def test_two_workers_editing_at_once_lose_nothing(rt: Runtime, tmp_path: Path, corpus_dir: Path) -> None:
    """Two runtimes (API workers) save different FAQs of one file concurrently, several times each."""
    (tmp_path / "w2").mkdir()
    other = _runtime(rt.graph, tmp_path / "w2", corpus_dir)
    ids = [f.id for f in load_corpus(corpus_dir).faqs]
    errors: list[BaseException] = []

    def edit(worker: Runtime, fid: str) -> None:
        try:
            cur = Curator(worker)
            record = cur.get("faq", fid)
            for i in range(4):
                cur.save("faq", {**record, "answer": f"第{i}版：{fid}"}, "admin")
        except BaseException as e:  # noqa: BLE001 - asserted below
            errors.append(e)

    threads = [threading.Thread(target=edit, args=(w, fid)) for w, fid in zip((rt, other), ids, strict=False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    on_disk = load_corpus(corpus_dir).by_id("faqs")
    for fid in ids[:2]:
        assert on_disk[fid].answer == f"第3版：{fid}"
        assert Curator(rt).get("faq", fid)["answer"] == f"第3版：{fid}"


def test_imported_records_are_written_back(client: TestClient, rt: Runtime) -> None:
    yaml_text = (
        "- id: mat.wb_import_a\n  name: 导入写回材料甲\n- id: mat.wb_import_b\n  name: 导入写回材料乙\n"
    )
    r = client.post(
        "/admin/import/corpus",
        data={"kind": "material"},
        files={"file": ("m.yaml", yaml_text.encode(), "text/yaml")},
    )
    assert r.status_code == 200, r.text
    _reingest(rt)
    assert client.get("/admin/records/material/mat.wb_import_b").json()["name"] == "导入写回材料乙"
    text = (rt.settings.corpus_dir / "materials" / "common.yaml").read_text(encoding="utf-8")
    assert "mat.wb_import_a" in text and "mat.wb_import_b" in text


def test_reingest_after_api_edits_changes_no_byte_of_the_graph(
    client: TestClient, rt: Runtime, tmp_path: Path
) -> None:
    """Edits of every kind through the API, then `govguide ingest`: the graph export is identical."""
    from graph.backup import export_graph

    matter = client.get(f"/admin/records/matter/{MATTER}").json()
    matter["promised_limit_days"] = 3
    matter["steps"] = ["窗口提交申请", "当场核准补发"]
    window = client.get("/admin/records/window/A01").json()
    window["hours"] = "周一至周六 9:00-17:00"
    situation = client.get("/admin/records/situation/sit.agent").json()
    situation["question"] = "您是本人来办，还是帮别人代办？"
    policy = client.get("/admin/records/policy/policy.health.nurse_regulation_10").json()
    policy["excerpt"] += "（摘录）"
    first_faq = load_corpus(rt.settings.corpus_dir).faqs[0].id
    steps = [
        client.put(f"/admin/records/matter/{MATTER}", json=matter),
        client.put("/admin/records/window/A01", json=window),
        client.put("/admin/records/situation/sit.agent", json=situation),
        client.put("/admin/records/policy/policy.health.nurse_regulation_10", json=policy),
        client.post("/admin/records/material", json={"id": "mat.wb_new", "name": "写回新材料"}),
        client.post(
            "/admin/records/faq",
            json={
                "id": "faq.health.wb_x",
                "question": "补发要多久？",
                "answer": "三个工作日。",
                "matters": [MATTER],
            },
        ),
        client.delete(f"/admin/records/faq/{first_faq}"),
    ]
    assert [r.status_code for r in steps] == [200, 200, 200, 200, 201, 201, 200], [r.text for r in steps]
    export_graph(rt.graph, tmp_path / "after_api.jsonl")
    report = ingest_corpus(rt.graph, load_corpus(rt.settings.corpus_dir))
    export_graph(rt.graph, tmp_path / "after_ingest.jsonl")
    assert (tmp_path / "after_api.jsonl").read_bytes() == (tmp_path / "after_ingest.jsonl").read_bytes()
    assert report.changes.nodes_created == report.changes.nodes_deleted == 0


def test_an_import_with_one_bad_record_writes_nothing(client: TestClient, rt: Runtime) -> None:
    """The whole batch is checked against the corpus before the first record is written."""
    before = {p: p.read_bytes() for p in rt.settings.corpus_dir.rglob("*.yaml")}
    yaml_text = (
        f"- id: faq.wb_batch_ok\n  question: 批量导入的问题？\n  answer: 批量导入的回答。\n"
        f"  matters: [{MATTER}]\n"
        "- id: faq.wb_batch_bad\n  question: 指向不存在事项的问题？\n  answer: 这是回答。\n"
        "  matters: [no.such_matter]\n"
    )
    r = client.post(
        "/admin/import/corpus",
        data={"kind": "faq"},
        files={"file": ("f.yaml", yaml_text.encode(), "text/yaml")},
    )
    assert r.status_code == 422, r.text
    assert "nothing imported" in r.json()["detail"] and "no.such_matter" in r.text
    assert client.get("/admin/records/faq/faq.wb_batch_ok").status_code == 404
    assert {p: p.read_bytes() for p in rt.settings.corpus_dir.rglob("*.yaml")} == before
