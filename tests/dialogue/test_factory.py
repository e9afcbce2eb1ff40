"""build_engine end to end: the test corpus ingested into a real embedded graph, the real hybrid retriever
(embedder, FAISS index, BM25, linker), the SQLite dialogue database under data_dir, no LLM."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corpus.ingest import ingest_corpus
from corpus.loader import load_corpus
from dialogue.factory import build_engine
from dialogue.finder import RetrieverMatterFinder
from dialogue.graph_knowledge import GraphKnowledge

NURSE_Q = "护士执业证书怎么重新注册？要带什么？在哪个窗口？"


@pytest.fixture(scope="module")
def built(test_corpus_dir: Path) -> Iterator[dict[str, Any]]:
    from govguide.config import EmbeddedGraphSettings, Settings
    from graph.factory import open_graph_store

    root = Path(tempfile.mkdtemp(prefix="gg-f-", dir="/tmp"))  # short: unix socket path limit
    settings = Settings(data_dir=root / "data", corpus_dir=test_corpus_dir, graph=EmbeddedGraphSettings())
    try:
        with open_graph_store(settings) as store:
            ingest_corpus(store, load_corpus(test_corpus_dir))
            engine = build_engine(settings, graph_store=store)
            yield {"engine": engine, "settings": settings}
            engine.store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_wiring(built: dict[str, Any]) -> None:
    engine, settings = built["engine"], built["settings"]
    assert isinstance(engine.knowledge, GraphKnowledge)
    assert isinstance(engine.finder, RetrieverMatterFinder)
    assert engine.chat_model is None  # no LLM configured: deterministic answers
    assert (settings.data_dir / "dialogue.db").is_file()
    assert (settings.data_dir / settings.retrieval.index_subdir).is_dir()


def test_nurse_question_names_materials_and_window(built: dict[str, Any]) -> None:
    engine = built["engine"]
    reply = engine.handle("factory-nurse", NURSE_Q)
    assert reply.matter_id == "health.nurse_reregistration"
    facts = engine.knowledge.matter(reply.matter_id)
    required = [r.name for r in facts.materials if r.required and not r.when]
    assert required and all(name in reply.text for name in required)
    assert "B01" in reply.text
    assert reply.citations and reply.citations[0].id == reply.matter_id
    follow = engine.handle("factory-nurse", "带我到办事窗口")
    assert follow.actions and follow.actions[0].type == "NavigateTo"
    assert "B01" in follow.actions[0].label or "b01" in follow.actions[0].target.lower()


def test_verified_citizen_fills_the_nurse_form_in_few_turns(built: dict[str, Any]) -> None:
    engine = built["engine"]
    engine.login("factory-form", "c002")
    start = engine.handle("factory-form", "帮我填护士执业注册申请表")
    assert start.intent == "form_start" and "预填" in start.text
    engine.handle("factory-form", "都对，执业机构是云溪县人民医院，延续注册")
    done = engine.handle("factory-form", "提交")
    assert done.intent == "form_submit"
    case = engine.store.case(done.cards[0].data["receipt_no"])
    assert case is not None and case["data"]["apply_kind"] == "延续注册"
    assert case["data"]["employer"] == "云溪县人民医院"
    assert case["data"]["license_no"] == "202251160012"  # from the citizen's e-licence


def test_demo_script_on_the_built_engine(built: dict[str, Any]) -> None:
    from dialogue.demo import run_script

    turns = run_script(built["engine"], "factory-demo")
    replies = dict(turns)
    first = replies["护士执业证书怎么重新注册？要带什么？在哪个窗口？"]
    assert "护士执业证书" in first.text and "B01" in first.text
    guide = turns[2][1]
    assert guide.intent == "guide" and guide.cards[0].type == "matter_guide"
    assert replies["提交"].intent == "form_submit"
    assert replies["提交"].cards[0].data["missing_materials"] == ["护士执业健康体检证明"]
    last = turns[-1][1]
    assert last.actions[0].type == "NavigateTo" and last.actions[0].target == "loc.win_b01"
