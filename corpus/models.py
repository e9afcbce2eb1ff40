"""Typed schemas of the curated corpus files (YAML under corpus/data/).

Glossary: 事项 Matter, 材料 Material, 部门 Department, 窗口 Window, 点位 Location, 情形 Situation,
表单 Form / 字段 FormField, 一件事 Bundle, 主题 Theme (life event), 常见问题 FAQ, 政策 Policy.

Every record carries a business ``id``; cross-file references are ids and are checked by
``corpus.loader``. A material's ``when`` ties it to situation answers: ``{"sit.agent": ["yes"]}`` means
"only when the applicant answers *yes* to the agent question"; several keys must all hold.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
WINDOW_ID_PATTERN = r"^[A-Z][0-9]{2}$"


class Record(BaseModel):
    """Base of every corpus record: strict (unknown keys are errors), with a business id."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)

    id: str = Field(pattern=ID_PATTERN)


class Department(Record):
    name: str = Field(min_length=2)
    short_name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    phone: str = Field(pattern=r"^[0-9-]{7,20}$")
    description: str = ""


LocationKind = Literal[
    "entrance",
    "hall",
    "window",
    "restroom",
    "terminal",
    "queue_machine",
    "waiting",
    "dock",
    "elevator",
    "stairs",
    "help_desk",
    "corridor",
    "office",
    "other",
]


class Location(Record):
    """A point on the lobby map (coordinates in metres, per floor)."""

    name: str
    kind: LocationKind
    floor: int = Field(ge=-3, le=30)
    x: float
    y: float
    aliases: list[str] = Field(default_factory=list)
    description: str = ""


class Edge(BaseModel):
    """Walkable adjacency between two locations; always walkable both ways."""

    model_config = ConfigDict(extra="forbid")

    a: str = Field(alias="from")
    b: str = Field(alias="to")
    # Metres; computed from coordinates when omitted (stairs/elevators between floors must set it).
    distance: float | None = Field(default=None, gt=0)
    kind: Literal["walk", "elevator", "stairs"] = "walk"


class LobbyMap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    centre_name: str
    address: str
    opening_hours: str
    floors: dict[int, str]
    locations: list[Location]
    edges: list[Edge]


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=WINDOW_ID_PATTERN)
    name: str
    location: str
    departments: list[str] = Field(min_length=1)
    description: str = ""
    hours: str = ""


class Material(Record):
    """A document an applicant brings or uploads (shared across matters)."""

    name: str
    description: str = ""
    # 电子证照 type when the document can be pulled from the e-licence store instead of brought.
    elicense_type: str | None = None
    source: str = ""  # 来源渠道: 申请人自备 / 政府部门核发 / ...


