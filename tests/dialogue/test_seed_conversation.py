"""The seed conversation on the full demo catalogue: the nurse's matter stays the topic until she names
another one, although three nurse matters share most words (首次 / 延续 / 变更注册)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corpus.ingest import ingest_corpus
from corpus.loader import load_corpus
from dialogue.demo import run_script
from dialogue.factory import build_engine

pytestmark = pytest.mark.slow
NURSE = "health.nurse_reregistration"


@pytest.fixture(scope="module")
def engine(demo_corpus_dir: Path) -> Iterator[Any]:
    from govguide.config import EmbeddedGraphSettings, Settings
    from graph.factory import open_graph_store

    root = Path(tempfile.mkdtemp(prefix="gg-seed-", dir="/tmp"))  # short: unix socket path limit
    settings = Settings(data_dir=root / "data", corpus_dir=demo_corpus_dir, graph=EmbeddedGraphSettings())
    try:
        with open_graph_store(settings) as store:
            ingest_corpus(store, load_corpus(demo_corpus_dir))
            built = build_engine(settings, graph_store=store)
            yield built
            built.store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_seed_conversation_stays_on_the_nurse_matter(engine: Any) -> None:
    turns = run_script(engine, "seed-1")
    assert [reply.matter_id for _, reply in turns if reply.matter_id] == [NURSE] * sum(
        1 for _, reply in turns if reply.matter_id
    )
    replies = dict(turns)
    assert "B01" in replies["护士执业证书怎么重新注册？要带什么？在哪个窗口？"].text
    submit = replies["提交"]
    assert submit.intent == "form_submit"
    assert submit.cards[0].data["missing_materials"] == ["护士执业健康体检证明"]
    last = turns[-1][1]
    assert "请跟我来" in last.text and last.actions[0].target == "loc.win_b01"


def test_naming_another_matter_moves_the_conversation(engine: Any) -> None:
    first = engine.handle("seed-2", "护士执业证书怎么重新注册？")
    assert first.matter_id == NURSE
    other = engine.handle("seed-2", "那护士首次注册要带什么？")
    assert other.matter_id == "health.nurse_first_registration"
