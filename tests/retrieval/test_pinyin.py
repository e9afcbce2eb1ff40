"""Pinyin channel: homophone typos match through toneless pinyin tokens."""

from __future__ import annotations

from retrieval.base import Document
from retrieval.bm25 import BM25Index, add_user_words
from retrieval.pinyin import pinyin_index, pinyin_tokenize

CARD = "hrss.social_security_card_reissue"
DOCS = [
    Document(CARD, "matter", "社保卡挂失与补领", (CARD,)),
    Document("tax.invoice_reissue", "matter", "发票补办与遗失声明", ("tax.invoice_reissue",)),
    Document("hukou.id_card_lost", "matter", "身份证遗失补领", ("hukou.id_card_lost",)),
]


def test_homophone_typo_gets_the_same_pinyin_tokens() -> None:
    add_user_words(["社保卡"])
    assert "shebaoka" in pinyin_tokenize("社宝卡补办")
    assert "shebaoka" in pinyin_tokenize("社保卡补领")
    # A misspelling jieba splits differently still shares syllable bigrams ("退修" ~ "退休").
    assert "#tui_xiu" in pinyin_tokenize("办退修") and "#tui_xiu" in pinyin_tokenize("退休")
    assert pinyin_tokenize("") == []


def test_social_security_card_typo_ranks_first_where_word_bm25_misses() -> None:
    add_user_words(["社保卡"])
    words = BM25Index()
    words.add(DOCS)
    assert words.search("社宝卡补办", 1)[0].doc_id != CARD  # "补办" pulls the invoice matter up
    pinyin = pinyin_index()
    pinyin.add(DOCS)
    assert pinyin.search("社宝卡补办", 1)[0].doc_id == CARD
    pinyin.remove([CARD])
    assert all(h.doc_id != CARD for h in pinyin.search("社宝卡补办", 5))


def test_score_fusion_counts_the_pinyin_channel_only_when_weighted() -> None:
    from retrieval.fusion import FusionParams, score_fusion

    scores = {"vector": {"a": 0.80, "b": 0.81}, "bm25": {}, "pinyin": {"a": 5.0}, "link": {}}
    off = FusionParams(weights={"vector": 1.0, "bm25": 1.0, "link": 1.0})
    on = FusionParams(weights={"vector": 1.0, "bm25": 1.0, "pinyin": 3.0, "link": 1.0})
    assert score_fusion(scores, off)[0][0] == "b"
    assert score_fusion(scores, on)[0][0] == "a"
