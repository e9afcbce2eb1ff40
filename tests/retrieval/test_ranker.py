"""The learned fusion: candidate features, listwise training, persistence, and its use by the retriever."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.base import Document
from retrieval.fusion import FusionParams
from retrieval.hybrid import RetrieverParams
from retrieval.linking import EntityLinker, EntityName
from retrieval.ranker import FEATURES, LinearRanker, candidate_features, fit_ranker
from retrieval.testing import fake_retriever
from retrieval.tuning import TrainingQuery, faq_queries, train_ranker


def test_candidate_features_by_hand() -> None:
    rankings = {"vector": ["a", "b"], "bm25": ["b"], "pinyin": [], "link": ["c"]}
    scores = {"vector": {"a": 0.9, "b": 0.8}, "bm25": {"b": 4.0}, "pinyin": {}, "link": {"c": 0.9}}
    ids, x = candidate_features(rankings, scores, {"c": "alias"})
    assert ids == ["a", "b", "c"] and x.shape == (3, len(FEATURES))
    f = {name: x[:, i] for i, name in enumerate(FEATURES)}
    assert list(f["vec_rr"]) == [1.0, 0.5, 0.0] and list(f["bm25_norm"]) == [0.0, 1.0, 0.0]
    assert f["vec_gap"][0] == 0.0 and f["vec_gap"][1] == pytest.approx(-0.1)
    assert list(f["link_alias"]) == [0.0, 0.0, 1.0] and f["link"][2] == pytest.approx(0.9)
    assert candidate_features({}, {}, {})[1].shape == (0, len(FEATURES))


def test_fit_ranker_learns_which_feature_predicts_gold() -> None:
    rng = np.random.RandomState(0)
    groups = []
    for _ in range(60):
        x = rng.rand(6, len(FEATURES))
        gold = int(rng.randint(6))
        x[gold, FEATURES.index("bm25_norm")] = 1.5  # the gold always has the top BM25 score
        groups.append((x, gold))
    ranker = fit_ranker(groups, steps=300)
    assert ranker.weights[FEATURES.index("bm25_norm")] == max(ranker.weights)
    hits = sum(int(np.argmax(ranker.score(x))) == g for x, g in groups)
    assert hits == len(groups)
    again = LinearRanker.from_dict(ranker.as_dict())
    assert np.allclose(again.score(groups[0][0]), ranker.score(groups[0][0]))
    with pytest.raises(ValueError):
        LinearRanker.from_dict({**ranker.as_dict(), "features": ["other"]})
    with pytest.raises(ValueError):
        fit_ranker([])


def test_retriever_trained_on_faqs_uses_the_ranker(
    documents: list[Document], entity_list: list[EntityName]
) -> None:
    retriever = fake_retriever(documents, EntityLinker.from_names(entity_list))
    queries = faq_queries(retriever.docs)
    ids = _faq_ids(documents)
    assert queries and [next(iter(q.exclude)) for q in queries] == ids
    # an FAQ hidden from its own question: the FAQ document must not be a candidate
    run = retriever.run_systems(queries[0].text, exclude=queries[0].exclude)
    assert not any(queries[0].exclude & set(v.values()) for v in run.via.values())
    ranker, info = train_ranker(retriever, [*queries, TrainingQuery("怎么炒股", None)])
    assert info["groups"] + info["gold_not_candidate"] == len(queries)
    retriever.params = RetrieverParams(fusion=FusionParams(method="learned", weights={}), ranker=ranker)
    result = retriever.search("办社保卡", 3, expand=False)
    assert result.matters and 0.0 < result.confidence <= 1.0
    run = retriever.run_systems("办社保卡")
    fused = retriever.fuse_run(run)
    assert [m for m, _ in fused[:3]] == result.matter_ids
    assert 0.0 < run.features["fused_prob"] <= 1.0 and run.features["fused_margin"] >= 0.0


def _faq_ids(documents: list[Document]) -> list[str]:
    return [d.id for d in documents if d.kind == "faq" and len(d.matter_ids) == 1 and d.text.strip()]


def test_saved_ranker_of_other_features_falls_back_to_score_fusion(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from retrieval.oos import OOSModel
    from retrieval.service import load_params, save_params

    ranker = LinearRanker([0.0] * len(FEATURES), [0.0] * len(FEATURES), [1.0] * len(FEATURES))
    path = tmp_path / "tuned.json"
    save_params(RetrieverParams(fusion=FusionParams(method="learned"), oos=OOSModel(), ranker=ranker), path)
    assert load_params(path).ranker is not None and load_params(path).fusion.method == "learned"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["ranker"]["features"] = ["something_else"]
    path.write_text(json.dumps(data), encoding="utf-8")
    params = load_params(path)
    assert params.ranker is None and params.fusion.method == "score"
