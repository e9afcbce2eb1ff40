"""Matter catalogue for citizens: search, detail, and the personalised guide (HTML / PDF / JSON)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.errors import NotFound
from api.pdf import html_to_pdf
from api.runtime import Runtime
from dialogue.context import DialogueState
from dialogue.errors import UnknownMatterError
from dialogue.guide import build_guide, guide_html

router = APIRouter(tags=["matters"])


def _facts(rt: Runtime, matter_id: str) -> Any:
    try:
        return rt.knowledge.matter(matter_id)
    except UnknownMatterError:
        raise NotFound(f"matter {matter_id!r} not found") from None


@router.get("/matters", summary="Search or list matters")
def list_matters(
    request: Request, q: str = Query("", max_length=200), limit: int = Query(20, ge=1, le=500)
) -> dict[str, Any]:
    """Matters whose name, alias or colloquial phrasing matches ``q`` (all when empty)."""
    rt: Runtime = request.app.state.runtime
    ids = rt.knowledge.matter_ids()
    if q:
        hits = [mid for mid, _ in rt.engine.finder.search(q, k=limit).hits]
        needle = q.strip()
        substring = [mid for mid in ids if needle in rt.knowledge.matter(mid).name and mid not in hits]
        ids = hits + substring
    items = []
    for mid in ids[:limit]:
        f = rt.knowledge.matter(mid)
        items.append(
            {
                "id": f.id,
                "name": f.name,
                "department": f.department.name if f.department else "",
                "windows": [w.id for w in f.windows],
            }
        )
    return {"total": len(ids), "items": items}


@router.get("/matters/{matter_id}", summary="Everything about one matter")
def matter_detail(matter_id: str, request: Request) -> dict[str, Any]:
    """Materials (with conditions), situations, windows and location, time limits, fee, forms, source."""
    return dict(_facts(request.app.state.runtime, matter_id).model_dump(mode="json"))


@router.get(
    "/matters/{matter_id}/guide",
    summary="Personalised guide (HTML, PDF or JSON)",
    responses={200: {"content": {"text/html": {}, "application/pdf": {}, "application/json": {}}}},
)
async def guide(
    matter_id: str,
    request: Request,
    format: Literal["html", "pdf", "json"] = "html",  # noqa: A002 - the query parameter's public name
    session_id: str | None = Query(None, pattern=r"^[A-Za-z0-9_.:\-]{1,64}$"),
    answers: str = Query(
        "", max_length=500, description="situation answers, e.g. sit.applicant:self,sit.x:y"
    ),
) -> Response:
    """The exact material list for the situation answers given here or collected in ``session_id``."""
    rt: Runtime = request.app.state.runtime
    facts = _facts(rt, matter_id)
    given: dict[str, str] = {}
    if session_id:
        raw = rt.store.load_session(session_id)
        if raw:
            given.update(DialogueState.model_validate(raw).answers.get(matter_id, {}))
    for pair in filter(None, answers.split(",")):
        key, _, value = pair.partition(":")
        if key and value:
            given[key.strip()] = value.strip()
    g = build_guide(facts, given)
    if format == "json":
        return Response(g.model_dump_json(), media_type="application/json")
    page = guide_html(g)
    if format == "pdf":
        pdf = await run_in_threadpool(html_to_pdf, page)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"content-disposition": f'inline; filename="{matter_id}.pdf"'},
        )
    return HTMLResponse(page)
