"""Phonetic post-correction toward catalogue phrases, and its false-positive behaviour."""

from __future__ import annotations

import pytest

from voice.phrases import PhraseCorrector, PhraseList, cer, phonetic_key

CATALOGUE = PhraseList.build(
    [
        "护照",
        "护士执业延续注册",
        "社保卡",
        "居民身份证",
        "不动产登记",
        "B01",
        "洗手间",
        "结婚登记",
        "营业执照",
        "公积金提取",
        "出生医学证明",
        "  ",
        "x",
    ]
)


def test_phrase_list_drops_blanks_and_single_characters() -> None:
    assert "  " not in CATALOGUE.phrases and "x" not in CATALOGUE.phrases
    assert len(CATALOGUE.phrases) == 11


@pytest.mark.parametrize(
    ("heard", "fixed", "phrase"),
    [
        ("我 要 办 沪 照", "我要办护照", "护照"),  # same pinyin, two characters
        ("我要办理护是执业延须注册", "我要办理护士执业延续注册", "护士执业延续注册"),
        ("社宝卡 丢 了", "社保卡丢了", "社保卡"),
        ("结昏登机在哪", "结婚登记在哪", "结婚登记"),
        ("公鸡金提取", "公积金提取", "公积金提取"),
        ("带我去 b 零一", "带我去B01", "B01"),
        ("出生医学正明", "出生医学证明", "出生医学证明"),
    ],
)
def test_sound_alike_spans_are_corrected(heard: str, fixed: str, phrase: str) -> None:
    out = PhraseCorrector(CATALOGUE).correct(heard)
    assert out.text == fixed
    assert [r.phrase for r in out.replacements] == [phrase]


@pytest.mark.parametrize("text", ["今天天气很好", "我想问一下怎么走", "请问几点下班", "谢谢你"])
def test_unrelated_sentences_are_left_alone(text: str) -> None:
    out = PhraseCorrector(CATALOGUE).correct(text)
    assert out.text == text and out.replacements == ()


def test_korean_is_compared_on_jamo() -> None:
    assert phonetic_key("화장실") == "ㅎㅘ ㅈㅏㅇ ㅅㅣㄹ"
    out = PhraseCorrector(["주민등록 등본"], threshold=70).correct("주민등록 등번 주세요")
    assert out.text == "주민등록등본주세요"


def test_cer() -> None:
    assert cer("护照", "沪照") == 0.5
    assert cer("我要 办 护照", "我要办护照") == 0.0
    assert cer("", "") == 0.0


def test_common_characters_come_from_jieba_frequencies() -> None:
    pytest.importorskip("jieba")
    from voice.phrases import common_characters

    common = common_characters()
    assert 1500 < len(common) < 3000 and {"的", "办", "证"} <= set(common)
    assert all(len(c) == 1 and "\u4e00" <= c <= "\u9fff" for c in common)
    assert len(common_characters(100_000)) < len(common)
