"""Form-field validators: normalise what a citizen said or typed, or explain clearly what is wrong.

Each validator takes the raw text and returns the normalised value (ISO dates, digits-only phones,
upper-case ID check letters) or raises ``FieldValidationError`` with a short Chinese message that can be
spoken back as is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from rapidfuzz import fuzz, process

from corpus.models import FormField
from dialogue.errors import FieldValidationError

# GB 11643: weights of the first 17 digits and the check character for (sum mod 11).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# GB/T 2260 province-level codes (first two digits of an administrative division code).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 "
    "71 81 82".split()
)

_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def id_number_checksum_ok(value: str) -> bool:
    """True when the 18th character matches the GB 11643 checksum of the first 17 digits."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def id_birth_date(value: str) -> dt.date | None:
    """The birth date encoded in digits 7-14 of an 18-digit ID number, or None when impossible."""
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def validate_id_number(raw: str, today: dt.date | None = None) -> str:
    """Validate an 18-digit 居民身份证号码: length, region code, birth date, checksum."""
    value = re.sub(r"[\s-]", "", raw).upper().replace("x", "X")
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise FieldValidationError(f"身份证号码应为18位（最后一位可以是X），您提供的是{len(value)}位。")
    if value[:2] not in _PROVINCES or value[2:6] == "0000":
        raise FieldValidationError("身份证号码前6位地区码不正确，请核对。")
    born = id_birth_date(value)
    today = today or dt.date.today()
    if born is None or born > today or born.year < today.year - 130:
        raise FieldValidationError("身份证号码中的出生日期不正确，请核对第7到14位。")
    if not id_number_checksum_ok(value):
        raise FieldValidationError("身份证号码校验位不对，可能有一位输错了，请再核对一下。")
    return value


def validate_phone(raw: str) -> str:
    """Mobile (11 digits starting 13-19, optional +86) or landline with area code (0831-1234567)."""
    text = raw.strip().replace("（", "(").replace("）", ")")
    compact = re.sub(r"[\s()]", "", text)
    digits = compact.replace("-", "")
    digits = re.sub(r"^\+?86(?=1\d{10}$)", "", digits)
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return digits
    m = re.fullmatch(r"(0\d{2,3})-?(\d{7,8})", compact)
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    if re.fullmatch(r"1\d*", digits) and len(digits) != 11:
        raise FieldValidationError(f"手机号码应为11位数字，您提供的是{len(digits)}位，请再说一遍。")
    raise FieldValidationError("电话号码格式不对：手机号为11位，固定电话请带区号，例如0831-6258141。")


def _cn_number(text: str) -> int | None:
    """Chinese numerals up to 99 (十二, 二十五) or digit-by-digit (二〇二四); None if not a number."""
    if text.isdigit():
        return int(text)
    if all(c in _CN_DIGITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    m = re.fullmatch(r"([一二两三四五六七八九])?十([一二三四五六七八九])?", text)
    if m:
        tens = _CN_DIGITS[m.group(1)] if m.group(1) else 1
        ones = _CN_DIGITS[m.group(2)] if m.group(2) else 0
        return tens * 10 + ones
    return None


_DATE_PATTERNS = (
    re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(
        r"([〇零○O一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})[日号]"
    ),
)
_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "后天": 2, "昨天": -1, "前天": -2}


def validate_date(raw: str, today: dt.date | None = None) -> str:
    """Parse many Chinese date forms to ISO ``YYYY-MM-DD``.

    Accepts 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日/号, 20240105, 二〇二四年一月五日, 今天/明天/昨天.
    """
    text = raw.strip()
    today = today or dt.date.today()
    for word, delta in _RELATIVE.items():
        if word in text:
            return (today + dt.timedelta(days=delta)).isoformat()
    for pattern in _DATE_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        parts = [_cn_number(g) for g in m.groups()]
        if None in parts:
            continue
        y, mo, d = (int(p or 0) for p in parts)
        try:
            return dt.date(y, mo, d).isoformat()
        except ValueError:
            raise FieldValidationError(f"{y}年{mo}月{d}日不是一个有效的日期，请核对。") from None
    if re.search(r"\d{4}\s*年\s*\d{1,2}\s*月", text):
        raise FieldValidationError("请说出完整的日期，包括几号，例如1990年3月15日。")
    raise FieldValidationError("没有听清日期，请按“年月日”说，例如1990年3月15日。")


_ENUM_SYNONYMS = {"男性": "男", "男士": "男", "女性": "女", "女士": "女"}


