"""Speech normalisation: codes, phones, dates, times, money and numbers as a clerk reads them."""

from __future__ import annotations

import pytest

from voice.normalize import cardinal, normalize_for_speech


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("请到B01窗口", "请到B零一窗口"),
        ("B01窗口到了，请准备好身份证", "B零一窗口到了，请准备好身份证"),
        ("咨询电话0831-2345678", "咨询电话零八三幺 二三四五六七八"),
        ("手机13812345678", "手机幺三八幺二三四五六七八"),
        ("12345热线", "幺二三四五热线"),
        ("2024-05-01起施行", "二零二四年五月一日起施行"),
        ("2024年5月1日", "二零二四年五月一日"),
        ("办理时间9:00-12:00", "办理时间九点至十二点"),
        ("13:30开始", "十三点三十分开始"),
        ("工本费¥12.5", "工本费十二点五元"),
        ("收费50元/本", "收费五十元每本"),
        ("3-5个工作日", "三至五个工作日"),
        ("承诺20个工作日办结", "承诺二十个工作日办结"),
        ("收费105元", "收费一百零五元"),
        ("补贴20000元", "补贴两万元"),
        ("比例5%", "比例百分之五"),
        ("受理号20240501123", "受理号二零二四零五零一一二三"),
        ("不收费", "不收费"),
    ],
)
def test_normalize_for_speech(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (0, "零"),
        (10, "十"),
        (15, "十五"),
        (101, "一百零一"),
        (110, "一百一十"),
        (1005, "一千零五"),
        (10010, "一万零一十"),
        (300000, "三十万"),
    ],
)
def test_cardinal(n: int, word: str) -> None:
    assert cardinal(n) == word


def test_normalized_text_has_no_digits_left() -> None:
    text = "A07窗口 周一至周五 9:00-12:00 电话0831-2345678 工本费¥20 约3-5个工作日 2024年10月1日"
    assert not any(c.isdigit() for c in normalize_for_speech(text))
