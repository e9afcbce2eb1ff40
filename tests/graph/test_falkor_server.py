"""The embedded server's lifecycle: start, reuse, locking, stale files, durability, clean stop, no orphans."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sample_graph import NODE_COUNT, load_sample

from govguide.config import EmbeddedGraphSettings, Settings
from graph.errors import GraphUnavailable, QueryError
from graph.factory import build_graph_store, open_graph_store
from graph.falkor import FalkorDBGraphStore
from graph.falkor_server import FalkorServer
from graph.queries import matter_detail

REPO = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def _wait_dead(pid: int, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return False


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )


def test_start_and_clean_stop_leave_no_process(data_dir: Path) -> None:
    srv = FalkorServer(data_dir / "fk").ensure_running()
    pid = srv.pid
    assert pid is not None and srv.owned and srv.healthy()
    assert srv.socket_path.exists() and srv.pid_path.read_text().strip() == str(pid)
    srv.stop()
    assert _wait_dead(pid)
    assert not srv.pid_path.exists() and not srv.socket_path.exists()
    assert not srv.healthy()


def test_a_second_store_reuses_the_running_server(server: FalkorServer) -> None:
    first = FalkorDBGraphStore.from_server(server, "g")
    first.ensure_schema()
    load_sample(first)
    other = FalkorServer(server.data_dir).ensure_running()
    assert other.pid == server.pid and not other.owned
    second = FalkorDBGraphStore.from_server(other, "g")
    assert sum(second.stats().nodes.values()) == NODE_COUNT
    other.stop()  # not the owner: a no-op
    assert server.healthy()
    first.close()
    second.close()


def test_another_process_reuses_the_server_and_never_stops_it(server: FalkorServer) -> None:
    out = _python(
        """
        import sys
        from pathlib import Path
        from graph.falkor_server import FalkorServer
        srv = FalkorServer(Path(sys.argv[1])).ensure_running()
        print(srv.pid, srv.owned)
        """,
        str(server.data_dir),
    )
    assert out.stdout.split() == [str(server.pid), "False"]
    assert server.healthy()  # the child exited; its atexit hook left our server alone


def test_a_process_that_started_the_server_stops_it_at_exit(data_dir: Path) -> None:
    out = _python(
        """
        import sys
        from pathlib import Path
        from graph.falkor_server import FalkorServer
        print(FalkorServer(Path(sys.argv[1])).ensure_running().pid)
        """,
        str(data_dir / "fk"),
    )
    assert _wait_dead(int(out.stdout))


def test_concurrent_starts_give_one_server(data_dir: Path) -> None:
    code = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from graph.falkor_server import FalkorServer
        srv = FalkorServer(Path(sys.argv[1])).ensure_running()
        print(srv.pid, srv.owned, flush=True)
        sys.stdin.read()  # stay alive (and keep owning) until the test closes stdin
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(data_dir / "fk")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    try:
        lines = [p.stdout.readline().split() for p in procs if p.stdout]
    finally:
        for p in procs:
            if p.stdin:
                p.stdin.close()
        for p in procs:
            p.wait(30)
    assert len({pid for pid, _ in lines}) == 1
    assert sorted(owned for _, owned in lines) == ["False", "False", "True"]
    assert _wait_dead(int(lines[0][0]))


def test_data_survives_a_clean_restart(data_dir: Path) -> None:
    srv = FalkorServer(data_dir / "fk").ensure_running()
    store = FalkorDBGraphStore.from_server(srv, "g")
    store.ensure_schema()
    load_sample(store)
    store.close()
    srv.stop()
    srv2 = FalkorServer(data_dir / "fk").ensure_running()
    try:
        store2 = FalkorDBGraphStore.from_server(srv2, "g")
        assert sum(store2.stats().nodes.values()) == NODE_COUNT
        detail = matter_detail(store2, "matter.marriage")
        assert detail is not None and len(detail.materials) == 4
        store2.close()
    finally:
        srv2.stop()


def test_data_survives_sigkill_and_stale_files_are_handled(data_dir: Path) -> None:
    srv = FalkorServer(data_dir / "fk").ensure_running()
    store = FalkorDBGraphStore.from_server(srv, "g")
    store.ensure_schema()
    load_sample(store)
    with pytest.raises(RuntimeError), store.atomic():  # a rolled-back block must stay rolled back
        store.clear()
        raise RuntimeError
    store.write("MATCH (m:Matter {id: 'matter.marriage'}) SET m.fee = '最后一次写入'")
    pid = srv.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert srv._proc is not None
    srv._proc.wait(5)  # reap it, as the owner would
    assert srv.socket_path.exists() and srv.pid_path.exists()  # left behind by the hard kill

    srv2 = FalkorServer(data_dir / "fk").ensure_running()
    try:
        assert srv2.owned and srv2.pid != pid
        store2 = FalkorDBGraphStore.from_server(srv2, "g")
        assert sum(store2.stats().nodes.values()) == NODE_COUNT
        detail = matter_detail(store2, "matter.marriage")
        assert detail is not None and detail.fee == "最后一次写入"
        store2.close()
    finally:
        srv2.stop()
    store.close()


def test_a_stale_socket_file_and_dead_pid_are_replaced(data_dir: Path) -> None:
    fk = data_dir / "fk"
    fk.mkdir()
    # A unix socket nobody listens on any more, and a pidfile naming a dead process.
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(fk / "falkor.sock"))
    sock.close()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (fk / "falkor.pid").write_text(f"{dead.pid}\n")
    srv = FalkorServer(fk).ensure_running()
    try:
        assert srv.owned and srv.healthy() and srv.pid_path.read_text().strip() == str(srv.pid)
    finally:
        srv.stop()


def test_a_store_restarts_a_server_stopped_by_its_owner(server: FalkorServer) -> None:
    owner_store = FalkorDBGraphStore.from_server(server, "g")
    owner_store.ensure_schema()
    load_sample(owner_store)
    user = FalkorServer(server.data_dir).ensure_running()
    user_store = FalkorDBGraphStore.from_server(user, "g")
    server.stop()  # the owner goes away ...
    assert sum(user_store.stats().nodes.values()) == NODE_COUNT  # ... the user restarts it from disk
    assert user.owned
    user_store.close()
    owner_store.close()
    user.stop()


def test_unreachable_socket_without_a_server_is_graph_unavailable(data_dir: Path) -> None:
    store = FalkorDBGraphStore(str(data_dir / "nothing.sock"), "g")
    with pytest.raises(GraphUnavailable, match="unreachable"):
        store.query("RETURN 1")
    assert not store.health()


def test_too_long_socket_path_is_refused(data_dir: Path) -> None:
    with pytest.raises(GraphUnavailable, match="too long"):
        FalkorServer(data_dir / ("x" * 120)).ensure_running()


def test_factory_builds_and_open_graph_store_stops_the_server_it_started(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir, graph=EmbeddedGraphSettings(graph_name="gg", subdir="fk"))
    with open_graph_store(settings) as store:
        assert isinstance(store, FalkorDBGraphStore) and store.graph_name == "gg"
        assert store.server is not None
        pid = store.server.pid
        assert pid is not None
        store.ensure_schema()
        load_sample(store)
    assert _wait_dead(pid)
    store = build_graph_store(settings)
    try:
        assert sum(store.stats().nodes.values()) == NODE_COUNT
    finally:
        store.close()
        assert isinstance(store, FalkorDBGraphStore) and store.server is not None
        store.server.stop()


def test_read_only_query_refuses_writes(server: FalkorServer) -> None:
    store = FalkorDBGraphStore.from_server(server, "g")
    store.ensure_schema()
    with pytest.raises(QueryError, match=r"use GraphStore.write\(\)"):
        store.query("CREATE (:Matter {id: 'x'})")
    store.close()


def test_a_graph_never_written_reads_as_empty(server: FalkorServer) -> None:
    store = FalkorDBGraphStore.from_server(server, "never_written")
    assert store.health()
    assert store.query("MATCH (n) RETURN n.id AS id") == []
    assert store.stats().nodes == {} and matter_detail(store, "matter.x") is None
    store.close()


def test_a_live_but_unresponsive_server_is_never_duplicated(server: FalkorServer) -> None:
    assert server.pid is not None
    os.kill(server.pid, signal.SIGSTOP)  # alive (pidfile, socket) but not answering
    try:
        with pytest.raises(GraphUnavailable, match="did not answer"):
            FalkorServer(server.data_dir, start_timeout_s=1.0).ensure_running()
    finally:
        os.kill(server.pid, signal.SIGCONT)
    assert server.healthy()
    assert server.pid_path.read_text().strip() == str(server.pid)
