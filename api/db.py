"""The API's own tables (users, audit log, unanswered-question log) in the dialogue database.

They share the SQLAlchemy URL of ``dialogue.store`` (SQLite file by default, PostgreSQL by URL) but
their own metadata, so the dialogue package never needs to know about curation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "api_users"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # curator | admin
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)


class AuditRow(Base):
    __tablename__ = "api_audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, index=True)
    user: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | import
    kind: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(128), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class GapRow(Base):
    """A question the assistant could not answer, or answered with low confidence."""

    __tablename__ = "api_unanswered"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, index=True)
    session_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)  # masked (no ID numbers or phones)
    reason: Mapped[str] = mapped_column(String(32))  # out_of_scope | no_matter | ungrounded | error
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    resolution: Mapped[str] = mapped_column(String(256), default="")


class ApiDatabase:
    """Small transactional wrapper; ``session()`` commits on success and rolls back on error."""

    def __init__(self, url: str = "sqlite://") -> None:
        kwargs: dict[str, Any] = {}
        if url in ("sqlite://", "sqlite:///:memory:"):
            # One shared in-memory database across the worker threads of the server.
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        elif url.startswith("sqlite"):
            kwargs = {"connect_args": {"check_same_thread": False}}
        self.engine = create_engine(url, future=True, **kwargs)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()

    # ---------------------------------------------------------------- audit
    def audit(
        self,
        user: str,
        action: str,
        kind: str,
        record_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> int:
        with self.session() as s:
            row = AuditRow(
                user=user, action=action, kind=kind, record_id=record_id, before=before, after=after
            )
            s.add(row)
            s.flush()
            return int(row.id)

    def last_audit_id(self) -> int:
        """The newest audit row's id (0 when the log is empty): where a worker's change feed starts."""
        with self.session() as s:
            return int(s.scalar(select(func.max(AuditRow.id))) or 0)

    def changes_since(self, after_id: int, limit: int = 500) -> list[tuple[int, str, str, str]]:
        """Audit rows newer than ``after_id`` as ``(id, action, kind, record_id)``, oldest first."""
        with self.session() as s:
            rows = s.execute(
                select(AuditRow.id, AuditRow.action, AuditRow.kind, AuditRow.record_id)
                .where(AuditRow.id > after_id)
                .order_by(AuditRow.id)
                .limit(limit)
            )
            return [(int(i), a, k, r) for i, a, k, r in rows]

    def audit_log(self, limit: int = 100, record_id: str | None = None) -> list[dict[str, Any]]:
        with self.session() as s:
            q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
            if record_id:
                q = q.where(AuditRow.record_id == record_id)
            return [
                {
                    "id": r.id,
                    "at": r.at.isoformat() + "Z",
                    "user": r.user,
                    "action": r.action,
                    "kind": r.kind,
                    "record_id": r.record_id,
                    "before": r.before,
                    "after": r.after,
                }
                for r in s.scalars(q)
            ]

    # ---------------------------------------------------------------- unanswered questions
    def record_gap(self, session_id: str, text: str, reason: str, confidence: float = 0.0) -> None:
        with self.session() as s:
            s.add(GapRow(session_id=session_id, text=text[:2000], reason=reason, confidence=confidence))

    def gaps(self, status: str | None = "open", limit: int = 200) -> list[dict[str, Any]]:
        with self.session() as s:
            q = select(GapRow).order_by(GapRow.id.desc()).limit(limit)
            if status:
                q = q.where(GapRow.status == status)
            return [
                {
                    "id": r.id,
                    "at": r.at.isoformat() + "Z",
                    "text": r.text,
                    "reason": r.reason,
                    "confidence": r.confidence,
                    "status": r.status,
                    "resolution": r.resolution,
                }
                for r in s.scalars(q)
            ]

    def gap(self, gap_id: int) -> dict[str, Any] | None:
        with self.session() as s:
            r = s.get(GapRow, gap_id)
            return None if r is None else {"id": r.id, "text": r.text, "status": r.status}

    def resolve_gap(self, gap_id: int, resolution: str) -> None:
        with self.session() as s:
            r = s.get(GapRow, gap_id)
            if r is not None:
                r.status, r.resolution = "resolved", resolution[:256]
