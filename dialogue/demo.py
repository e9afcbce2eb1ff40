"""The scripted demo conversation of ``govguide demo``: the seed flow from the issue, on the product engine.

It ingests nothing: the graph at ``settings`` must already hold the catalogue (``govguide ingest``). The
conversation: a nurse asks how to re-register (materials, window B01), gets a personalised guide,
verifies her identity (ID card reader) and fills the registration form in one confirmation, then asks
to be taken to the window (NavigateTo B01).
"""

from __future__ import annotations

import uuid

from dialogue.base import Reply
from dialogue.engine import Engine
from govguide.config import Settings

SESSION = "demo-nurse"
CITIZEN = "c002"  # 李秀英, a nurse with a 护士执业证书 e-licence (sample data)
SWIPE = "（刷身份证）"
# (utterance, or None for the ID-card swipe that verifies the citizen's identity)
SCRIPT: list[str | None] = [
    "护士执业证书怎么重新注册？要带什么？在哪个窗口？",
    "帮我生成一份护士执业注册的个性化办事指南",
    "本人办理",
    None,
    "帮我填护士执业注册申请表",
    "都对，执业机构是云溪县人民医院，延续注册",
    "提交",
    "带我到办事窗口",
]


def run_script(engine: Engine, session_id: str = SESSION) -> list[tuple[str, Reply]]:
    """Play ``SCRIPT`` on an engine; the ID-card swipe (``Engine.login``) is listed as ``SWIPE``."""
    out: list[tuple[str, Reply]] = []
    for step in SCRIPT:
        if step is None:
            out.append((SWIPE, engine.login(session_id, CITIZEN)))
            continue
        out.append((step, engine.handle(session_id, step)))
    return out


def run_demo(settings: Settings) -> list[tuple[str, Reply]]:
    """Build the production engine from ``settings`` (graph, hybrid retriever, store; no ingest) and
    play the seed conversation. Returns (utterance, reply) pairs in order."""
    from dialogue.factory import build_engine
    from graph.factory import open_graph_store

    with open_graph_store(settings) as graph:
        engine = build_engine(settings, graph_store=graph)
        try:
            # A fresh session each run: session memory persists in the database by design.
            return run_script(engine, f"{SESSION}-{uuid.uuid4().hex[:8]}")
        finally:
            engine.store.close()
