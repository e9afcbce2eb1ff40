"""Keep every API worker in step with curator edits made by any worker (scale-out).

Each worker serves from in-memory state built from the graph at start (knowledge cache, engine, vector
index). A curator edit is committed to the graph and written to the audit log in the shared database by
the worker that received it, which also applies it to its own state at once. The other workers follow
the audit log: ``ChangeFollower`` polls it (one indexed query per interval) and applies each change it
has not applied yet — so an edit reaches every worker's answers within ``api.sync_interval_s``.

Only the editing worker persists the vector index; followers update theirs in memory, so several
processes never race to write the same index files.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from api.db import ApiDatabase

log = logging.getLogger(__name__)

# (kind, record_id, deleted) -> applied cleanly; the curation service's ``apply_change`` in production.
ApplyChange = Callable[[str, str, bool], bool]


class ChangeFollower:
    """Applies audit-log changes made by other workers to this worker's state.

    Args:
        db: the shared API database holding the audit log.
        apply: applies one change to this worker's state (without persisting the index).
        interval_s: polling period of the background thread.
    """

    def __init__(self, db: ApiDatabase, apply: ApplyChange, interval_s: float = 1.0) -> None:
        self.db = db
        self.apply = apply
        self.interval_s = interval_s
        # This worker's state was built from the graph after these changes were committed.
        self.last_id = db.last_audit_id()
        self._own: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def mark_applied(self, audit_id: int) -> None:
        """Record a change this worker applied itself (its own edit), so the feed skips it."""
        with self._lock:
            self._own.add(audit_id)

    def catch_up(self) -> int:
        """Apply every change newer than the last one seen; returns how many were applied."""
        with self._lock:
            rows = self.db.changes_since(self.last_id)
            applied = 0
            for audit_id, action, kind, record_id in rows:
                self.last_id = audit_id
                if audit_id in self._own:
                    self._own.discard(audit_id)
                    continue
                try:
                    self.apply(kind, record_id, action == "delete")
                    applied += 1
                except Exception as e:  # noqa: BLE001 - one bad change must not stop the feed
                    log.warning(
                        "could not apply change %s (%s %s %s): %s", audit_id, action, kind, record_id, e
                    )
            return applied

    def start(self) -> None:
        """Poll in a daemon thread until ``stop``."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="govguide-change-feed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.catch_up()
            except Exception as e:  # noqa: BLE001 - the database may be briefly unavailable: retry
                log.warning("change feed poll failed: %s", e)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
