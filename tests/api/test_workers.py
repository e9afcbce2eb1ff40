"""Scale-out: several API workers over one graph and one database stay in step on curator edits.

In process: two runtimes (= two workers) share the embedded graph, the API database (audit log) and
the dialogue database; an edit through worker A reaches worker B's answers through B's change feed.
Across processes: ``govguide serve --workers 2`` on loopback, an edit through one connection is seen by
answers from both worker processes within 5 s.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app, start_change_feed
from api.db import ApiDatabase
from api.runtime import Runtime, runtime_for_engine
from dialogue.engine import Engine
from dialogue.testing import assemble_corpus_dir
from tests.api.conftest import ADMIN_PASSWORD, make_settings

PHRASE = "老人卡咋个整"


def _worker(graph: Any, settings: Any, short: Path) -> Runtime:
    """One worker's runtime: its own knowledge cache, index and engine over the shared stores."""
    from dialogue.finder import LexicalMatterFinder, RetrieverMatterFinder
    from dialogue.graph_knowledge import GraphKnowledge
    from dialogue.store import DialogueStore
    from retrieval.service import RetrievalService
    from retrieval.testing import FakeEmbedder

    service = RetrievalService.from_graph(graph, settings, embedder=FakeEmbedder())
    knowledge = GraphKnowledge(graph)
    store = DialogueStore(f"sqlite:///{short / 'dialogue.db'}")

    def make_engine() -> Engine:
        return Engine(knowledge, RetrieverMatterFinder(service, LexicalMatterFinder(knowledge)), store)

    return runtime_for_engine(
        make_engine(),
        settings,
        db=ApiDatabase(f"sqlite:///{short / 'api.db'}"),
        make_engine=make_engine,
        graph=graph,
        indexer=service,
    )


@pytest.fixture()
def two_workers(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    from corpus.ingest import ingest_corpus
    from corpus.loader import load_corpus
    from graph.falkor import FalkorDBGraphStore
    from graph.falkor_server import FalkorServer

    short = Path(tempfile.mkdtemp(prefix="gg-wk-", dir="/tmp"))  # unix socket paths must stay short
    corpus_dir = assemble_corpus_dir(tmp_path / "corpus")
    server = FalkorServer(short / "falkordb").ensure_running()
    graph = FalkorDBGraphStore.from_server(server, "workers")
    graph.clear()
    ingest_corpus(graph, load_corpus(corpus_dir))
    # Graph-only edits: the test deletes hrss.ss_card, which bundle.newborn (two matters) needs in the
    # corpus files, so write-back would refuse it (tests/api/test_curation_writeback.py covers the files).
    settings = make_settings(short, corpus_dir, sync_interval_s=0.2, write_back=False)
    a, b = _worker(graph, settings, short), _worker(graph, settings, short)
    try:
        yield a, b
    finally:
        for rt in (a, b):
            if rt.follower is not None:
                rt.follower.stop()
        graph.close()
        server.stop()
        shutil.rmtree(short, ignore_errors=True)


def _ask(rt: Runtime, text: str, sid: str) -> Any:
    return rt.engine.handle(sid, text, "web")


def test_an_edit_through_one_worker_reaches_the_other(two_workers: tuple[Runtime, Runtime]) -> None:
    a, b = two_workers
    feed_a, feed_b = start_change_feed(a), start_change_feed(b)
    assert feed_a is not None and feed_b is not None
    index_file = Path(b.settings.data_dir) / b.settings.retrieval.index_subdir
    assert _ask(b, PHRASE, "b0").matter_id is None
    with TestClient(create_app(a.settings, runtime=a)) as client:
        h = {
            "Authorization": "Bearer "
            + client.post("/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}).json()[
                "access_token"
            ]
        }
        record = client.get("/admin/records/matter/hrss.ss_card", headers=h).json()
        record["colloquial"].append(PHRASE)
        record["fee"] = "工本费20元"
        started = time.perf_counter()
        r = client.put("/admin/records/matter/hrss.ss_card", json=record, headers=h)
        assert r.status_code == 200, r.text
        saved_at = max(p.stat().st_mtime_ns for p in index_file.iterdir())
        # Worker A applied its own edit synchronously; worker B picks it up from the audit log.
        assert _ask(a, f"{PHRASE}，要钱吗", "a1").matter_id == "hrss.ss_card"
        deadline = time.monotonic() + 5
        reply = _ask(b, f"{PHRASE}，要钱吗", "b1")
        while reply.matter_id != "hrss.ss_card" and time.monotonic() < deadline:
            time.sleep(0.1)
            reply = _ask(b, f"{PHRASE}，要钱吗", f"b{time.monotonic()}")
        elapsed = time.perf_counter() - started
        print(f"edit visible in the other worker's answer after {elapsed:.2f} s")
        assert reply.matter_id == "hrss.ss_card" and "20元" in reply.text
        # Worker A did not apply its own change twice; B updated memory only (A saved the index).
        assert feed_a.catch_up() == 0
        assert max(p.stat().st_mtime_ns for p in index_file.iterdir()) == saved_at

        r = client.delete("/admin/records/matter/hrss.ss_card", headers=h)
        assert r.status_code == 200, r.text
    deadline = time.monotonic() + 5
    while "hrss.ss_card" in b.indexer.search(PHRASE).matter_ids and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.1)
    assert "hrss.ss_card" not in b.indexer.search(PHRASE).matter_ids  # type: ignore[union-attr]
    assert _ask(b, f"{PHRASE}，要钱吗", "b2").matter_id != "hrss.ss_card"


