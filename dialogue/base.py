"""Interfaces and shared models of the dialogue engine.

The engine reads facts through ``Knowledge`` (matter details, places, departments) and finds matters with
``MatterFinder``; both are small Protocols so the graph/retrieval backends (or the corpus-backed and fake
ones in ``dialogue.knowledge`` / ``dialogue.testing``) plug in unchanged. A turn returns a ``Reply``:
data only; adapters (API, robot, Rasa) perform the side effects.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from corpus.models import Form

# --------------------------------------------------------------------------- knowledge models


class Place(BaseModel):
    """A point of the lobby map (window position, restroom, help desk ...)."""

    id: str
    name: str
    kind: str
    floor: int
    x: float = 0.0
    y: float = 0.0
    aliases: list[str] = Field(default_factory=list)
    description: str = ""


class WindowInfo(BaseModel):
    id: str  # "B01"
    name: str
    hours: str = ""
    description: str = ""
    location: Place | None = None


class DepartmentInfo(BaseModel):
    id: str
    name: str
    short_name: str = ""
    aliases: list[str] = Field(default_factory=list)
    phone: str = ""
    description: str = ""


class SituationInfo(BaseModel):
    id: str
    question: str
    options: list[tuple[str, str]]  # (value, label)
    profile_key: str | None = None

    def label(self, value: str) -> str:
        return dict(self.options).get(value, value)


class RequirementInfo(BaseModel):
    """One material of a matter with how/when it is needed (the REQUIRES relationship)."""

    material_id: str
    name: str
    description: str = ""
    copies: int = 1
    original: bool = True
    elicense: bool = False
    elicense_type: str | None = None
    required: bool = True
    when: dict[str, list[str]] = Field(default_factory=dict)
    note: str = ""


class MatterFacts(BaseModel):
    """Everything the dialogue needs about one matter; ``source`` is its citation."""

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    colloquial: list[str] = Field(default_factory=list)
    description: str = ""
    target: str = ""
    type: str = ""
    department: DepartmentInfo | None = None
    windows: list[WindowInfo] = Field(default_factory=list)
    legal_limit_days: int = 0
    promised_limit_days: int = 0
    fee: str = "不收费"
    online_level: str = ""
    max_visits: int = 1
    phone: str = ""
    conditions: str = ""
    steps: list[str] = Field(default_factory=list)
    legal_basis: list[str] = Field(default_factory=list)
    situations: list[SituationInfo] = Field(default_factory=list)
    materials: list[RequirementInfo] = Field(default_factory=list)
    forms: list[Form] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    source: str = ""


class BundleInfo(BaseModel):
    """一件事: several matters done together."""

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    matters: list[str] = Field(default_factory=list)
    windows: list[str] = Field(default_factory=list)
    promised_limit_days: int = 0
    source: str = ""


@runtime_checkable
class Knowledge(Protocol):
    """Read access to the catalogue (backed by the graph or, in tests and tools, by the corpus)."""

    def matter(self, matter_id: str) -> MatterFacts:
        """The facts of one matter. Raises ``UnknownMatterError`` when absent."""
        ...

    def matter_ids(self) -> list[str]: ...

    def places(self) -> list[Place]: ...

    def departments(self) -> list[DepartmentInfo]: ...

    def bundles(self) -> list[BundleInfo]: ...


class FinderResult(BaseModel):
    hits: list[tuple[str, float]] = Field(default_factory=list)  # (matter id, score in [0, 1])
    out_of_scope: bool = False


@runtime_checkable
class MatterFinder(Protocol):
    """Find the matters a question is about (the hybrid retriever adapts to this)."""

    def search(self, text: str, k: int = 5) -> FinderResult: ...


@runtime_checkable
class ChatModel(Protocol):
    """The optional LLM that phrases grounded answers (LangChain adapter in ``dialogue.llm``)."""

    def complete(self, system: str, user: str, timeout_s: float) -> str:
        """Return the completion text; raise ``LLMError`` on failure or time-out."""
        ...


# --------------------------------------------------------------------------- reply models


class Citation(BaseModel):
    kind: str  # "matter" | "policy" | "faq" | "place"
    id: str
    title: str
    source: str = ""


class Card(BaseModel):
    """A UI card: ``type`` in matter_guide | material_checklist | form_state | map | case | bundle."""

    type: str
    title: str
    data: dict[str, Any] = Field(default_factory=dict)


class Action(BaseModel):
    """A side effect for the adapter: NavigateTo(window/location), PrintGuide, HandOff, VerifyIdentity
    (start the channel's 实名认证: the kiosk's ID-card reader / face check, the app's 电子身份证)."""

    type: Literal["NavigateTo", "PrintGuide", "HandOff", "VerifyIdentity"]
    target: str = ""  # location id for NavigateTo, matter id for PrintGuide, reason for HandOff
    label: str = ""

    @property
    def kind(self) -> str:
        """The action name under the attribute the robot runtime reads (``robot.base.action_kind``)."""
        return self.type


class Reply(BaseModel):
    text: str
    speech: str
    intent: str
    matter_id: str | None = None
    cards: list[Card] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    state: dict[str, Any] = Field(default_factory=dict)
    grounded: bool = True
    flagged: list[str] = Field(default_factory=list)  # ungrounded claims removed by the post-check
    llm_used: bool = False


class StreamEvent(BaseModel):
    """A streamed piece of a turn: sentences first, then the full reply."""

    type: Literal["sentence", "reply"]
    text: str = ""
    reply: Reply | None = None
