"""Personalised guide (个性化指南): ask only the situation questions that change the material list.

A situation is worth asking when some still-undecided material depends on it; answers come from the
conversation first, then from the citizen profile (``Situation.profile_key``). Once nothing is undecided
the guide lists exactly the materials whose conditions hold, with steps, window, time limit, fee and the
online option, as a card and as a printable HTML page.
"""

from __future__ import annotations

import html
import re

from pydantic import BaseModel, Field

from dialogue.base import Card, MatterFacts, RequirementInfo, SituationInfo

# Keywords that select an option value when the citizen does not repeat the option label.
OPTION_KEYWORDS: dict[str, tuple[str, ...]] = {
    "self": ("本人", "自己", "我自己", "亲自"),
    "agent": ("代办", "委托", "帮别人", "替", "帮他", "帮她", "帮我家", "代理", "代人"),
    "new": ("首次", "第一次", "新办", "没办过", "头一回", "新申请"),
    "first": ("首次", "第一次", "新办", "没办过", "头一回"),
    "renew": ("到期", "过期", "换领", "换证", "延续", "坏了", "损坏", "换"),
    "lost": ("丢", "遗失", "补领", "不见了", "找不到", "被偷"),
    "local": ("本县", "本地", "云溪户口", "本县户籍", "本地户口", "是本县"),
    "nonlocal": ("外地", "非本县", "外省", "外县", "不是本县", "不是本地", "外市"),
    "person": ("个人", "自己的名义", "以个人"),
    "company": ("公司", "单位", "企业", "以单位"),
}
_ORDINALS = {"第一": 0, "第1": 0, "第二": 1, "第2": 1, "第三": 2, "第3": 2, "第四": 3}


def _holds(when: dict[str, list[str]], answers: dict[str, str]) -> bool | None:
    """True/False when decidable from ``answers``; None while a needed situation is unanswered."""
    undecided = False
    for sid, values in when.items():
        if sid not in answers:
            undecided = True
        elif answers[sid] not in values:
            return False
    return None if undecided else True


def known_answers(facts: MatterFacts, answers: dict[str, str], profile: dict[str, object]) -> dict[str, str]:
    """Answers from the conversation, completed by profile attributes that answer a situation."""
    out = {k: v for k, v in answers.items() if any(s.id == k for s in facts.situations)}
    for sit in facts.situations:
        if sit.id in out or not sit.profile_key:
            continue
        value = profile.get(sit.profile_key)
        if isinstance(value, str) and value in dict(sit.options):
            out[sit.id] = value
    return out


def next_question(
    facts: MatterFacts, answers: dict[str, str], profile: dict[str, object] | None = None
) -> SituationInfo | None:
    """The first situation (in the matter's order) whose answer would change the material list."""
    known = known_answers(facts, answers, profile or {})
    for sit in facts.situations:
        if sit.id in known:
            continue
        for req in facts.materials:
            if sit.id in req.when and _holds(req.when, known) is None:
                # Only relevant if the other conditions of this material do not already exclude it.
                others = {k: v for k, v in req.when.items() if k != sit.id}
                if _holds(others, known) is not False:
                    return sit
    return None


def parse_option(sit: SituationInfo, text: str) -> str | None:
    """Map a free answer to one of the situation's option values, or None when unclear."""
    t = text.strip()
    for value, label in sit.options:
        if value == t.lower() or label == t:
            return value
    for key, idx in _ORDINALS.items():
        if key in t and idx < len(sit.options):
            return sit.options[idx][0]
    if re.fullmatch(r"[1-9]", t) and int(t) <= len(sit.options):
        return sit.options[int(t) - 1][0]
    # Longest keyword wins, so "不是本县" beats "本县" and "非本县户籍" beats "本县户籍".
    best: tuple[int, str] | None = None
    for value, label in sit.options:
        for kw in (label, *OPTION_KEYWORDS.get(value, ())):
            if kw and kw in t and (best is None or len(kw) > best[0]):
                best = (len(kw), value)
    return best[1] if best else None


class GuideMaterial(BaseModel):
    material_id: str
    name: str
    copies: int
    original: bool
    elicense: bool
    required: bool
    note: str = ""

    def describe(self) -> str:
        kind = "原件" if self.original else "复印件"
        extra = "（可用电子证照）" if self.elicense else ""
        optional = "（可容缺）" if not self.required else ""
        note = f"：{self.note}" if self.note else ""
        return f"{self.name}{kind}{self.copies}份{extra}{optional}{note}"


class Guide(BaseModel):
    """The finished personalised guide of one matter."""

    matter_id: str
    matter_name: str
    answers: dict[str, str] = Field(default_factory=dict)  # situation id -> option label
    materials: list[GuideMaterial]
    steps: list[str]
    windows: list[str]  # "B01号窗口（一楼B区…）"
    window_ids: list[str]
    location_ids: list[str]
    time_limit: str
    fee: str
    online: str
    phone: str
    source: str


