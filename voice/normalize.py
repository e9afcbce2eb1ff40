"""Text normalisation for speech: what the robot says must be read the way a clerk would say it.

B01 -> B零一            window ids digit by digit
0831-2345678 -> 零八三幺 二三四五六七八   phone numbers digit by digit (1 read 幺)
2024-05-01 / 2024年5月1日 -> 二零二四年五月一日
9:00-12:00 -> 九点至十二点      13:30 -> 十三点三十分
¥12.5 / 12.5元 -> 十二点五元    50元/本 -> 五十元每本    5% -> 百分之五
3-5个工作日 -> 三至五个工作日   20 -> 二十    105 -> 一百零五
"""

from __future__ import annotations

import re
from collections.abc import Callable

DIGITS = "零一二三四五六七八九"
PHONE_DIGITS = "零幺二三四五六七八九"
_UNITS = ((100_000_000, "亿"), (10_000, "万"))


def digits(s: str, phone: bool = False) -> str:
    """Read each digit: "0831" -> "零八三一" (``phone``: 1 -> 幺)."""
    table = PHONE_DIGITS if phone else DIGITS
    return "".join(table[int(c)] if c.isdigit() else "" for c in s)


def _below_10k(n: int) -> str:
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero:
                out += "零"
            out += DIGITS[d] + unit
            zero = False
        elif out:
            zero = True
    return out


def cardinal(n: int) -> str:
    """An integer in Chinese: 20 -> 二十, 105 -> 一百零五, 10 -> 十, 20000 -> 两万."""
    if n == 0:
        return "零"
    if n < 0:
        return "负" + cardinal(-n)
    out, rest, need_zero = "", n, False
    for value, unit in _UNITS:
        if rest >= value:
            out += _below_10k(rest // value) + unit
            rest %= value
            need_zero = 0 < rest < value // 10
    if rest:
        out += ("零" if need_zero and out else "") + _below_10k(rest)
    if out.startswith("一十"):
        out = out[1:]
    if out.startswith("二万") or out.startswith("二亿"):
        out = "两" + out[1:]
    return out


def number(s: str) -> str:
    """A decimal string in Chinese: "12.5" -> 十二点五, "0.30" -> 零点三零."""
    whole, _, frac = s.replace(",", "").partition(".")
    text = cardinal(int(whole or 0))
    return text + ("点" + digits(frac) if frac else "")


def _date(m: re.Match[str]) -> str:
    y, mo, d = m.group("y"), int(m.group("m")), int(m.group("d"))
    return f"{digits(y)}年{cardinal(mo)}月{cardinal(d)}日"


def _clock(h: str, mi: str) -> str:
    return f"{cardinal(int(h))}点" + (f"{cardinal(int(mi))}分" if int(mi) else "")


def _time(m: re.Match[str]) -> str:
    return _clock(m.group("h"), m.group("mi"))


def _time_range(m: re.Match[str]) -> str:
    return _clock(m.group("h"), m.group("mi")) + "至" + _clock(m.group("h2"), m.group("mi2"))


_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    # dates first, so their digits are not read as phone numbers or plain numbers
    (re.compile(r"(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"), _date),
    (
        re.compile(
            r"(?P<h>[012]?\d)[:：](?P<mi>[0-5]\d)\s*[-~—至到]\s*(?P<h2>[012]?\d)[:：](?P<mi2>[0-5]\d)"
        ),
        _time_range,
    ),
    (re.compile(r"(?P<h>[012]?\d)[:：](?P<mi>[0-5]\d)"), _time),
    # phones: landline with area code, 400/800 numbers, mobiles (11 digits starting with 1)
    (
        re.compile(r"(?<!\d)(0\d{2,3})[-\s]?(\d{7,8})(?!\d)"),
        lambda m: digits(m.group(1), True) + " " + digits(m.group(2), True),
    ),
    (re.compile(r"(?<!\d)(1[3-9]\d{9}|[48]00\d{7}|12345)(?!\d)"), lambda m: digits(m.group(1), True)),
    # window ids and other letter+digits codes
    (re.compile(r"(?<![A-Za-z0-9])([A-Z])(\d{2,3})(?!\d)"), lambda m: m.group(1) + digits(m.group(2))),
    # money
    (re.compile(r"[¥￥]\s*(\d+(?:\.\d+)?)"), lambda m: number(m.group(1)) + "元"),
    (re.compile(r"(\d+(?:\.\d+)?)\s*元\s*/\s*(\S)"), lambda m: number(m.group(1)) + "元每" + m.group(2)),
    (re.compile(r"(\d+(?:\.\d+)?)\s*%"), lambda m: "百分之" + number(m.group(1))),
    # ranges "3-5个工作日"
    (re.compile(r"(\d+)\s*[-~—]\s*(\d+)"), lambda m: number(m.group(1)) + "至" + number(m.group(2))),
    # long digit strings (ids, receipt numbers) digit by digit; the rest as quantities
    (re.compile(r"\d{9,}"), lambda m: digits(m.group(0))),
    (re.compile(r"\d+(?:\.\d+)?"), lambda m: number(m.group(0))),
)


def normalize_for_speech(text: str) -> str:
    """Rewrite digits, codes, dates, times, phones and money the way they should be spoken."""
    out = text
    for pattern, repl in _RULES:
        out = pattern.sub(repl, out)
    return re.sub(r"\s+", " ", out).strip()
