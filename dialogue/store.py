"""The dialogue database (SQLAlchemy 2): sessions, form drafts, cases, e-licences, profiles, work orders.

SQLite by default (a file under the data dir), PostgreSQL by URL (``postgresql+psycopg://...``, psycopg
is optional). Every public write runs in one transaction; a session's drafts survive a restart, which is
what lets a citizen resume 边聊边办 after the kiosk reboots.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from dialogue.errors import StoreError
from dialogue.privacy import mask_text

log = logging.getLogger(__name__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL + synchronous=NORMAL: commits stay durable across a process crash (what a kiosk restart is)
    # without an fsync per turn; readers never block the writer.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_id: Mapped[str | None] = mapped_column(String(32), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class DraftRow(Base):
    __tablename__ = "form_drafts"
    __table_args__ = (UniqueConstraint("session_id", "form_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    citizen_id: Mapped[str | None] = mapped_column(String(32))
    form_id: Mapped[str] = mapped_column(String(100))
    matter_id: Mapped[str] = mapped_column(String(100))
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pending: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # prefilled, awaiting confirmation
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class CaseRow(Base):
    __tablename__ = "cases"
    receipt_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    citizen_id: Mapped[str | None] = mapped_column(String(32))
    matter_id: Mapped[str] = mapped_column(String(100))
    form_id: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    window: Mapped[str] = mapped_column(String(8))
    missing_materials: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class ProfileRow(Base):
    __tablename__ = "profiles"
    citizen_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class ELicenseRow(Base):
    __tablename__ = "elicenses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[str] = mapped_column(String(32), index=True)
    type: Mapped[str] = mapped_column(String(50))  # 居民身份证, 驾驶证, 营业执照 ...
    number: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)


class WorkOrderRow(Base):
    __tablename__ = "work_orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    department_id: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class UnansweredRow(Base):
    __tablename__ = "unanswered_questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


_SESSIONS = cast(Table, SessionRow.__table__)


class DialogueStore:
    """All persistent dialogue data behind one small API (rows in, plain dicts out)."""

    def __init__(self, url: str = "sqlite://") -> None:
        try:
            if url in ("sqlite://", "sqlite:///:memory:"):
                # One shared connection: every thread (streaming turns, the API) sees the same in-memory DB.
                self._engine = create_engine(
                    url, poolclass=StaticPool, connect_args={"check_same_thread": False}
                )
            else:
                self._engine = create_engine(url)
                if self._engine.dialect.name == "sqlite":
                    event.listen(self._engine, "connect", _sqlite_pragmas)
            Base.metadata.create_all(self._engine)
        except (SQLAlchemyError, ModuleNotFoundError) as e:
            raise StoreError(f"cannot open dialogue database: {e}") from e
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back and wrap the error otherwise."""
        try:
            with self._sessions.begin() as s:
                yield s
        except SQLAlchemyError as e:
            raise StoreError(str(e)) from e

    def close(self) -> None:
        self._engine.dispose()

    # ------------------------------------------------------------------ sessions
    # Sessions are read and written on every turn: plain statements on the connection, not the ORM
    # (a unit of work per turn cost ~4 ms of the turn).
    def load_session(self, session_id: str, now: dt.datetime | None = None) -> dict[str, Any] | None:
        """The saved state, or None when absent or expired (an expired session is deleted)."""
        now = now or _now()
        t = _SESSIONS
        try:
            with self._engine.begin() as conn:
                row = conn.execute(select(t.c.state, t.c.expires_at).where(t.c.id == session_id)).first()
                if row is None:
                    return None
                if row.expires_at <= now:
                    conn.execute(delete(t).where(t.c.id == session_id))
                    return None
                return dict(row.state)
        except SQLAlchemyError as e:
            raise StoreError(str(e)) from e

    def save_session(
        self,
        session_id: str,
        state: dict[str, Any],
        ttl_s: float = 1800,
        citizen_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        now = now or _now()
        t = _SESSIONS
        values = {
            "state": state,
            "citizen_id": citizen_id,
            "updated_at": now,
            "expires_at": now + dt.timedelta(seconds=ttl_s),
        }
        try:
            with self._engine.begin() as conn:
                if conn.execute(update(t).where(t.c.id == session_id).values(**values)).rowcount:
                    return
                conn.execute(insert(t).values(id=session_id, **values))
        except IntegrityError:
            # Another worker created the session between our update and insert: update it now.
            self._update_session(session_id, values)
        except SQLAlchemyError as e:
            raise StoreError(str(e)) from e

    def _update_session(self, session_id: str, values: dict[str, Any]) -> None:
        t = _SESSIONS
        try:
            with self._engine.begin() as conn:
                conn.execute(update(t).where(t.c.id == session_id).values(**values))
        except SQLAlchemyError as e:
            raise StoreError(str(e)) from e

    def purge_expired(self, now: dt.datetime | None = None) -> int:
        now = now or _now()
        with self._tx() as s:
            rows = s.scalars(select(SessionRow).where(SessionRow.expires_at <= now)).all()
            for r in rows:
                s.delete(r)
            return len(rows)

    # ------------------------------------------------------------------ drafts and cases
    def load_draft(
        self, session_id: str, form_id: str, citizen_id: str | None = None
    ) -> dict[str, Any] | None:
        """The open draft of this session and form, only if it belongs to ``citizen_id``."""
        with self._tx() as s:
            row = s.scalar(
                select(DraftRow).where(
                    DraftRow.session_id == session_id,
                    DraftRow.form_id == form_id,
                    DraftRow.status == "draft",
                )
            )
            if row is None or row.citizen_id != citizen_id:
                return None
            return {
                "form_id": row.form_id,
                "matter_id": row.matter_id,
                "values": dict(row.values),
                "pending": dict(row.pending),
                "citizen_id": row.citizen_id,
            }

    def save_draft(
        self,
        session_id: str,
        form_id: str,
        matter_id: str,
        values: dict[str, Any],
        pending: dict[str, Any],
        citizen_id: str | None = None,
    ) -> None:
        with self._tx() as s:
            row = s.scalar(
                select(DraftRow).where(DraftRow.session_id == session_id, DraftRow.form_id == form_id)
            )
            if row is None:
                row = DraftRow(session_id=session_id, form_id=form_id, matter_id=matter_id)
                s.add(row)
            row.values, row.pending, row.status = dict(values), dict(pending), "draft"
            row.citizen_id, row.updated_at = citizen_id, _now()
        log.info("draft saved %s/%s: %s", session_id, form_id, mask_text(str(values)))

    def submit_case(
        self,
        session_id: str,
        form_id: str,
        matter_id: str,
        data: dict[str, Any],
        window: str,
        missing_materials: list[str],
        citizen_id: str | None = None,
    ) -> str:
        """Create the case and close the draft in one transaction; returns the receipt number.

        Raises:
            StoreError: no verified citizen (an application is bound to a verified person: 实名认证).
        """
        if not citizen_id:
            raise StoreError("a case needs the verified citizen who applies")
        with self._tx() as s:
            today = _now().strftime("%Y%m%d")
            prefix = f"YX{today}"
            count = (
                s.scalar(
                    select(func.count()).select_from(CaseRow).where(CaseRow.receipt_no.like(f"{prefix}%"))
                )
                or 0
            )
            receipt = f"{prefix}{count + 1:05d}"
            s.add(
                CaseRow(
                    receipt_no=receipt,
                    session_id=session_id,
                    citizen_id=citizen_id,
                    matter_id=matter_id,
                    form_id=form_id,
                    data=dict(data),
                    window=window,
                    missing_materials=list(missing_materials),
                )
            )
            draft = s.scalar(
                select(DraftRow).where(DraftRow.session_id == session_id, DraftRow.form_id == form_id)
            )
            if draft is not None:
                draft.status = "submitted"
        log.info("case %s submitted for %s: %s", receipt, matter_id, mask_text(str(data)))
        return receipt

    def case(self, receipt_no: str) -> dict[str, Any] | None:
        with self._tx() as s:
            row = s.get(CaseRow, receipt_no)
            if row is None:
                return None
            return {
                "receipt_no": row.receipt_no,
                "matter_id": row.matter_id,
                "form_id": row.form_id,
                "data": dict(row.data),
                "window": row.window,
                "missing_materials": list(row.missing_materials),
                "citizen_id": row.citizen_id,
                "session_id": row.session_id,
            }

    # ------------------------------------------------------------------ citizens
    def profile(self, citizen_id: str) -> dict[str, Any]:
        with self._tx() as s:
            row = s.get(ProfileRow, citizen_id)
            return dict(row.data) if row else {}

    def elicenses(self, citizen_id: str) -> dict[str, dict[str, Any]]:
        """E-licences of one citizen keyed by type (居民身份证 -> {name, id_number, ...})."""
        with self._tx() as s:
            rows = s.scalars(select(ELicenseRow).where(ELicenseRow.citizen_id == citizen_id)).all()
            return {r.type: dict(r.fields) for r in rows}

    def upsert_profile(self, citizen_id: str, data: dict[str, Any]) -> None:
        with self._tx() as s:
            row = s.get(ProfileRow, citizen_id)
            if row is None:
                s.add(ProfileRow(citizen_id=citizen_id, data=dict(data)))
            else:
                row.data = dict(data)

    def add_elicense(self, citizen_id: str, type_: str, number: str, fields: dict[str, Any]) -> None:
        with self._tx() as s:
            s.add(ELicenseRow(citizen_id=citizen_id, type=type_, number=number, fields=dict(fields)))

    def seed_samples(self) -> None:
        """Bring the fictional sample citizens and their e-licences in line with ``dialogue.samples``
        (idempotent: no write when they already match; other citizens' rows are never touched)."""
        from dialogue.samples import SAMPLE_ELICENSES, SAMPLE_PROFILES

        with self._tx() as s:
            for cid, data in SAMPLE_PROFILES.items():
                row = s.get(ProfileRow, cid)
                if row is None:
                    s.add(ProfileRow(citizen_id=cid, data=dict(data)))
                elif row.data != data:
                    row.data = dict(data)
            existing = {
                (r.citizen_id, r.type): r
                for r in s.scalars(
                    select(ELicenseRow).where(ELicenseRow.citizen_id.in_({c for c, *_ in SAMPLE_ELICENSES}))
                )
            }
            for cid, type_, number, fields in SAMPLE_ELICENSES:
                lic = existing.get((cid, type_))
                if lic is None:
                    s.add(ELicenseRow(citizen_id=cid, type=type_, number=number, fields=dict(fields)))
                elif lic.number != number or lic.fields != fields:
                    lic.number, lic.fields = number, dict(fields)

    # ------------------------------------------------------------------ dispatch and gaps
    def record_work_order(self, session_id: str, text: str, department_id: str, confidence: float) -> int:
        with self._tx() as s:
            row = WorkOrderRow(
                session_id=session_id, text=text, department_id=department_id, confidence=confidence
            )
            s.add(row)
            s.flush()
            return int(row.id)

    def work_orders(self) -> list[dict[str, Any]]:
        with self._tx() as s:
            return [
                {
                    "id": r.id,
                    "text": r.text,
                    "department_id": r.department_id,
                    "confidence": r.confidence,
                    "status": r.status,
                }
                for r in s.scalars(select(WorkOrderRow).order_by(WorkOrderRow.id))
            ]

    def record_unanswered(self, session_id: str, text: str) -> None:
        with self._tx() as s:
            s.add(UnansweredRow(session_id=session_id, text=text))

    def unanswered(self) -> list[str]:
        with self._tx() as s:
            return [r.text for r in s.scalars(select(UnansweredRow).order_by(UnansweredRow.id))]
