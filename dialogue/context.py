"""Multi-turn context: the dialogue state kept per session, and resolution of ellipsis and references.

"那要多久？" keeps the current matter and changes the aspect; "第二个呢" picks an item of the last list
shown (matters of a bundle or of an ambiguous search) and keeps the aspect.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from dialogue.forms import FormState

_ORDINAL = re.compile(r"第([一二三四五六七八九十\d]+)个")
_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


class DialogueState(BaseModel):
    """Everything a session remembers between turns (persisted as JSON, expires with the session)."""

    citizen_id: str | None = None
    matter_id: str | None = None
    last_intent: str | None = None
    last_list: list[str] = Field(default_factory=list)  # matter ids in the order they were shown
    answers: dict[str, dict[str, str]] = Field(default_factory=dict)  # matter -> situation -> option
    guide_matter: str | None = None  # a personalised guide in progress
    guide_question: str | None = None  # the situation id just asked
    form: FormState | None = None
    turns: int = 0
    history: list[dict[str, Any]] = Field(default_factory=list)  # last turns, masked

    def remember(self, utterance: str, intent: str, reply: str, keep: int = 6) -> None:
        from dialogue.privacy import mask_text

        self.history.append({"user": mask_text(utterance), "intent": intent, "bot": mask_text(reply)[:200]})
        del self.history[:-keep]


def ordinal_index(text: str) -> int | None:
    """0-based index of "第二个" / "第2个" / "上一个"; None when the text names no position."""
    m = _ORDINAL.search(text)
    if m:
        g = m.group(1)
        n = int(g) if g.isdigit() else _CN.get(g, 0)
        return n - 1 if n > 0 else None
    if "上一个" in text:
        return -2
    return None


def resolve_reference(text: str, state: DialogueState) -> str | None:
    """The matter a follow-up refers to ("第二个呢" → the second item of the last list)."""
    idx = ordinal_index(text)
    if idx is not None and state.last_list:
        if idx == -2:
            return state.last_list[-2] if len(state.last_list) > 1 else state.last_list[0]
        if 0 <= idx < len(state.last_list):
            return state.last_list[idx]
        return None
    if re.search(r"这个|那个|它", text):
        return state.matter_id
    return None
