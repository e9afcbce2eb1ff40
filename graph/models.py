"""Read models returned by ``graph.queries`` (our own types, never driver records).

Fields mirror the node/relationship properties of ``graph.schema``; missing properties take the
defaults, unknown ones are ignored, so an older or richer graph still loads.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class GraphModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class LocationRef(GraphModel):
    """Where something stands on the lobby map."""

    id: str
    name: str = ""
    floor: int | None = None
    x: float | None = None
    y: float | None = None


class Location(LocationRef):
    """A lobby map point with everything the robot and the map view need."""

    kind: str = ""
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    source: str = ""


class Adjacency(GraphModel):
    """A walkable ADJACENT edge (stored both ways in the graph)."""

    from_id: str
    to_id: str
    distance: float | None = None
    kind: str = "walk"


class LobbyGraph(GraphModel):
    locations: list[Location] = Field(default_factory=list)
    edges: list[Adjacency] = Field(default_factory=list)


class DepartmentRef(GraphModel):
    id: str
    name: str = ""
    short_name: str = ""
    phone: str = ""


class WindowInfo(GraphModel):
    id: str
    name: str = ""
    description: str = ""
    hours: str = ""
    floor: int | None = None
    location: LocationRef | None = None
    source: str = ""


class MaterialRequirement(GraphModel):
    """A material as one matter requires it: Material properties + REQUIRES properties."""

    id: str
    name: str = ""
    description: str = ""
    elicense_type: str | None = None
    source: str = ""
    copies: int = 1
    original: bool = True
    elicense: bool = False
    required: bool = True
    # Decoded ``when``: {"sit.agent": ["yes"]}; empty means "always".
    when: dict[str, list[str]] = Field(default_factory=dict)
    note: str = ""
    order: int = 0


class SituationInfo(GraphModel):
    id: str
    question: str = ""
    options: list[str] = Field(default_factory=list)
    option_labels: list[str] = Field(default_factory=list)
    profile_key: str | None = None
    order: int = 0
    source: str = ""


class FormFieldInfo(GraphModel):
    id: str
    form_id: str = ""
    field_id: str = ""
    label: str = ""
    type: str = "text"
    required: bool = True
    options: list[str] = Field(default_factory=list)
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    profile_key: str | None = None
    elicense_key: str | None = None
    help: str = ""
    order: int = 0


class FormInfo(GraphModel):
    id: str
    name: str = ""
    description: str = ""
    fields: list[FormFieldInfo] = Field(default_factory=list)
    source: str = ""


class Ref(GraphModel):
    """An id and a display name (bundles, themes)."""

    id: str
    name: str = ""


class MatterSummary(GraphModel):
    id: str
    name: str = ""
    aliases: list[str] = Field(default_factory=list)
    colloquial: list[str] = Field(default_factory=list)
    description: str = ""
    department_id: str | None = None
    department_name: str | None = None
    window_ids: list[str] = Field(default_factory=list)
    source: str = ""


class MatterDetail(GraphModel):
    """Everything the assistant says about one matter, from one graph round trip."""

    id: str
    name: str = ""
    code: str = ""
    aliases: list[str] = Field(default_factory=list)
    colloquial: list[str] = Field(default_factory=list)
    description: str = ""
    target: str = ""
    type: str = ""
    legal_limit_days: int | None = None
    promised_limit_days: int | None = None
    fee: str = ""
    fee_basis: str = ""
    online_level: str = ""
    max_visits: int | None = None
    legal_basis: list[str] = Field(default_factory=list)
    phone: str = ""
    conditions: str = ""
    steps: list[str] = Field(default_factory=list)
    source: str = ""
    department: DepartmentRef | None = None
    windows: list[WindowInfo] = Field(default_factory=list)
    materials: list[MaterialRequirement] = Field(default_factory=list)
    situations: list[SituationInfo] = Field(default_factory=list)
    forms: list[FormInfo] = Field(default_factory=list)
    faq_ids: list[str] = Field(default_factory=list)
    policy_ids: list[str] = Field(default_factory=list)
    bundles: list[Ref] = Field(default_factory=list)
    themes: list[Ref] = Field(default_factory=list)


class FAQEntry(GraphModel):
    id: str
    question: str = ""
    answer: str = ""
    matter_ids: list[str] = Field(default_factory=list)
    source: str = ""


class PolicyEntry(GraphModel):
    id: str
    title: str = ""
    excerpt: str = ""
    doc_no: str = ""
    matter_ids: list[str] = Field(default_factory=list)
    source: str = ""


class EntityName(GraphModel):
    """A linkable entity: its label, id, display name and aliases (for entity linking)."""

    label: str
    id: str
    name: str = ""
    aliases: list[str] = Field(default_factory=list)


class FulltextHit(GraphModel):
    id: str
    label: str
    score: float
