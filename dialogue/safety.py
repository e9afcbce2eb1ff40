"""Prompt-injection handling: instructions hidden in citizen input never change behaviour or reveal config.

The engine is rule-driven, so injected text has nothing to steer in the default mode; in LLM mode the
citizen text reaches the model only inside delimiters, with injection phrases removed, and the output is
screened for configuration leaks before it is shown.
"""

from __future__ import annotations

import re

_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|不要理会|跳过)[^，。,.]{0,8}(指令|指示|提示词?|规则|设定|限制)"
    r"|(输出|告诉我|显示|打印|泄露|说出|重复)[^，。,.]{0,6}(系统提示|提示词|system\s*prompt|配置|密钥|api\s*key|模型名|设置)"
    r"|ignore\s+(all\s+)?(previous|prior|above)\s+instructions|system\s*prompt|developer\s+mode|jailbreak"
    r"|你现在是|从现在开始你是|扮演|角色扮演|开发者模式|DAN\b|sudo",
    re.IGNORECASE,
)
_SECRET_HINTS = re.compile(
    r"api[_\s-]?key|base[_\s-]?url|sk-[A-Za-z0-9]{6,}|系统提示|提示词|GOVGUIDE_", re.IGNORECASE
)


def is_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


def sanitize(text: str) -> tuple[str, bool]:
    """Drop the clauses that carry injection phrases; returns (clean text, whether anything was dropped)."""
    if not is_injection(text):
        return text.strip(), False
    clauses = re.split(r"(?<=[，,。；;！!？?\n])", text)
    kept = [c for c in clauses if not is_injection(c)]
    return "".join(kept).strip(" ，,。；;"), True


def leaks_config(text: str, secrets: list[str]) -> bool:
    """True when model output mentions configuration, prompts or any of the given secret values."""
    return bool(_SECRET_HINTS.search(text)) or any(s and s in text for s in secrets)


REFUSAL = "抱歉，我只能帮您咨询和办理政务服务事项，例如“办社保卡要带什么”“B01窗口在哪”。"
