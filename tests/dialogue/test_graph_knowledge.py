"""GraphKnowledge over a real embedded FalkorDB holding the dialogue catalogue gives the same facts as the
corpus-backed knowledge, so the engine behaves the same on either."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.ingest import ingest_corpus
from corpus.loader import Corpus
from dialogue.engine import Engine
from dialogue.finder import LexicalMatterFinder
from dialogue.graph_knowledge import GraphKnowledge
from dialogue.knowledge import CorpusKnowledge
from dialogue.store import DialogueStore
from graph.falkor import FalkorDBGraphStore
from graph.falkor_server import FalkorServer


@pytest.fixture(scope="module")
def graph_knowledge(corpus: Corpus) -> Iterator[GraphKnowledge]:
    path = Path(tempfile.mkdtemp(prefix="gg-d-", dir="/tmp"))  # short: unix socket path limit
    server = FalkorServer(path / "falkordb").ensure_running()
    store = FalkorDBGraphStore.from_server(server, "dialogue_test")
    try:
        ingest_corpus(store, corpus)
        yield GraphKnowledge(store)
    finally:
        store.close()
        server.stop()
        shutil.rmtree(path, ignore_errors=True)


def test_same_facts_as_the_corpus(graph_knowledge: GraphKnowledge, knowledge: CorpusKnowledge) -> None:
    assert sorted(graph_knowledge.matter_ids()) == sorted(knowledge.matter_ids())
    for mid in knowledge.matter_ids():
        g, c = graph_knowledge.matter(mid), knowledge.matter(mid)
        assert [(r.material_id, r.when, r.copies, r.elicense) for r in g.materials] == [
            (r.material_id, r.when, r.copies, r.elicense) for r in c.materials
        ]
        assert [(s.id, s.options, s.profile_key) for s in g.situations] == [
            (s.id, s.options, s.profile_key) for s in c.situations
        ]
        assert [w.id for w in g.windows] == [w.id for w in c.windows]
        assert [w.location.id if w.location else None for w in g.windows] == [
            w.location.id if w.location else None for w in c.windows
        ]
        assert (g.fee, g.promised_limit_days, g.online_level) == (
            c.fee,
            c.promised_limit_days,
            c.online_level,
        )
        assert [f.model_dump() for f in g.forms] == [f.model_dump() for f in c.forms]
    assert [(b.id, b.matters, b.windows) for b in graph_knowledge.bundles()] == [
        (b.id, b.matters, b.windows) for b in knowledge.bundles()
    ]


def test_engine_on_the_graph(graph_knowledge: GraphKnowledge) -> None:
    store = DialogueStore()
    store.seed_samples()
    engine = Engine(graph_knowledge, LexicalMatterFinder(graph_knowledge), store)
    r = engine.handle("s", "补办身份证多少钱")
    assert r.matter_id == "police.id_card" and "工本费20元" in r.text
    assert engine.handle("s", "洗手间在哪").actions[0].target == "loc.restroom_1f"
    engine.login("f", "c001")
    r = engine.handle("f", "帮我填社保卡申请表")
    assert r.intent == "form_start" and "王建国" in r.text