def validate_enum(raw: str, options: list[str]) -> str:
    """Map the answer to one of ``options``: exact, contained, synonym, then fuzzy (score >= 80)."""
    text = raw.strip()
    text = _ENUM_SYNONYMS.get(text, text)
    if text in options:
        return text
    contained = [o for o in options if o in text]
    if len(contained) == 1:
        return contained[0]
    if len(contained) > 1:  # "延续注册" contains "注册"-like overlaps: take the longest
        return max(contained, key=len)
    best = process.extractOne(text, options, scorer=fuzz.partial_ratio)
    if best and best[1] >= 80 and len(text) >= 2:
        return str(best[0])
    raise FieldValidationError(f"请从以下选项中选择：{'、'.join(options)}。")


_ADDRESS_MARKERS = re.compile(r"[省市州县区镇乡街路道巷村组号栋楼室弄院社]")


def validate_address(raw: str) -> str:
    """A plausible postal address: at least 6 characters with an administrative or street marker."""
    text = re.sub(r"\s+", "", raw)
    if len(text) < 6 or not _ADDRESS_MARKERS.search(text):
        raise FieldValidationError("地址请说得具体一些，例如：云溪县城南街道政务路88号3栋2单元。")
    return text


def validate_number(raw: str, minimum: float | None = None, maximum: float | None = None) -> str:
    """A number (Arabic or simple Chinese numerals) within optional bounds; returned as text."""
    text = raw.strip().replace(",", "").replace("，", "")
    m = re.search(r"-?\d+(?:\.\d+)?", text)
    value: float | None = float(m.group()) if m else None
    if value is None:
        cn = re.search(r"[〇零一二两三四五六七八九十]+", text)
        number = _cn_number(cn.group()) if cn else None
        value = float(number) if number is not None else None
    if value is None:
        raise FieldValidationError("这里需要填写一个数字。")
    if minimum is not None and value < minimum:
        raise FieldValidationError(f"数值不能小于{minimum:g}。")
    if maximum is not None and value > maximum:
        raise FieldValidationError(f"数值不能大于{maximum:g}。")
    return f"{value:g}"


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def validate_email(raw: str) -> str:
    """An e-mail address (lower-cased domain)."""
    m = _EMAIL.fullmatch(raw.strip())
    if not m:
        raise FieldValidationError("电子邮箱格式不对，应类似 zhangsan@example.com。")
    local, _, domain = m.group().partition("@")
    return f"{local}@{domain.lower()}"


_YES = ("是", "有", "对", "需要", "要", "yes", "y", "好")
_NO = ("否", "没有", "无", "不是", "不需要", "不要", "no", "n", "不")


def validate_bool(raw: str) -> str:
    """是/否 answers to ``"true"``/``"false"`` (negatives are checked first: "不是" contains "是")."""
    text = raw.strip().lower()
    if any(text.startswith(n) for n in _NO):
        return "false"
    if any(text.startswith(y) for y in _YES):
        return "true"
    raise FieldValidationError("请回答“是”或“否”。")


def validate_text(
    raw: str,
    pattern: str | None = None,
    max_length: int | None = None,
    label: str = "内容",
    help_text: str = "",
) -> str:
    """Free text with an optional regex and length limit."""
    text = raw.strip()
    if not text:
        raise FieldValidationError(f"{label}不能为空。")
    if max_length is not None and len(text) > max_length:
        raise FieldValidationError(f"{label}最多{max_length}个字。")
    if pattern and not re.fullmatch(pattern, text):
        hint = f"（{help_text}）" if help_text else ""
        raise FieldValidationError(f"{label}格式不对{hint}，请核对。")
    return text


def validate_field(field: FormField, raw: str, today: dt.date | None = None) -> str:
    """Validate ``raw`` for a corpus ``FormField`` by its type; returns the normalised value.

    Raises:
        FieldValidationError: with a citizen-facing message prefixed by the field label.
    """
    checks: dict[str, Callable[[], Any]] = {
        "id_number": lambda: validate_id_number(raw, today),
        "phone": lambda: validate_phone(raw),
        "date": lambda: validate_date(raw, today),
        "enum": lambda: validate_enum(raw, field.options),
        "address": lambda: validate_address(raw),
        "number": lambda: validate_number(raw, field.min, field.max),
        "email": lambda: validate_email(raw),
        "bool": lambda: validate_bool(raw),
        "text": lambda: validate_text(raw, field.pattern, field.max_length, field.label, field.help),
    }
    try:
        value = str(checks[field.type]())
    except FieldValidationError as e:
        message = e.message if e.message.startswith(field.label) else f"{field.label}：{e.message}"
        raise FieldValidationError(message) from None
    if field.type != "text" and field.pattern and not re.fullmatch(field.pattern, value):
        raise FieldValidationError(f"{field.label}格式不对，请核对。")
    return value
