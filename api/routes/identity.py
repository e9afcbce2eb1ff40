"""实名认证: bind a verified citizen to a chat session (``POST /sessions/{id}/verify``), and in development
the stand-in identity provider that signs assertions for the sample citizens (``POST /dev/identity``)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from api.errors import NotFound
from api.identity import IdentityVerifier
from api.routes.chat import matter_name
from api.runtime import Runtime
from api.schemas import SESSION_ID, ChatResponse, chat_response

router = APIRouter(tags=["identity"])
SessionPath = Path(pattern=SESSION_ID)


class VerifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"assertion": "eyJhbGciOiJIUzI1NiIs…", "channel": "text"}]},
    )

    assertion: str = Field(min_length=20, max_length=4096, description="the identity provider's signed JWT")
    channel: str = Field(default="text", pattern="^(text|voice|robot)$")


class DevIdentityRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"session_id": "web-1", "citizen_id": "c001"}]}
    )

    session_id: str = Field(pattern=SESSION_ID)
    citizen_id: str = Field(default="c001", pattern=r"^[A-Za-z0-9_.\-]{1,64}$")


class AssertionResponse(BaseModel):
    assertion: str


def verifier(rt: Runtime) -> IdentityVerifier:
    api = rt.settings.api
    return IdentityVerifier(api.identity_secret.get_secret_value(), api.identity_issuer)


@router.post(
    "/sessions/{session_id}/verify",
    response_model=ChatResponse,
    summary="实名认证: bind the citizen an identity assertion vouches for to this session",
)
def verify(body: VerifyRequest, request: Request, session_id: str = SessionPath) -> ChatResponse:
    """401 for a bad, expired or foreign assertion. The reply is the assistant's next turn: with a form
    open, the citizen's own data offered for it (one turn to confirm)."""
    rt: Runtime = request.app.state.runtime
    citizen_id = verifier(rt).verify(body.assertion, session_id)
    channel = "voice" if body.channel in ("voice", "robot") else "text"
    reply = rt.engine.login(session_id, citizen_id, channel)
    return chat_response(session_id, reply, matter_name(rt, reply.matter_id))


@router.post(
    "/dev/identity",
    response_model=AssertionResponse,
    summary="Development only: sign an identity assertion for a sample citizen",
)
def dev_identity(body: DevIdentityRequest, request: Request) -> AssertionResponse:
    """Stands in for the portal's identity platform in development (404 in production)."""
    rt: Runtime = request.app.state.runtime
    if rt.settings.api.environment != "development":
        raise NotFound("no development identity provider in production")
    return AssertionResponse(assertion=verifier(rt).issue(body.citizen_id, body.session_id))
