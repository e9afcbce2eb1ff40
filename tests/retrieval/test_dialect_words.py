"""Dialect normalisation: regional words become Mandarin, Mandarin text is unchanged."""

from __future__ import annotations

from retrieval.base import Document
from retrieval.dialect import normalise


def test_southwest_words_become_mandarin() -> None:
    assert normalise("身份证搞掉了，咋个补") == "身份证弄丢了，怎么补"
    assert normalise("娃儿上学要带啥子") == "孩子上学要带什么"
    assert normalise("屋头莫得人会用手机噻") == "家里没有人会用手机"
    assert normalise("我老汉儿的社保卡咋整") == "我父亲的社保卡怎么办"


def test_mandarin_questions_are_left_alone() -> None:
    for text in ("护士执业证书怎么重新注册？", "孩子出生了怎么上户口", "公积金提取要多久", ""):
        assert normalise(text) == text


def test_the_retriever_searches_the_normalised_question(documents: list[Document]) -> None:
    from retrieval.testing import fake_retriever

    r = fake_retriever(documents)
    assert r.search("娃儿的户口咋个上", 3, expand=False).corrected == "孩子的户口怎么上"
