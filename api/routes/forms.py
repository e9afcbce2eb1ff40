"""Forms outside the chat flow: start a draft, read it, correct one field, submit.

The draft lives in the same session state the chat uses, so a citizen can mix both ("边聊边办"):
start on the screen, finish by voice, or the other way round.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Request

from api.errors import Conflict, CurationError, NotFound
from api.runtime import Runtime
from api.schemas import SESSION_ID, FieldCorrection, FormResponse, FormStartRequest
from dialogue.context import DialogueState
from dialogue.errors import FieldValidationError, UnknownMatterError
from dialogue.forms import form_card_data, opening_prompt, start_form
from dialogue.validators import validate_field

router = APIRouter(prefix="/forms", tags=["forms"])
SessionPath = Path(pattern=SESSION_ID)


def _state(rt: Runtime, session_id: str) -> DialogueState:
    raw = rt.store.load_session(session_id)
    return DialogueState.model_validate(raw) if raw else DialogueState()


def _save(rt: Runtime, session_id: str, state: DialogueState) -> None:
    rt.store.save_session(
        session_id, state.model_dump(mode="json"), rt.engine.session_ttl_s, state.citizen_id
    )
    if state.form is not None:
        f = state.form
        rt.store.save_draft(session_id, f.form_id, f.matter_id, f.values, f.pending, state.citizen_id)


def _form_of(rt: Runtime, matter_id: str, form_id: str | None):  # type: ignore[no-untyped-def]
    try:
        facts = rt.knowledge.matter(matter_id)
    except UnknownMatterError:
        raise NotFound(f"matter {matter_id!r} not found") from None
    forms = [f for f in facts.forms if form_id in (None, f.id)]
    if not forms:
        raise NotFound(f"matter {matter_id!r} has no online form" + (f" {form_id!r}" if form_id else ""))
    return facts, forms[0]


@router.post("/start", response_model=FormResponse, summary="Start (or restart) a form draft")
def start(req: FormStartRequest, request: Request) -> FormResponse:
    rt: Runtime = request.app.state.runtime
    facts, form = _form_of(rt, req.matter_id, req.form_id)
    state = _state(rt, req.session_id)
    profile = rt.store.profile(state.citizen_id) if state.citizen_id else {}
    lic = rt.store.elicenses(state.citizen_id) if state.citizen_id else {}
    state.form = start_form(form, facts.id, profile, lic)
    state.matter_id = facts.id
    turn = opening_prompt(form, state.form)
    state.form = turn.state
    _save(rt, req.session_id, state)
    return FormResponse(session_id=req.session_id, text=turn.text, form=form_card_data(form, state.form))


@router.get("/{session_id}", response_model=FormResponse, summary="The open form draft of a session")
def current(request: Request, session_id: str = SessionPath) -> FormResponse:
    rt: Runtime = request.app.state.runtime
    state = _state(rt, session_id)
    if state.form is None:
        raise NotFound("this session has no open form")
    _, form = _form_of(rt, state.form.matter_id, state.form.form_id)
    return FormResponse(session_id=session_id, text="", form=form_card_data(form, state.form))


@router.patch("/{session_id}", response_model=FormResponse, summary="Correct one field")
def correct(body: FieldCorrection, request: Request, session_id: str = SessionPath) -> FormResponse:
    """Validate and set one field (ID-number checksum, phone, dates …); 422 with the citizen's message."""
    rt: Runtime = request.app.state.runtime
    state = _state(rt, session_id)
    if state.form is None:
        raise NotFound("this session has no open form")
    _, form = _form_of(rt, state.form.matter_id, state.form.form_id)
    field = next((f for f in form.fields if f.id == body.field), None)
    if field is None:
        raise NotFound(f"form {form.id} has no field {body.field!r}")
    try:
        value = validate_field(field, body.value)
    except FieldValidationError as e:
        raise CurationError(e.message, extra={"field": field.id}) from None
    state.form.values[field.id] = value
    state.form.pending.pop(field.id, None)
    state.form.sources[field.id] = "citizen"
    _save(rt, session_id, state)
    return FormResponse(
        session_id=session_id, text=f"已将{field.label}改为{value}。", form=form_card_data(form, state.form)
    )


@router.post("/{session_id}/submit", response_model=FormResponse, summary="Submit the draft as a case")
def submit(request: Request, session_id: str = SessionPath) -> FormResponse:
    """Creates the case (receipt number, window, materials still to bring); 409 while fields are missing."""
    rt: Runtime = request.app.state.runtime
    state = _state(rt, session_id)
    if state.form is None:
        raise NotFound("this session has no open form")
    _, form = _form_of(rt, state.form.matter_id, state.form.form_id)
    if state.form.pending:  # the screen shows prefilled values; submitting from it confirms them
        state.form.values.update(state.form.pending)
        state.form.pending = {}
        _save(rt, session_id, state)
    missing = [f.label for f in form.fields if f.required and f.id not in state.form.values]
    if missing:
        raise Conflict(f"required fields missing: {'、'.join(missing)}", extra={"missing": missing})
    reply = rt.engine.handle(session_id, "确认提交")  # the engine's own submit path (case + draft closed)
    case = next((c for c in reply.cards if c.type == "case"), None)
    if case is None:
        raise Conflict(reply.text)
    form_card = next((c.data for c in reply.cards if c.type == "form_state"), None)
    return FormResponse(session_id=session_id, text=reply.text, form=form_card, receipt=case.data)
