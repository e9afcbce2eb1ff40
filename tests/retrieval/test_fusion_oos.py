"""Fusion (RRF and score), its tuning, and the out-of-scope model."""

from __future__ import annotations

import pytest

from retrieval.base import Hit
from retrieval.fusion import FusionParams, fuse, rrf, score_fusion, tune_fusion, vector_matter_scores
from retrieval.oos import OOSModel, fit_oos, prf


def test_rrf_by_hand() -> None:
    params = FusionParams(k=1.0, weights={"a": 1.0, "b": 2.0}, method="rrf")
    fused = dict(rrf({"a": ["x", "y"], "b": ["y"]}, params))
    assert fused == {"x": pytest.approx(1 / 2), "y": pytest.approx(1 / 3 + 2 / 2)}


def test_vector_scores_add_best_document_and_best_phrase() -> None:
    hits = [
        Hit("m1#c0", 0.95, "matter", ("m1",)),
        Hit("faq.1", 0.9, "faq", ("m2",)),
        Hit("m1", 0.85, "matter", ("m1",)),
        Hit("m2#name", 0.8, "matter", ("m2",)),
    ]
    scores, via = vector_matter_scores(hits)
    assert scores == {"m1": pytest.approx(0.95 + 0.85), "m2": pytest.approx(0.9 + 0.8)}
    assert via == {"m1": "m1#c0", "m2": "faq.1"}
    # a matter missing from one group gets that group's lowest candidate score
    scores, _ = vector_matter_scores(hits[:3])
    assert scores["m2"] == pytest.approx(0.9 + 0.95)


def test_score_fusion_weights_bm25_and_links() -> None:
    scores = {"vector": {"a": 0.9, "b": 0.89, "c": 0.5}, "bm25": {"b": 10.0}, "link": {"c": 1.0}}
    plain = score_fusion(scores, FusionParams(weights={"vector": 1.0}))
    assert [m for m, _ in plain] == ["a", "b", "c"]
    assert score_fusion(scores, FusionParams(weights={"vector": 1.0, "bm25": 1.0}))[0][0] == "b"
    assert fuse({}, scores, FusionParams(weights={"vector": 1.0, "link": 10.0}))[0][0] == "c"


def test_tune_fusion_finds_the_helpful_system() -> None:
    # vector alone puts the gold second; bm25 puts it first
    runs = [
        ({"vector": ["x", g], "bm25": [g]}, {"vector": {"x": 0.9, g: 0.88}, "bm25": {g: 5.0}})
        for g in ["g1", "g2", "g3"]
    ]
    params, metrics = tune_fusion(runs, ["g1", "g2", "g3"])
    assert metrics["hit@1"] == 1.0 and params.weights["bm25"] > 0


def test_oos_model_fits_and_round_trips() -> None:
    feats = [{"vec_top": 0.93 + i * 0.001, "link_top": 1.0} for i in range(10)]
    feats += [{"vec_top": 0.84 + i * 0.001, "link_top": 0.0} for i in range(10)]
    labels = [True] * 10 + [False] * 10
    model = fit_oos(feats, labels)
    pred = [model.is_out_of_scope(f)[0] for f in feats]
    assert prf(pred, [not x for x in labels])["f1"] == 1.0
    again = OOSModel.from_dict(model.as_dict())
    assert again.in_scope_probability(feats[0]) == pytest.approx(model.in_scope_probability(feats[0]))
    assert prf([], []) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_shipped_tuned_parameters_load() -> None:
    from retrieval.service import TUNED_FILE, load_params

    params = load_params(TUNED_FILE)
    assert TUNED_FILE.exists() and params.fusion.method in ("score", "rrf", "learned")
    assert params.fusion.method != "learned" or params.ranker is not None
    assert 0.0 < params.oos.threshold < 1.0 and len(params.oos.weights) == len(params.oos.features)
