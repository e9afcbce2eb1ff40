"""Knowledge staff: login, record CRUD, imports, audit log, unanswered questions, eval figures."""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from starlette.concurrency import run_in_threadpool

from api.auth import Auth, User
from api.curation import KINDS, Curator
from api.errors import Conflict, CurationError, NotFound, Unauthorized
from api.runtime import Runtime
from api.schemas import ChatRequest, FaqFromGapRequest, LinkRequest, RecordResponse, TokenResponse, UserCreate
from dialogue.errors import UnknownMatterError

router = APIRouter(tags=["admin"])
_oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def _rt(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def current_user(request: Request, token: Annotated[str | None, Depends(_oauth2)]) -> User:
    if not token:
        raise Unauthorized("login required", extra={"headers": {"WWW-Authenticate": "Bearer"}})
    return _rt(request).auth.verify(token)


def curator(user: Annotated[User, Depends(current_user)]) -> User:
    return Auth.require(user, "curator")


def admin(user: Annotated[User, Depends(current_user)]) -> User:
    return Auth.require(user, "admin")


CuratorDep = Annotated[User, Depends(curator)]
AdminDep = Annotated[User, Depends(admin)]


def _curator(request: Request) -> Curator:
    return Curator(_rt(request))


@router.post("/auth/token", response_model=TokenResponse, summary="OAuth2 password login")
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request) -> TokenResponse:
    auth = _rt(request).auth
    user = auth.authenticate(form.username, form.password)
    return TokenResponse(access_token=auth.issue(user), role=user.role)


@router.get("/admin/me")
def me(user: CuratorDep) -> dict[str, str]:
    return {"username": user.username, "role": user.role}


@router.post("/admin/users", status_code=201, summary="Create a curator or admin (admins only)")
def create_user(body: UserCreate, request: Request, user: AdminDep) -> dict[str, str]:
    try:
        created = _rt(request).auth.create_user(body.username, body.password, body.role)
    except ValueError as e:
        raise CurationError(str(e)) from None
    _rt(request).db.audit(user.username, "create", "user", created.username, None, {"role": created.role})
    return {"username": created.username, "role": created.role}


# ------------------------------------------------------------------------------ records
@router.get("/admin/records/{kind}/{record_id}", summary="A record in its corpus shape")
def get_record(kind: str, record_id: str, request: Request, user: CuratorDep) -> dict[str, Any]:
    return _curator(request).get(kind, record_id)


@router.post(
    "/admin/records/{kind}", response_model=RecordResponse, status_code=201, summary="Create a record"
)
def create_record(kind: str, body: dict[str, Any], request: Request, user: CuratorDep) -> dict[str, Any]:
    cur = _curator(request)
    _, label, _ = KINDS.get(kind, (None, "", ""))
    if label and cur._node(label, str(body.get("id", ""))) is not None:
        raise Conflict(f"{kind} {body.get('id')!r} exists; use PUT to edit it")
    return cur.save(kind, body, user.username)


@router.put(
    "/admin/records/{kind}/{record_id}", response_model=RecordResponse, summary="Create or replace a record"
)
def put_record(
    kind: str, record_id: str, body: dict[str, Any], request: Request, user: CuratorDep
) -> dict[str, Any]:
    if body.get("id", record_id) != record_id:
        raise CurationError("the id in the body differs from the id in the path")
    return _curator(request).save(kind, {**body, "id": record_id}, user.username)


@router.delete("/admin/records/{kind}/{record_id}", response_model=RecordResponse, summary="Delete a record")
def delete_record(kind: str, record_id: str, request: Request, user: CuratorDep) -> dict[str, Any]:
    return _curator(request).delete(kind, record_id, user.username)


