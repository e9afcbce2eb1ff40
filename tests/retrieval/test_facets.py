"""Action facets: the question's action (lost, expired, first time …) against the matter's."""

from __future__ import annotations

from retrieval.base import Document
from retrieval.facets import facet_scores, matter_facets, query_facets
from retrieval.ranker import FEATURES, candidate_features


def test_citizen_words_and_official_words_meet_in_one_facet() -> None:
    assert "reissue" in query_facets("身份证早上赶集叫人摸走了")
    assert "renew" in query_facets("驾照快到期了")
    assert "cancel" in query_facets("小超市不干了执照咋办")
    assert query_facets("护士执业证书怎么注册") == frozenset()
    assert matter_facets(["居民身份证补领"]) == {"reissue"}
    assert "cancel" in matter_facets(["个体工商户注销登记（个体户注销）"])


def test_match_and_conflict_scores() -> None:
    matters = {
        "id.first": matter_facets(["居民身份证首次申领"]),
        "id.reissue": matter_facets(["居民身份证补领"]),
        "id.renew": matter_facets(["居民身份证换领（有效期满）"]),
        "nurse": matter_facets(["护士执业注册"]),
    }
    match, conflict = facet_scores(query_facets("身份证丢了要补一张"), matters)
    assert match == {"id.reissue": 1.0}
    assert set(conflict) == {"id.first", "id.renew"}  # "nurse" names no action: no conflict
    assert facet_scores(query_facets("身份证在哪办"), matters) == ({}, {})


def test_the_ranker_sees_both_facet_features() -> None:
    rankings = {"vector": ["a", "b"], "bm25": ["b"], "pinyin": [], "link": []}
    scores = {
        "vector": {"a": 0.9, "b": 0.88},
        "bm25": {"b": 3.0},
        "facet_match": {"b": 1.0},
        "facet_conflict": {"a": 1.0},
    }
    ids, x = candidate_features(rankings, scores, {})
    col = {f: i for i, f in enumerate(FEATURES)}
    assert x[ids.index("b"), col["facet_match"]] == 1.0 and x[ids.index("a"), col["facet_match"]] == 0.0
    assert x[ids.index("a"), col["facet_conflict"]] == 1.0


def test_a_curator_edit_updates_facets_and_spelling_targets(documents: list[Document]) -> None:
    from retrieval.bm25 import add_user_words
    from retrieval.documents import build_documents
    from retrieval.testing import fake_retriever

    r = fake_retriever(documents)
    new = {"id": "police.boat_licence_reissue", "name": "渔船牌照补领", "aliases": [], "colloquial": []}
    add_user_words(["渔船牌照"])
    r.upsert_documents(build_documents([new]))
    assert r.facets["police.boat_licence_reissue"] == {"reissue"}
    assert r.search("鱼船牌照丢了", 3, expand=False).corrected == "渔船牌照丢了"
    r.forget_matter("police.boat_licence_reissue")
    assert "police.boat_licence_reissue" not in r.facets