class SituationOption(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    value: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str


class Situation(Record):
    """A question whose answer changes what the applicant must bring (情形)."""

    question: str
    options: list[SituationOption] = Field(min_length=2)
    # Profile attribute that answers it without asking (e.g. "hukou_local"), if any.
    profile_key: str | None = None

    @model_validator(mode="after")
    def _unique_options(self) -> Situation:
        values = [o.value for o in self.options]
        if len(values) != len(set(values)):
            raise ValueError(f"duplicate option values in {self.id}")
        return self


class Requirement(BaseModel):
    """One material a matter requires, with how and when (the REQUIRES relationship)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    material: str = Field(pattern=ID_PATTERN)
    copies: int = Field(default=1, ge=0, le=20)
    original: bool = True  # True: 原件 (shown/handed in); False: 复印件
    elicense: bool = False  # may be replaced by the e-licence
    required: bool = True  # False: 容缺/可选
    when: dict[str, list[str]] = Field(default_factory=dict)
    note: str = ""


OnlineLevel = Literal["全程网办", "网上预审", "网上预约", "仅窗口办理"]
Target = Literal["个人", "法人", "个人/法人"]
MatterType = Literal["行政许可", "行政确认", "行政给付", "行政裁决", "行政奖励", "公共服务", "其他行政权力"]


class Matter(Record):
    name: str = Field(min_length=2)
    code: str = ""  # 事项编码 / 实施编码
    aliases: list[str] = Field(default_factory=list)
    colloquial: list[str] = Field(default_factory=list)  # how citizens say it
    description: str = Field(min_length=10)
    target: Target
    type: MatterType
    department: str = Field(pattern=ID_PATTERN)
    windows: list[str] = Field(min_length=1)
    legal_limit_days: int = Field(ge=0)  # 法定办结时限 (working days; 0 = 即办)
    promised_limit_days: int = Field(ge=0)  # 承诺办结时限
    fee: str = "不收费"
    fee_basis: str = ""
    online_level: OnlineLevel
    max_visits: int = Field(ge=0, le=3)
    legal_basis: list[str] = Field(min_length=1)
    phone: str = Field(pattern=r"^[0-9-]{7,20}$")
    conditions: str = ""  # 受理条件
    steps: list[str] = Field(default_factory=list)
    situations: list[str] = Field(default_factory=list)
    materials: list[Requirement] = Field(min_length=1)
    forms: list[str] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _limits_and_conditions(self) -> Matter:
        if self.promised_limit_days > self.legal_limit_days and self.legal_limit_days:
            raise ValueError(
                f"promised_limit_days {self.promised_limit_days} exceeds "
                f"legal_limit_days {self.legal_limit_days}"
            )
        for req in self.materials:
            unknown = set(req.when) - set(self.situations)
            if unknown:
                raise ValueError(
                    f"material {req.material} depends on situations {sorted(unknown)} "
                    "not listed in situations"
                )
        return self

    @field_validator("windows")
    @classmethod
    def _window_ids(cls, v: list[str]) -> list[str]:
        for w in v:
            if not re.fullmatch(WINDOW_ID_PATTERN, w):
                raise ValueError(f"window id {w!r} must look like B01")
        return v


FieldType = Literal["text", "id_number", "phone", "date", "enum", "address", "number", "email", "bool"]


class FormField(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # unique within its form
    label: str
    type: FieldType
    required: bool = True
    options: list[str] = Field(default_factory=list)  # for enum
    pattern: str | None = None  # extra regex for text fields
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    profile_key: str | None = None  # prefill from the citizen profile
    elicense_key: str | None = None  # prefill from an e-licence ("<type>.<field>")
    help: str = ""

    @model_validator(mode="after")
    def _enum_has_options(self) -> FormField:
        if self.type == "enum" and len(self.options) < 2:
            raise ValueError(f"enum field {self.id} needs at least two options")
        if self.pattern:
            re.compile(self.pattern)
        return self


class Form(Record):
    name: str
    description: str = ""
    fields: list[FormField] = Field(min_length=2)

    @model_validator(mode="after")
    def _unique_fields(self) -> Form:
        ids = [f.id for f in self.fields]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate field ids {sorted(dupes)}")
        return self


class Theme(Record):
    name: str
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    target: Target = "个人"


class Bundle(Record):
    """一件事: several matters done together with one application."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    description: str = Field(min_length=10)
    theme: str | None = None
    matters: list[str] = Field(min_length=2)
    windows: list[str] = Field(min_length=1)
    promised_limit_days: int = Field(ge=0)


class FAQ(Record):
    question: str = Field(min_length=4)
    answer: str = Field(min_length=4)
    matters: list[str] = Field(min_length=1)
    style: Literal["standard", "colloquial", "elderly", "regional", "typo"] = "standard"


class Policy(Record):
    title: str
    doc_no: str = ""
    issuer: str
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")  # ISO date string (both backends accept strings)
    excerpt: str = Field(min_length=10)
    matters: list[str] = Field(min_length=1)
    url: str = ""

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, v: object) -> object:
        # YAML reads 2008-01-31 as a date; the graph stores ISO strings (both backends accept them).
        return v.isoformat() if hasattr(v, "isoformat") else v
