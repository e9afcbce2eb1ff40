"""Deterministic answer composer: natural Chinese sentences written from ``MatterFacts`` only.

Every sentence states facts taken from the matter record, so the default (no LLM) mode is grounded by
construction; the same ``Evidence`` feeds the LLM prompt and the post-check in ``dialogue.grounding``.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from dialogue.base import Citation, MatterFacts
from dialogue.guide import applicable_materials, known_answers, time_limit_text, window_text

ASPECTS = ("materials", "where", "time", "fee", "online", "how")


class Evidence(BaseModel):
    """What an answer about one matter may state (for the LLM prompt and the grounding check)."""

    matter_id: str
    matter_name: str
    materials: list[str] = Field(default_factory=list)
    windows: list[str] = Field(default_factory=list)  # window ids
    window_names: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)  # location names, floors
    days: list[int] = Field(default_factory=list)  # promised / legal time limits (working days)
    immediate: bool = False  # 即办
    fee: str = "不收费"
    online: str = ""
    phone: str = ""
    facts_text: str = ""  # the evidence as lines for the LLM prompt
    vocabulary: str = ""  # every evidence string (names, aliases, description, steps) for mention checks


def build_evidence(
    facts: MatterFacts, answers: dict[str, str] | None = None, profile: dict[str, object] | None = None
) -> Evidence:
    known = known_answers(facts, answers or {}, profile or {})
    mats = [r.name for r in facts.materials]
    lines = [
        f"事项：{facts.name}",
        f"实施部门：{facts.department.name if facts.department else ''}",
        f"办理窗口：{'、'.join(window_text(facts))}",
        f"办理时限：{time_limit_text(facts)}",
        f"收费：{facts.fee}",
        f"网上办理：{facts.online_level}",
        f"咨询电话：{facts.phone}",
        "材料：" + "；".join(_material_line(facts, r.material_id) for r in facts.materials),
    ]
    if facts.steps:
        lines.append("流程：" + "→".join(facts.steps))
    if facts.conditions:
        lines.append(f"受理条件：{facts.conditions}")
    del known  # the full list (with conditions) is evidence; the guide narrows it per citizen
    return Evidence(
        matter_id=facts.id,
        matter_name=facts.name,
        materials=mats,
        windows=[w.id for w in facts.windows],
        window_names=[w.name for w in facts.windows],
        places=[w.location.name for w in facts.windows if w.location],
        days=sorted({d for d in (facts.promised_limit_days, facts.legal_limit_days) if d}),
        immediate=facts.promised_limit_days == 0,
        fee=facts.fee,
        online=facts.online_level,
        phone=facts.phone,
        facts_text="\n".join(lines),
        vocabulary="\n".join(
            [
                *lines,
                facts.description,
                *facts.aliases,
                *facts.colloquial,
                facts.conditions,
                *facts.steps,
                *(r.description for r in facts.materials),
            ]
        ),
    )


def _material_line(facts: MatterFacts, material_id: str) -> str:
    r = next(r for r in facts.materials if r.material_id == material_id)
    conds = []
    sits = {s.id: s for s in facts.situations}
    for sid, values in r.when.items():
        if sid in sits:
            conds.append("或".join(sits[sid].label(v) for v in values))
    cond = f"（{'，'.join(conds)}时需要）" if conds else ""
    return f"{r.name}{'原件' if r.original else '复印件'}{r.copies}份{cond}"


def citation(facts: MatterFacts) -> Citation:
    return Citation(kind="matter", id=facts.id, title=facts.name, source=facts.source)


def _materials_sentence(facts: MatterFacts, answers: dict[str, str]) -> str:
    always = [r for r in facts.materials if not r.when]
    conditional = [r for r in facts.materials if r.when]
    chosen = applicable_materials(facts, answers) if answers else always
    names = "、".join(f"{r.name}{'（可用电子证照）' if r.elicense else ''}" for r in chosen)
    pending = [r for r in conditional if r not in chosen and not answers]
    if names:
        text = f"办理{facts.name}需要准备：{names}。"
    elif pending:
        text = f"办理{facts.name}要带的材料取决于您的情况："
    else:
        text = f"办理{facts.name}无需提交材料。"
    if pending:
        sits = {s.id: s for s in facts.situations}
        extra = []
        for r in pending:
            conds = "或".join(sits[sid].label(v) for sid, vals in r.when.items() if sid in sits for v in vals)
            extra.append(f"{conds}时{'还要' if names else '需要'}{r.name}")
        text += ("另外，" if names else "") + "；".join(extra) + "。"
    return text


def compose(facts: MatterFacts, aspect: str, answers: dict[str, str] | None = None) -> str:
    """One deterministic answer about ``aspect`` of a matter (natural, short, speakable)."""
    answers = answers or {}
    windows = "、".join(window_text(facts)) or "综合受理窗口"
    dept = facts.department.short_name if facts.department else ""
    if aspect == "materials":
        return _materials_sentence(facts, answers)
    if aspect == "where":
        return f"{facts.name}由{dept}受理，请到{windows}办理。"
    if aspect == "time":
        return f"{facts.name}{time_limit_text(facts)}。"
    if aspect == "fee":
        fee = facts.fee or "不收费"
        return f"{facts.name}{'不收取任何费用' if fee == '不收费' else '需缴纳' + fee}。"
    if aspect == "online":
        visits = "一次都不用跑" if facts.max_visits == 0 else f"最多跑{facts.max_visits}次"
        return f"{facts.name}支持{facts.online_level}，{visits}。"
    steps = "，然后".join(facts.steps) if facts.steps else "到窗口提交材料"
    return (
        f"{facts.name}：{facts.description}办理流程是：{steps}。请到{windows}办理，"
        f"{time_limit_text(facts)}。需要我告诉您要带的材料吗？"
    )


def speech_of(text: str, limit: int = 120) -> str:
    """A TTS-friendly version: no brackets or list numbering, cut at a sentence end near ``limit``."""
    s = text.replace("（", "，").replace("）", "，").replace("；", "，").replace("：", "，")
    # A bracket turned comma next to other punctuation would be read as two pauses: keep the stronger one.
    s = re.sub(r"，+([，、。！？])", r"\1", s)
    if len(s) <= limit:
        return s
    cut = s.rfind("。", 0, limit)
    return s[: cut + 1] if cut > 0 else s[:limit] + "。"