def test_a_bad_change_does_not_stop_the_feed(two_workers: tuple[Runtime, Runtime]) -> None:
    a, b = two_workers
    seen: list[tuple[str, str, bool]] = []

    def apply(kind: str, rid: str, deleted: bool) -> bool:
        seen.append((kind, rid, deleted))
        if rid == "broken":
            raise RuntimeError("boom")
        return True

    from api.sync import ChangeFollower

    feed = ChangeFollower(b.db, apply, 60)
    a.db.audit("admin", "update", "matter", "broken", None, {})
    a.db.audit("admin", "delete", "faq", "faq.x", {}, None)
    assert feed.catch_up() == 1
    assert seen == [("matter", "broken", False), ("faq", "faq.x", True)]
    assert feed.catch_up() == 0  # each change is applied once


# ------------------------------------------------------------------------------ real worker processes
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None, token: str = "") -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if isinstance(body, str):
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    data = (
        body.encode() if isinstance(body, str) else (json.dumps(body).encode() if body is not None else None)
    )
    conn.request(method, path, data, headers)
    r = conn.getresponse()
    payload = r.read()
    assert r.status == 200, payload[:500]
    return json.loads(payload)


def test_serve_with_two_worker_processes(tmp_path: Path) -> None:
    """``govguide serve --workers 2``: an edit through one worker is in the other's answers within 5 s.

    A keep-alive connection stays with the worker that accepted it, and ``/health`` names that worker,
    so the test holds one connection per worker process.
    """
    from corpus.ingest import ingest_corpus
    from corpus.loader import load_corpus
    from graph.factory import open_graph_store

    short = Path(tempfile.mkdtemp(prefix="gg-sv-", dir="/tmp"))
    corpus_dir = assemble_corpus_dir(tmp_path / "corpus")
    settings = make_settings(short, corpus_dir, finder="lexical")
    with open_graph_store(settings) as store:
        store.ensure_schema()
        ingest_corpus(store, load_corpus(corpus_dir))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVGUIDE_")}
    env.update(
        {
            "GOVGUIDE_DATA_DIR": str(short),
            "GOVGUIDE_CORPUS_DIR": str(corpus_dir),
            "GOVGUIDE_API__FINDER": "lexical",
            "GOVGUIDE_API__ADMIN_PASSWORD": ADMIN_PASSWORD,
            "GOVGUIDE_API__RATE_LIMIT_PER_MINUTE": "100000",
            "GOVGUIDE_API__SYNC_INTERVAL_S": "0.5",
            "GOVGUIDE_LOG_LEVEL": "WARNING",
        }
    )
    log = (short / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("govguide")), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    conns: dict[int, http.client.HTTPConnection] = {}
    try:
        deadline = time.monotonic() + 120
        while len(conns) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, (short / "server.log").read_text(errors="replace")[-3000:]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                worker = _call(conn, "GET", "/ready")["worker"]
            except (OSError, AssertionError, http.client.HTTPException):
                conn.close()
                time.sleep(0.3)
                continue
            if worker in conns:
                conn.close()
            else:
                conns[worker] = conn
        assert len(conns) == 2, "two worker processes should accept connections"
        (w1, c1), (w2, c2) = conns.items()
        assert _call(c1, "GET", "/health")["worker"] == w1 and _call(c2, "GET", "/health")["worker"] == w2

        assert _call(c2, "POST", "/chat", {"session_id": "w2-0", "text": f"{PHRASE}在哪办"})["matter"] is None
        tok = _call(c1, "POST", "/auth/token", f"username=admin&password={ADMIN_PASSWORD}")["access_token"]
        record = _call(c1, "GET", "/admin/records/matter/hrss.ss_card", token=tok)
        record["colloquial"].append(PHRASE)
        started = time.monotonic()
        _call(c1, "PUT", "/admin/records/matter/hrss.ss_card", record, tok)
        first = _call(c1, "POST", "/chat", {"session_id": "w1-1", "text": f"{PHRASE}在哪办"})
        assert (first["matter"] or {}).get("id") == "hrss.ss_card"  # the editing worker: at once
        i, other = 0, None
        while time.monotonic() < started + 5:
            i += 1
            other = _call(c2, "POST", "/chat", {"session_id": f"w2-{i}", "text": f"{PHRASE}在哪办"})
            if (other["matter"] or {}).get("id") == "hrss.ss_card":
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        print(f"edit through worker {w1} answered by worker {w2} after {elapsed:.2f} s")
        assert other is not None and (other["matter"] or {}).get("id") == "hrss.ss_card"
    finally:
        for c in conns.values():
            c.close()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()
        shutil.rmtree(short, ignore_errors=True)