@router.get("/admin/audit", summary="Audit log, newest first")
def audit(
    request: Request, user: CuratorDep, record_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    return _rt(request).db.audit_log(min(max(limit, 1), 1000), record_id)


# ------------------------------------------------------------------------------ imports
async def _read_upload(file: UploadFile, limit: int) -> bytes:
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise CurationError(f"file over {limit} bytes")
    return data


@router.post("/admin/import/corpus", summary="Import a corpus YAML file (a list of records of one kind)")
async def import_corpus(
    request: Request, user: CuratorDep, kind: Annotated[str, Form()], file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    rt = _rt(request)
    raw = await _read_upload(file, rt.settings.api.max_upload_bytes)
    try:
        records = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        raise CurationError(f"not a UTF-8 YAML file: {e}") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise CurationError("the file must hold a YAML list of records")
    cur = Curator(rt)
    checked = []
    for i, r in enumerate(records):  # validate every record before the first write
        try:
            checked.append((kind, cur.validate(kind, r)))
        except CurationError as e:
            raise CurationError(f"record {i} ({r.get('id')}): {e.detail}", extra=e.extra) from None
    await run_in_threadpool(cur.check_batch, checked)
    results = [await run_in_threadpool(cur.save, kind, r, user.username) for r in records]
    return {
        "kind": kind,
        "saved": [r["record"]["id"] for r in results],
        "indexed": all(r["indexed"] for r in results),
    }


@router.post("/admin/import/implementation-list", summary="Import a 实施清单 table (.csv or .xlsx)")
async def import_list(
    request: Request, user: CuratorDep, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    from corpus.errors import CorpusValidationError
    from corpus.implementation_list import import_table
    from corpus.loader import load_corpus

    rt = _rt(request)
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CurationError("upload a .csv or .xlsx table")
    raw = await _read_upload(file, rt.settings.api.max_upload_bytes)
    with tempfile.TemporaryDirectory(prefix="gg-import-") as tmp:
        path = Path(tmp) / f"list{suffix}"
        path.write_bytes(raw)
        try:
            result = import_table(path, load_corpus(rt.settings.corpus_dir))
        except CorpusValidationError as e:
            raise CurationError(f"nothing imported: {e}") from None
    cur = Curator(rt)
    await run_in_threadpool(
        cur.check_batch, [("material", m) for m in result.materials] + [("matter", m) for m in result.matters]
    )
    for m in result.materials:
        await run_in_threadpool(cur.save, "material", m.model_dump(mode="json"), user.username)
    saved = [
        (await run_in_threadpool(cur.save, "matter", m.model_dump(mode="json"), user.username))["record"][
            "id"
        ]
        for m in result.matters
    ]
    return {"matters": saved, "materials": [m.id for m in result.materials]}


# ------------------------------------------------------------------------------ unanswered questions
@router.get("/admin/unanswered", summary="Questions not answered or answered with low confidence")
def unanswered(request: Request, user: CuratorDep, status: str = "open") -> list[dict[str, Any]]:
    return _rt(request).db.gaps(status if status != "all" else None)


def _gap(rt: Runtime, gap_id: int) -> dict[str, Any]:
    gap = rt.db.gap(gap_id)
    if gap is None:
        raise NotFound(f"question {gap_id} not found")
    return gap


@router.post(
    "/admin/unanswered/{gap_id}/link",
    response_model=RecordResponse,
    summary="Link the question to a matter (adds it as a colloquial phrasing)",
)
def link_gap(gap_id: int, body: LinkRequest, request: Request, user: CuratorDep) -> dict[str, Any]:
    rt = _rt(request)
    gap = _gap(rt, gap_id)
    cur = Curator(rt)
    record = cur.get("matter", body.matter_id)
    phrase = gap["text"].strip()[:100]
    if phrase not in record.get("colloquial", []):
        record["colloquial"] = [*record.get("colloquial", []), phrase]
    result = cur.save("matter", record, user.username)
    rt.db.resolve_gap(gap_id, f"linked to {body.matter_id}")
    return result


@router.post(
    "/admin/unanswered/{gap_id}/faq", response_model=RecordResponse, summary="Answer it with a new FAQ"
)
def faq_gap(gap_id: int, body: FaqFromGapRequest, request: Request, user: CuratorDep) -> dict[str, Any]:
    rt = _rt(request)
    gap = _gap(rt, gap_id)
    stem = re.sub(r"[^a-z0-9_]", "_", body.matter_id.split(".")[-1].lower()) or "q"
    faq = {
        "id": f"faq.curated.{stem}_{uuid.uuid4().hex[:8]}",
        "question": body.question or gap["text"],
        "answer": body.answer,
        "matters": [body.matter_id],
        "style": "colloquial",
    }
    result = Curator(rt).save("faq", faq, user.username)
    rt.db.resolve_gap(gap_id, f"FAQ {faq['id']}")
    return result


# ------------------------------------------------------------------------------ evaluation and trying
@router.get("/admin/eval", summary="Latest evaluation figures (JSON files under data_dir/eval)")
def eval_figures(request: Request, user: CuratorDep) -> dict[str, Any]:
    folder = Path(_rt(request).settings.data_dir) / "eval"
    out: dict[str, Any] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            out[path.stem] = {"error": "unreadable"}
    return {"folder": str(folder), "reports": out}


@router.post("/admin/try", summary="Ask a question in a fresh session (to check an edit)")
def try_question(body: dict[str, Any], request: Request, user: CuratorDep) -> dict[str, Any]:
    from api.routes.chat import matter_name

    rt = _rt(request)
    req = ChatRequest(
        session_id=f"curator-try-{uuid.uuid4().hex[:12]}", text=str(body.get("text", ""))[:1000] or "?"
    )
    reply = rt.engine.handle(req.session_id, req.text)
    try:
        name = matter_name(rt, reply.matter_id)
    except UnknownMatterError:
        name = None
    return {
        "text": reply.text,
        "intent": reply.intent,
        "matter": {"id": reply.matter_id, "name": name} if reply.matter_id else None,
        "cards": [c.model_dump() for c in reply.cards],
    }
