"""Citizen chat: POST /chat, the streamed WebSocket /ws/chat, and the robot channel."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.errors import problem
from api.runtime import Runtime
from api.schemas import ChatRequest, ChatResponse, chat_response
from dialogue.base import Reply, StreamEvent
from dialogue.errors import UnknownMatterError
from dialogue.privacy import mask_text

router = APIRouter(tags=["chat"])
log = logging.getLogger(__name__)
_GAP_INTENTS = {"out_of_scope": "out_of_scope", "error": "error"}


def matter_name(rt: Runtime, matter_id: str | None) -> str | None:
    if not matter_id:
        return None
    try:
        return rt.knowledge.matter(matter_id).name
    except UnknownMatterError:
        return None


def note_gap(rt: Runtime, session_id: str, text: str, reply: Reply) -> None:
    """Unanswered or weakly grounded turns go to the curators' log (masked)."""
    reason = _GAP_INTENTS.get(reply.intent)
    if reason is None and not reply.grounded:
        reason = "ungrounded"
    if reason is None and reply.intent.startswith("ask_") and reply.matter_id is None:
        reason = "no_matter"
    if reason is not None:
        rt.db.record_gap(session_id, mask_text(text), reason, 0.0)


def _turn(rt: Runtime, req: ChatRequest) -> ChatResponse:
    channel = "voice" if req.channel in ("voice", "robot") else "text"
    reply = rt.engine.handle(req.session_id, req.text, channel)
    note_gap(rt, req.session_id, req.text, reply)
    return chat_response(
        req.session_id,
        reply,
        matter_name(rt, reply.matter_id),
        elderly=bool(req.profile and req.profile.elderly),
    )


@router.post("/chat", response_model=ChatResponse, summary="One turn of the conversation")
def chat(req: ChatRequest, request: Request) -> ChatResponse:
    """Answer one citizen utterance (grounded text, short speech, cards, actions and citations)."""
    return _turn(request.app.state.runtime, req)


@router.post("/robot/turn", response_model=ChatResponse, summary="One turn from a lobby robot")
def robot_turn(req: ChatRequest, request: Request) -> ChatResponse:
    """The robot channel: like /chat with TTS-length speech; the robot executes ``actions`` (NavigateTo …)."""
    return _turn(request.app.state.runtime, req.model_copy(update={"channel": "robot"}))


def _stream(rt: Runtime, req: ChatRequest) -> list[dict[str, Any]]:
    channel = "voice" if req.channel in ("voice", "robot") else "text"
    events: list[StreamEvent] = list(rt.engine.stream(req.session_id, req.text, channel))
    out: list[dict[str, Any]] = []
    for ev in events:
        if ev.type == "sentence":
            out.append({"type": "sentence", "text": ev.text})
        elif ev.reply is not None:
            note_gap(rt, req.session_id, req.text, ev.reply)
            resp = chat_response(
                req.session_id,
                ev.reply,
                matter_name(rt, ev.reply.matter_id),
                elderly=bool(req.profile and req.profile.elderly),
            )
            if resp.cards:
                out.append({"type": "cards", "cards": [c.model_dump() for c in resp.cards]})
            if resp.actions:
                out.append({"type": "actions", "actions": [a.model_dump() for a in resp.actions]})
            out.append({"type": "done", "reply": resp.model_dump()})
    return out


@router.websocket("/ws/chat")
async def ws_chat(ws: WebSocket) -> None:
    """Send ``{"session_id", "text"}`` messages; receive sentence, cards, actions and done events per turn."""
    await ws.accept()
    rt: Runtime = ws.app.state.runtime
    limit = rt.settings.api.max_body_bytes
    limiter = ws.app.state.limiter
    client = ws.client.host if ws.client else "unknown"
    try:
        while True:
            raw = await ws.receive_text()
            if len(raw.encode()) > limit:
                await ws.send_json(
                    {**problem(413, "Payload Too Large", f"message over {limit} bytes"), "type": "error"}
                )
                continue
            ok, _ = limiter.allow(client)
            if not ok:
                await ws.send_json(
                    {**problem(429, "Too Many Requests", "rate limit exceeded"), "type": "error"}
                )
                continue
            try:
                req = ChatRequest.model_validate(json.loads(raw))
            except (ValueError, ValidationError) as e:
                detail = (
                    "invalid message"
                    if not isinstance(e, ValidationError)
                    else "; ".join(
                        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
                    )
                )
                await ws.send_json({**problem(422, "Unprocessable Content", detail), "type": "error"})
                continue
            try:
                events = await run_in_threadpool(_stream, rt, req)
            except Exception:  # noqa: BLE001 - the socket stays up; the client gets a problem event
                log.exception("websocket turn failed")
                await ws.send_json(
                    {**problem(500, "Internal Server Error", "the turn failed"), "type": "error"}
                )
                continue
            for ev in events:
                await ws.send_json(ev)
    except WebSocketDisconnect:
        return
