"""BM25 over jieba tokens with the domain user dictionary; incremental edits."""

from __future__ import annotations

from retrieval.base import Document
from retrieval.bm25 import BM25Index, add_user_words, tokenize, user_dictionary
from retrieval.documents import is_phrase


def test_user_dictionary_keeps_domain_terms_whole() -> None:
    words = user_dictionary([("老年人优待证办理", ["老年优待卡"]), ("出生登记", ["新生儿入户"])])
    assert words == ["老年人优待证办理", "老年优待卡", "出生登记", "新生儿入户"]
    add_user_words(words)
    assert "老年优待卡" in tokenize("我想办老年优待卡")
    assert "新生儿入户" in tokenize("新生儿入户要什么")


def test_tokens_drop_stopwords_and_add_characters() -> None:
    toks = tokenize("我们俩想领证怎么办？")
    assert "怎么办" not in toks and "我们" not in toks
    assert "#领" in toks and "#证" in toks
    assert tokenize("") == [] and tokenize("？？！") == []


def test_ranks_and_updates_incrementally(documents: list[Document]) -> None:
    documents = [d for d in documents if not is_phrase(d.id)]  # the retriever gives BM25 records only
    index = BM25Index()
    index.add(documents)
    top = index.search("身份证丢了怎么补", 3)
    assert top[0].matter_ids == ("hukou.id_card_lost",)
    index.remove(["hukou.id_card_lost", "faq.hukou.id_card_lost_001"])
    assert all(h.doc_id != "hukou.id_card_lost" for h in index.search("身份证丢了怎么补", 20))
    index.add([Document("hukou.id_card_lost", "matter", "身份证补领", ("hukou.id_card_lost",))])
    assert index.search("身份证丢了怎么补", 1)[0].doc_id == "hukou.id_card_lost"
    assert len(index) == len(documents) - 1
    assert index.search("", 5) == [] and BM25Index().search("x", 5) == []


def test_package_all_is_sorted_and_importable() -> None:
    import retrieval

    assert retrieval.__all__ == sorted(retrieval.__all__)
    assert all(hasattr(retrieval, name) for name in retrieval.__all__)