def time_limit_text(facts: MatterFacts) -> str:
    if facts.promised_limit_days == 0:
        return "即办（资料齐全当场办结）"
    legal = f"，法定{facts.legal_limit_days}个工作日" if facts.legal_limit_days else ""
    return f"承诺{facts.promised_limit_days}个工作日办结{legal}"


def window_text(facts: MatterFacts) -> list[str]:
    out = []
    for w in facts.windows:
        where = f"（{w.location.floor}楼，{w.description}）" if w.location else ""
        out.append(f"{w.name}{where}")
    return out


def applicable_materials(facts: MatterFacts, answers: dict[str, str]) -> list[RequirementInfo]:
    """Materials whose condition holds; undecided ones are excluded (ask first)."""
    return [r for r in facts.materials if _holds(r.when, answers) is True]


def build_guide(
    facts: MatterFacts, answers: dict[str, str], profile: dict[str, object] | None = None
) -> Guide:
    """The exact guide for these answers (call once ``next_question`` returns None)."""
    known = known_answers(facts, answers, profile or {})
    sits = {s.id: s for s in facts.situations}
    mats = [
        GuideMaterial(
            material_id=r.material_id,
            name=r.name,
            copies=r.copies,
            original=r.original,
            elicense=r.elicense,
            required=r.required,
            note=r.note,
        )
        for r in applicable_materials(facts, known)
    ]
    return Guide(
        matter_id=facts.id,
        matter_name=facts.name,
        answers={sid: sits[sid].label(v) for sid, v in known.items() if sid in sits},
        materials=mats,
        steps=list(facts.steps),
        windows=window_text(facts),
        window_ids=[w.id for w in facts.windows],
        location_ids=[w.location.id for w in facts.windows if w.location],
        time_limit=time_limit_text(facts),
        fee=facts.fee or "不收费",
        online=facts.online_level,
        phone=facts.phone,
        source=facts.source,
    )


def guide_card(guide: Guide) -> Card:
    return Card(type="matter_guide", title=f"{guide.matter_name} 办事指南", data=guide.model_dump())


def guide_text(guide: Guide) -> str:
    """The guide as a few spoken-style Chinese sentences."""
    mats = "；".join(f"{i}. {m.describe()}" for i, m in enumerate(guide.materials, 1))
    return (
        f"好的，{guide.matter_name}您需要准备{len(guide.materials)}样材料：{mats}。"
        f"请到{'、'.join(guide.windows)}办理，{guide.time_limit}，{guide.fee}。"
        f"网上办理：{guide.online}。咨询电话{guide.phone}。"
    )


def guide_html(guide: Guide, centre_name: str = "政务服务中心") -> str:
    """A self-contained printable page (A4, CJK-friendly font stack, no external resources)."""
    e = html.escape
    answers = "".join(f"<li>{e(v)}</li>" for v in guide.answers.values()) or "<li>无</li>"
    mats = "".join(
        f"<tr><td>{i}</td><td>{e(m.name)}</td><td>{'原件' if m.original else '复印件'}</td>"
        f"<td>{m.copies}</td><td>{'是' if m.elicense else '否'}</td><td>{e(m.note)}</td></tr>"
        for i, m in enumerate(guide.materials, 1)
    )
    steps = "".join(f"<li>{e(s)}</li>" for s in guide.steps) or "<li>窗口提交材料，当场受理</li>"
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(guide.matter_name)} 办事指南</title>
<style>
@page {{ size: A4; margin: 18mm; }}
body {{ font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; font-size: 12pt; }}
h1 {{ font-size: 18pt; }} table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #444; padding: 4px 6px; text-align: left; }}
.meta td:first-child {{ width: 7em; font-weight: bold; }}
</style></head><body>
<h1>{e(guide.matter_name)} — 个性化办事指南</h1>
<p>{e(centre_name)}</p>
<h2>您的情形</h2><ul>{answers}</ul>
<h2>需要准备的材料</h2>
<table><tr><th>序号</th><th>材料</th><th>形式</th><th>份数</th><th>可用电子证照</th><th>说明</th></tr>{mats}</table>
<h2>办理流程</h2><ol>{steps}</ol>
<table class="meta">
<tr><td>办理窗口</td><td>{e("、".join(guide.windows))}</td></tr>
<tr><td>办理时限</td><td>{e(guide.time_limit)}</td></tr>
<tr><td>收费</td><td>{e(guide.fee)}</td></tr>
<tr><td>网上办理</td><td>{e(guide.online)}</td></tr>
<tr><td>咨询电话</td><td>{e(guide.phone)}</td></tr>
</table>
<p style="font-size:9pt">依据：{e(guide.source)}</p>
</body></html>
"""
