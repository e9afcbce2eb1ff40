"""HybridRetriever on plain documents with the fake embedder: fusion, edits, odd queries, LangChain."""

from __future__ import annotations

import pytest
from langchain_core.retrievers import BaseRetriever

from retrieval.base import Document, Embedder, VectorIndex
from retrieval.hybrid import HybridRetriever, RetrieverParams
from retrieval.linking import EntityLinker, EntityName
from retrieval.oos import OOSModel
from retrieval.testing import FakeEmbedder, FakeExpander
from retrieval.vector_index import FaissVectorIndex


@pytest.fixture()
def retriever(documents: list[Document], entity_list: list[EntityName]) -> HybridRetriever:
    emb = FakeEmbedder()
    index = FaissVectorIndex.build([d.id for d in documents], emb.embed_passages([d.text for d in documents]))
    # a permissive OOS model: these tests are about ranking and edits, not calibration
    params = RetrieverParams(oos=OOSModel(weights=[0.0] * 6, bias=5.0))
    return HybridRetriever(
        emb,
        index,
        documents,
        linker=EntityLinker.from_names(entity_list),
        groups={"theme.birth": ["hukou.newborn"]},
        params=params,
        expander=FakeExpander(),
    )


def test_protocols_are_met(retriever: HybridRetriever) -> None:
    assert isinstance(retriever.embedder, Embedder) and isinstance(retriever.index, VectorIndex)


def test_finds_matters_from_citizen_words(retriever: HybridRetriever) -> None:
    for q, gold in [
        ("营业执照地址改了", "market.license_change"),
        ("身份证丢了咋办", "hukou.id_card_lost"),
        ("老人坐车免费的卡", "transport.elderly_bus_card"),
        ("生娃了要办啥", "hukou.newborn"),
    ]:
        result = retriever.search(q, 5)
        assert result.matter_ids[0] == gold, (q, result.matter_ids)
        assert result.evidence and result.evidence[0].matter_id == gold
    assert set(retriever.search("身份证丢了咋办").matters[0].via) >= {"bm25", "link"}


def test_faq_and_policy_hits_resolve_to_their_matter(retriever: HybridRetriever) -> None:
    result = retriever.search("婴儿出生后一个月以内申报", 3)
    assert result.matter_ids[0] == "hukou.newborn"
    assert all(not m.startswith(("faq.", "policy.")) for m in result.matter_ids)


def test_incremental_update_is_visible_to_the_next_query(retriever: HybridRetriever) -> None:
    calls = len(retriever.embedder.calls)  # type: ignore[attr-defined]
    new = Document(
        "hrss.retire", "matter", "职工退休申请。到了退休年龄办理养老金领取", ("hrss.retire",), "职工退休申请"
    )
    retriever.upsert_documents([new])
    assert retriever.search("职工退休申请办理养老金", 3).matter_ids[0] == "hrss.retire"
    assert retriever.embedder.calls[calls] == ("passage", 1)  # type: ignore[attr-defined]  # one doc, no rebuild
    changed = Document("hrss.retire", "matter", "居住证签注", ("hrss.retire",), "居住证签注")
    retriever.upsert_documents([changed])
    assert "hrss.retire" not in retriever.search("职工退休申请办理养老金", 10).matter_ids[:1]
    assert retriever.search("居住证签注", 3).matter_ids[0] == "hrss.retire"


def test_deleted_matter_never_comes_back(retriever: HybridRetriever) -> None:
    removed = retriever.forget_matter("hukou.newborn")
    assert set(removed) == {
        "hukou.newborn",
        "faq.hukou.newborn_001",
        "policy.hukou.regulation_7",
        "hukou.newborn#name",
        "hukou.newborn#c0",
        "hukou.newborn#c1",
    }
    for q in ["出生登记", "生娃了上户口", "小孩生下来多久要去上户口", "婴儿出生后一个月以内", "生娃了要办啥"]:
        result = retriever.search(q, 20)
        assert "hukou.newborn" not in result.matter_ids
        assert all(e.matter_id != "hukou.newborn" for e in result.evidence)


def test_empty_and_huge_queries_get_clear_results(retriever: HybridRetriever) -> None:
    for q in ["", "   ", "\n\t"]:
        r = retriever.search(q)
        assert r.out_of_scope and r.matters == [] and r.notice == "empty query"
    r = retriever.search("身份证丢了" * 2000)  # 10k characters
    assert "truncated" in r.notice and r.matter_ids[0] == "hukou.id_card_lost"
    r = retriever.search("？！。" * 10)
    assert isinstance(r.out_of_scope, bool)


def test_langchain_retriever(retriever: HybridRetriever) -> None:
    lc = retriever.as_langchain(k=2)
    assert isinstance(lc, BaseRetriever)
    docs = lc.invoke("营业执照地址改了")
    assert len(docs) == 2 and docs[0].metadata["matter_id"] == "market.license_change"
    retriever.params.oos = OOSModel(weights=[0.0] * 6, bias=-5.0)  # everything out of scope
    assert lc.invoke("营业执照地址改了") == []
