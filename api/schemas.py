"""Request and response models of the public API (with OpenAPI examples)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dialogue.base import Action, Card, Citation, Reply

SESSION_ID = r"^[A-Za-z0-9_.:\-]{1,64}$"


class Profile(BaseModel):
    """Presentation preferences of the citizen (no personal data)."""

    model_config = ConfigDict(extra="forbid")

    elderly: bool = Field(default=False, description="large text on screen and slower speech")


class ChatRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"session_id": "kiosk-3f2a", "text": "补办身份证要带什么材料？"}]},
    )

    session_id: str = Field(pattern=SESSION_ID)
    text: str = Field(min_length=1, max_length=1000)
    channel: Literal["text", "voice", "robot"] = "text"
    profile: Profile | None = None


class MatterRef(BaseModel):
    id: str
    name: str


class ChatResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "session_id": "kiosk-3f2a",
                    "text": "办理居民身份证补领需要准备：户口簿、近期免冠照片。",
                    "speech": "办理居民身份证补领需要准备：户口簿、近期免冠照片。",
                    "speech_rate": 1.0,
                    "intent": "ask_materials",
                    "matter": {"id": "gb.hukou.id_card_reissue", "name": "居民身份证补领"},
                    "cards": [
                        {
                            "type": "material_checklist",
                            "title": "居民身份证补领 材料清单",
                            "data": {"materials": []},
                        }
                    ],
                    "actions": [],
                    "citations": [
                        {
                            "kind": "matter",
                            "id": "gb.hukou.id_card_reissue",
                            "title": "居民身份证补领",
                            "source": "matters/gb_hukou.yaml#3",
                        }
                    ],
                    "grounded": True,
                }
            ]
        }
    )

    session_id: str
    text: str
    speech: str
    speech_rate: float = 1.0
    intent: str
    matter: MatterRef | None
    cards: list[Card]
    actions: list[Action]
    citations: list[Citation]
    grounded: bool = True


class FormStartRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"session_id": "kiosk-3f2a", "matter_id": "gb.health.first_aid_training"}]
        },
    )

    session_id: str = Field(pattern=SESSION_ID)
    matter_id: str = Field(min_length=3, max_length=128)
    form_id: str | None = None


class FieldCorrection(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"field": "phone", "value": "13800138000"}]}
    )

    field: str = Field(min_length=1, max_length=64)
    value: str = Field(min_length=1, max_length=500)


class FormResponse(BaseModel):
    session_id: str
    text: str
    form: dict[str, Any] | None = Field(description="field-by-field state (form card data)")
    receipt: dict[str, Any] | None = None


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str


class RecordResponse(BaseModel):
    record: dict[str, Any] | None
    action: str
    indexed: bool = Field(description="the vector index was updated incrementally")
    audit_id: int


class LinkRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"matter_id": "gb.hukou.id_card_reissue"}]}
    )

    matter_id: str = Field(min_length=3, max_length=128)


class FaqFromGapRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "matter_id": "gb.hukou.id_card_reissue",
                    "answer": "身份证丢了可以在户政窗口补领，当场受理。",
                }
            ]
        },
    )

    matter_id: str = Field(min_length=3, max_length=128)
    answer: str = Field(min_length=4, max_length=2000)
    question: str | None = Field(default=None, max_length=500)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=r"^[A-Za-z0-9_.\-]{3,64}$")
    password: str = Field(min_length=8, max_length=256)
    role: Literal["curator", "admin"] = "curator"


def chat_response(
    session_id: str, reply: Reply, matter_name: str | None, elderly: bool = False
) -> ChatResponse:
    return ChatResponse(
        session_id=session_id,
        text=reply.text,
        speech=reply.speech,
        speech_rate=0.8 if elderly else 1.0,
        intent=reply.intent,
        matter=MatterRef(id=reply.matter_id, name=matter_name or reply.matter_id)
        if reply.matter_id
        else None,
        cards=reply.cards,
        actions=reply.actions,
        citations=reply.citations,
        grounded=reply.grounded,
    )
