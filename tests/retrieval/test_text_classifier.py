"""The question classifiers: sparse scoring equals scikit-learn's, storage, out-of-fold probabilities,
and how the retriever and ranker use them (never adding candidates, neutral on unknown matters)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.base import Document
from retrieval.fusion import FusionParams
from retrieval.hybrid import RetrieverParams
from retrieval.oos import OOSModel
from retrieval.ranker import FEATURES, LinearRanker, candidate_features
from retrieval.testing import fake_retriever
from retrieval.text_classifier import IN_SCOPE, OUT_OF_SCOPE, fit_classifier, out_of_fold

MATTERS = {
    "marriage": [
        "想去领结婚证",
        "和对象扯结婚证要带啥",
        "结婚登记要预约吗",
        "我俩要去领那个红本本",
        "领结婚证的地方在哪",
    ],
    "passport": ["第一次办护照", "出国的护照怎么申请", "护照要带什么材料", "办护照要几天", "给孩子办个护照"],
    "card": [
        "社保卡丢了怎么补",
        "社保卡补办去哪",
        "补一张社保卡多少钱",
        "社保卡坏了能补吗",
        "社保卡补卡要照片吗",
    ],
}


def _data() -> tuple[list[str], list[str]]:
    texts = [t for ts in MATTERS.values() for t in ts]
    labels = [m for m, ts in MATTERS.items() for _ in ts]
    return texts, labels


def test_sparse_scoring_matches_scikit_learn_without_pruning() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels = _data()
    model = fit_classifier(texts, labels, c=10.0, prune=0.0)
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    clf = LogisticRegression(C=10.0, max_iter=500).fit(vec.fit_transform(texts), labels)
    for q in ("护照丢了吗", "  结婚  证 ", "社保卡"):
        ref = dict(zip(clf.classes_, clf.predict_proba(vec.transform([" ".join(q.split())]))[0], strict=True))
        ours = model.probabilities(q)
        assert ours.keys() == ref.keys()
        assert all(ours[k] == pytest.approx(ref[k], abs=1e-6) for k in ref)
    binary = fit_classifier(
        texts, [IN_SCOPE if m != "card" else OUT_OF_SCOPE for m in labels], c=4.0, prune=0.0
    )
    ref_b = LogisticRegression(C=4.0, max_iter=500).fit(vec.transform(texts), [m != "card" for m in labels])
    p = ref_b.predict_proba(vec.transform(["社保卡补办"]))[0][1]
    assert binary.probabilities("社保卡补办")[IN_SCOPE] == pytest.approx(p, abs=1e-6)


def test_pruned_model_keeps_its_answers_and_survives_save_and_load(tmp_path: Path) -> None:
    texts, labels = _data()
    model = fit_classifier(texts, labels, c=10.0)
    assert 0 < model.info["kept_weights"] < model.info["all_weights"]
    for q, gold in (("孩子的护照", "passport"), ("我们想领结婚证", "marriage"), ("社保卡掉了", "card")):
        probs = model.probabilities(q)
        assert max(probs, key=probs.__getitem__) == gold and sum(probs.values()) == pytest.approx(1.0)
    path = tmp_path / "m.npz"
    model.save(path)
    again = type(model).load(path)
    assert again.classes == model.classes and again.ngrams == model.ngrams
    assert again.probabilities("办护照") == pytest.approx(model.probabilities("办护照"), abs=1e-6)
    assert again.probabilities("") == pytest.approx(model.probabilities(""))  # intercept only


def test_out_of_fold_probabilities_come_from_models_not_trained_on_the_question() -> None:
    texts, labels = _data()
    oof = out_of_fold(texts, labels, c=10.0, folds=5)
    full = fit_classifier(texts, labels, c=10.0)
    assert len(oof) == len(texts) and all(abs(sum(p.values()) - 1) < 1e-9 for p in oof)
    # held-out questions still mostly land on their matter, but less confidently than in-sample
    right = sum(max(p, key=p.__getitem__) == g for p, g in zip(oof, labels, strict=True))
    assert right >= 10
    conf_oof = np.mean([p[g] for p, g in zip(oof, labels, strict=True)])
    conf_in = np.mean([full.probabilities(t)[g] for t, g in zip(texts, labels, strict=True)])
    assert conf_oof < conf_in


def test_ranker_features_are_neutral_for_matters_the_classifier_has_not_seen() -> None:
    rankings = {"vector": ["a", "b", "new"], "bm25": [], "pinyin": [], "link": []}
    scores = {"vector": {"a": 0.9, "b": 0.8, "new": 0.7}, "classifier": {"a": 0.7, "b": 0.1, "z": 0.2}}
    ids, x = candidate_features(rankings, scores, {})
    prob, gap = x[:, FEATURES.index("clf_prob")], x[:, FEATURES.index("clf_gap")]
    assert list(prob) == pytest.approx([0.7, 0.1, 0.4])  # "new": the median of the known candidates
    assert gap[0] == pytest.approx(0.0) and gap[1] < gap[2] < 0.0
    _, none = candidate_features(rankings, {"vector": scores["vector"]}, {})
    assert not none[:, FEATURES.index("clf_prob")].any() and not none[:, FEATURES.index("clf_gap")].any()


def test_the_classifier_ranks_candidates_but_never_adds_or_restores_one(documents: list[Document]) -> None:
    retriever = fake_retriever(documents)
    matters = [d.id for d in documents if d.kind == "matter"]
    target = matters[0]
    # a classifier sure that every question is about ``target``
    texts = ["办什么都行", "随便问问", "另一个问题"]
    clf = fit_classifier(texts * 2, [target, matters[1], matters[2]] * 2, c=1.0, prune=0.0)
    clf.intercept = [50.0 if c == target else -50.0 for c in clf.classes]
    w = np.zeros(len(FEATURES))
    w[FEATURES.index("clf_prob")] = 10.0
    ranker = LinearRanker(w.tolist(), [0.0] * len(FEATURES), [1.0] * len(FEATURES))
    retriever.params = RetrieverParams(
        fusion=FusionParams(method="learned", weights={}), ranker=ranker, matter_classifier=clf
    )
    run = retriever.run_systems("完全无关的话")
    assert run.scores["classifier"][target] == pytest.approx(1.0)
    fused = [m for m, _ in retriever.fuse_run(run)]
    found = set().union(*(set(r) for r in run.rankings.values()))
    assert set(fused) <= found  # only what a channel found
    if target in found:
        assert fused[0] == target
    retriever.forget_matter(target)
    assert target not in retriever.search("完全无关的话", 10, expand=False).matter_ids


def test_classifiers_are_stored_beside_tuned_json(tmp_path: Path) -> None:
    from retrieval.service import load_params, save_params

    texts, labels = _data()
    form = fit_classifier(texts, [IN_SCOPE if m != "card" else OUT_OF_SCOPE for m in labels], c=4.0)
    matter = fit_classifier(texts, labels, c=10.0)
    oos = OOSModel(
        weights=[1.0, 1.0], bias=0.0, mean=[0.0, 0.0], scale=[1.0, 1.0], features=("vec_top", "form_in_scope")
    )
    path = tmp_path / "tuned.json"
    save_params(RetrieverParams(oos=oos, matter_classifier=matter, question_form=form), path)
    assert (tmp_path / "tuned_matter_classifier.npz").exists() and (
        tmp_path / "tuned_question_form.npz"
    ).exists()
    params = load_params(path)
    assert params.question_form is not None and params.matter_classifier is not None
    assert params.matter_classifier.probabilities("护照") == pytest.approx(
        matter.probabilities("护照"), abs=1e-6
    )
    (tmp_path / "tuned_question_form.npz").unlink()
    with pytest.raises(ValueError, match="question_form"):
        load_params(path)  # an out-of-scope model without its signal would call everything out of scope
