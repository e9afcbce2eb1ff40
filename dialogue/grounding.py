"""Post-check of LLM text against the evidence: materials, windows, time limits and fees.

The check is sentence by sentence: a sentence that names a material, a window, a number of days or an
amount of money absent from the evidence is removed and reported in ``flagged``. Material mentions are
found two ways: any catalogue material name, and document-like nouns (…证, …证明, …簿, …照片, …合同).

Given a ``reference`` (the evidence, the deterministic draft and the question), a sentence must also stay
on it: the model is asked to rephrase, so a sentence whose Chinese character pairs are mostly absent from
the reference (a confused or broken model's output) is removed too, flagged ``离题``. Short sentences
("您好！", "好的。") are exempt if they contain Chinese at all.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from dialogue.answer import Evidence

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?\n]?")
_WINDOW = re.compile(r"(?<![A-Za-z0-9])([A-Z]\d{2})(?:号)?(?:窗口)?(?!\d)")
_DAYS = re.compile(r"(\d+|[一二两三四五六七八九十]+)\s*个?\s*(工作日|天|日)")
_MONEY = re.compile(r"(\d+(?:\.\d+)?)\s*元")
_FREE = re.compile(r"免费|不收费|不收取|无需缴费|不需要交钱")
_IMMEDIATE = re.compile(
    r"即办|(当场|当天|马上)(就能|就可以|即可|就|能)?(办结|办好|办完|拿到|拿证|领取|领到|出证)|立等可取|当场拿"
)
_HAN = re.compile(r"[\u4e00-\u9fa5]")
_CJK_PAIR = re.compile(r"(?=([\u4e00-\u9fa5]{2}))")
# A rephrasing shares far more than this share of its character pairs with the evidence and the draft;
# random or off-topic text shares almost none.
_MIN_ON_REFERENCE = 0.3
_MIN_PAIRS = 4
_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# Document-like nouns: the suffix and the two characters before it form the mention ("户口本", "执业证书").
_DOC_SUFFIX = re.compile(
    r"(?<=[\u4e00-\u9fa5]{2})(证明|证书|执照|合同|照片|簿|本(?![县市地人次科期年月单页])|证|卡)"
)
_NOT_MATERIAL = (
    "保证",
    "认证",
    "验证",
    "论证",
    "办证",
    "领证",
    "拿证",
    "出证",
    "换证",
    "补证",
    "发证",
    "制证",
    "取证",
    "电子证",
    "工本",
    "基本",
    "成本",
    "版本",
    "日本",
    "根本",
    "资本",
    "样本",
    "文本",
    "剧本",
    "刷卡",
    "打卡",
)


class GroundingResult(BaseModel):
    text: str
    grounded: bool
    flagged: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)


def _cn_int(s: str) -> int:
    if s.isdigit():
        return int(s)
    if s.startswith("十"):
        return 10 + _CN.get(s[1:], 0) if len(s) > 1 else 10
    if "十" in s:
        tens, _, ones = s.partition("十")
        return _CN.get(tens, 0) * 10 + _CN.get(ones, 0)
    return _CN.get(s, -1)


def sentence_problems(sentence: str, ev: Evidence, catalogue_materials: set[str]) -> list[str]:
    """The ungrounded claims of one sentence (empty when every stated fact is in the evidence)."""
    problems: list[str] = []
    allowed = set(ev.materials)
    for name in catalogue_materials:
        if name in sentence and name not in ev.vocabulary:
            problems.append(f"材料:{name}")
    for m in _DOC_SUFFIX.finditer(sentence):
        mention = sentence[m.start() - 2 : m.end()]
        if any(mention.endswith(x) for x in _NOT_MATERIAL):
            continue
        # Grounded when the noun with one or two characters before it occurs in the evidence
        # ("查证" in "查证婚姻登记档案"); "户口本" / "结婚证" absent from it are not.
        if any(sentence[m.start() - k : m.end()] in ev.vocabulary for k in (1, 2)):
            continue
        if len(sentence) > m.end() + 1 and sentence[m.start() : m.end() + 2] in ev.vocabulary:
            continue  # "证书工本费": the noun in the same context as in the evidence
        if m.group(1) == "照片" and "照片" in "".join(allowed):
            continue  # "一寸照片" for "一寸免冠彩色照片"
        if f"材料:{mention}" not in problems:
            problems.append(f"材料:{mention}")
    for m in _WINDOW.finditer(sentence):
        if m.group(1) not in ev.windows and m.group(1) not in ev.vocabulary:
            problems.append(f"窗口:{m.group(1)}")
    for m in _DAYS.finditer(sentence):
        n = _cn_int(m.group(1))
        if n not in ev.days and m.group(0) not in ev.vocabulary:
            problems.append(f"时限:{m.group(0)}")
    immediate = _IMMEDIATE.search(sentence)
    if immediate and not ev.immediate and immediate.group(0) not in ev.vocabulary:
        problems.append("时限:即办")
    for m in _MONEY.finditer(sentence):
        if m.group(1) not in ev.fee and m.group(0) not in ev.vocabulary:
            problems.append(f"收费:{m.group(0)}")
    free = _FREE.search(sentence)
    if free and ev.fee != "不收费" and free.group(0) not in ev.vocabulary:
        problems.append("收费:免费")
    return problems


def _pairs(text: str) -> list[str]:
    return _CJK_PAIR.findall(text)


def off_reference(sentence: str, reference_pairs: set[str]) -> bool:
    """True when a sentence of some length shares too few character pairs with the reference."""
    pairs = _pairs(sentence)
    if len(pairs) < _MIN_PAIRS:
        return _HAN.search(sentence) is None  # "好的。" stays; "。", "x1 3" (no Chinese at all) do not
    return sum(p in reference_pairs for p in pairs) / len(pairs) < _MIN_ON_REFERENCE


def reference_pairs(reference: str) -> set[str]:
    """The character pairs of the reference text (evidence + draft + question)."""
    return set(_pairs(reference))


def check(
    text: str, ev: Evidence, catalogue_materials: set[str] | None = None, reference: str | None = None
) -> GroundingResult:
    """Remove every sentence with an ungrounded material, window, time limit or fee, and, given a
    ``reference``, every sentence that strays from it."""
    kept: list[str] = []
    flagged: list[str] = []
    removed: list[str] = []
    ref = reference_pairs(reference) if reference is not None else None
    for sentence in _SENTENCE.findall(text.strip()):
        problems = sentence_problems(sentence, ev, catalogue_materials or set())
        if ref is not None and not problems and off_reference(sentence, ref):
            problems = [f"离题:{sentence.strip()[:20]}"]
        if problems:
            flagged.extend(problems)
            removed.append(sentence.strip())
        else:
            kept.append(sentence)
    return GroundingResult(text="".join(kept).strip(), grounded=not flagged, flagged=flagged, removed=removed)
