"""The retrieval eval on the small test catalogue (fake embedder): all systems measured, tuned on dev."""

from __future__ import annotations

from pathlib import Path

from eval.retrieval_eval import (
    SYSTEMS,
    Question,
    best_threshold,
    compare_embedders,
    evaluate_retriever,
    format_report,
    load_questions,
    metrics,
)
from retrieval.base import Document
from retrieval.linking import EntityLinker, EntityName
from retrieval.testing import FakeEmbedder, fake_retriever

DATA = Path(__file__).resolve().parent.parent / "data" / "retrieval"


def test_metrics_by_hand() -> None:
    qs = [
        Question("a", "m1", "colloquial", "test"),
        Question("b", "m2", "typo", "test"),
        Question("c", None, "oos", "test"),
    ]
    m = metrics([["m1", "m2"], ["m1", "m2"], ["m1"]], [False, True, True], qs, [1.0, 2.0, 3.0])
    assert m["hit@1"] == 0.5 and m["hit@5"] == 1.0 and m["mrr"] == 0.75
    assert m["answered@1"] == 0.5  # m2's question was refused
    assert (m["oos_precision"], m["oos_recall"]) == (0.5, 1.0)
    assert m["per_category_hit@1"] == {"colloquial": 1.0, "typo": 0.0} and m["p50_ms"] == 2.0


def test_best_threshold_separates_scores() -> None:
    t = best_threshold([0.9, 0.8, 0.3, 0.2], [True, True, False, False])
    assert 0.3 < t <= 0.8


def test_evaluate_all_systems(documents: list[Document], entity_list: list[EntityName]) -> None:
    retriever = fake_retriever(documents, EntityLinker.from_names(entity_list))
    questions = load_questions(DATA / "questions.yaml")
    result = evaluate_retriever(retriever, questions, "test")
    assert set(result["systems"]) == set(SYSTEMS)
    for m in result["systems"].values():
        assert 0.0 <= m["hit@1"] <= m["hit@5"] <= 1.0 and m["n"] == sum(q.split == "test" for q in questions)
    assert result["tuned"]["fusion"]["weights"]["bm25"] == 1.0 and "threshold" in result["tuned"]["oos"]
    assert result["systems"]["hybrid"]["hit@1"] >= result["systems"]["vector"]["hit@1"]
    report = format_report(result)
    assert "langchain_faiss" in report and "hybrid" in report
    cmp = compare_embedders(documents, questions, {"fake": FakeEmbedder()})
    assert 0.0 <= cmp["fake"]["hit@1"] <= 1.0


def test_training_questions_are_valid_and_never_eval_questions() -> None:
    """The ranker's and out-of-scope model's training questions: known matters, no eval question."""
    from corpus.loader import load_corpus
    from eval.retrieval_eval import TRAIN_DIR, load_training_questions

    training = load_training_questions(TRAIN_DIR)
    in_scope = [q for q in training if q.matter]
    assert len(in_scope) >= 1500 and len(training) - len(in_scope) >= 500
    assert {q.split for q in training} == {"train"}
    matters = {m.id for m in load_corpus(Path(__file__).resolve().parents[2] / "corpus" / "data").matters}
    assert {q.matter for q in in_scope} == matters  # every matter has training questions, all real
    eval_texts = {"".join(q.q.split()) for q in load_questions()}
    assert not [q.q for q in training if "".join(q.q.split()) in eval_texts]


def test_out_of_scope_model_is_fitted_on_training_questions_and_calibrated_on_dev(
    documents: list[Document], entity_list: list[EntityName]
) -> None:
    retriever = fake_retriever(documents, EntityLinker.from_names(entity_list))
    questions = load_questions(DATA / "questions.yaml")
    dev_only = evaluate_retriever(retriever, questions, "test", systems=("hybrid",))["tuned"]["oos"]
    extra = [Question(q.q, q.matter, q.category, "train") for q in questions if q.split == "test"][:4]
    extra += [Question("红烧肉怎么做", None, "oos", "train"), Question("明天下雨吗", None, "oos", "train")]
    result = evaluate_retriever(retriever, questions, "test", systems=("hybrid",), training=extra)
    pooled = result["tuned"]["oos"]
    assert pooled["weights"] != dev_only["weights"]  # the training questions changed the fit
    assert 0.05 <= pooled["threshold"] <= 0.95
