"""Homophone spelling correction: sound-alike typos become catalogue words, correct text is left alone."""

from __future__ import annotations

from retrieval.base import Document
from retrieval.bm25 import add_user_words, general_frequency
from retrieval.spelling import HomophoneCorrector, catalogue_corrector

DOCS = [
    Document("hukou.id_card", "matter", "居民身份证申领。首次申领居民身份证", ("hukou.id_card",)),
    Document("fund.withdraw", "matter", "住房公积金提取。购房提取公积金", ("fund.withdraw",)),
    Document("market.change", "matter", "营业执照变更登记。营业执照地址变更", ("market.change",)),
    Document("pension.cert", "matter", "养老金资格认证。每年资格认证一次", ("pension.cert",)),
    Document("hrss.injury", "matter", "工伤认定申请。工伤认定材料", ("hrss.injury",)),
    # An FAQ written with a typo on purpose must not teach the corrector the misspelling.
    Document("faq.typo", "faq", "身份正丢了怎么办", ("hukou.id_card",)),
]


def _corrector() -> HomophoneCorrector:
    add_user_words(["居民身份证", "身份证", "公积金", "营业执照", "工伤认定"])
    return catalogue_corrector(DOCS)


def test_sound_alike_typos_become_catalogue_words() -> None:
    c = _corrector()
    assert c.correct("身份正丢了") == "身份证丢了"
    assert c.correct("买房了想把公基金提出来") == "买房了想把公积金提出来"
    assert c.correct("公司新增股东，营业知照要变更吗") == "公司新增股东，营业执照要变更吗"
    assert c.correct("工伤任定去哪里申请") == "工伤认定去哪里申请"


def test_correct_text_and_real_words_are_left_alone() -> None:
    c = _corrector()
    for text in (
        "身份证丢了怎么补",
        "要去哪里办",  # 去哪 sounds like 取哪, but neither is a catalogue term
        "能不能提前换",  # 不能 is a dictionary word: never rewritten
        "老二是超生的",  # 二是 ~ 二十: numerals are never a target
        "",
        "ABC 123",
    ):
        assert c.correct(text) == text


def test_targets_must_be_domain_terms_or_catalogue_specific_words() -> None:
    # "达到" is far more common in general Chinese than in the catalogue: never a target for "打到".
    c = HomophoneCorrector(general_freq=general_frequency, min_count=1, max_ratio=100.0)
    c.add_words(["达到"])
    assert general_frequency("达到") > 100
    assert c.correct("钱是打到卡上吗") == "钱是打到卡上吗"
    # ... unless the stretch is itself a dictionary word, which protects it even from domain terms.
    c.add_domain_words(["达到"])
    assert (c.correct("钱是打到卡上吗") == "钱是达到卡上吗") == (general_frequency("打到") == 0)


def test_the_hybrid_retriever_searches_the_corrected_question(documents: list[Document]) -> None:
    from retrieval.testing import fake_retriever

    add_user_words(["身份证"])
    r = fake_retriever([*documents, *DOCS])
    res = r.search("身份正丢了", 3, expand=False)
    assert res.corrected == "身份证丢了"
    assert r.search("身份证丢了", 3, expand=False).corrected == ""
