"""Training the learned fusion (``retrieval.ranker``) and the out-of-scope model.

Training questions come from two places, never from a test split:

- the corpus FAQs: each FAQ question is asked with the FAQ's own document excluded, and its (single)
  matter is the answer — about a thousand realistic questions written independently of the eval set;
- the training questions (``eval/datasets/retrieval_train/``): about eight questions per matter in
  citizens' wording (colloquial, elderly, regional, typos) plus 800 out-of-scope ones, written
  independently of the eval set;
- labelled dev questions (``eval/datasets/retrieval.yaml``, split ``dev``), weighted up because they are
  the citizens' own wording (colloquial, elderly, regional, typos).

On top of the same questions sit two supervised question classifiers (``retrieval.text_classifier``):
the matter classifier (a ranker feature; the ranker is trained on its out-of-fold probabilities) and the
question-form classifier (an out-of-scope signal, likewise out of fold).

Retrain after a large catalogue change, a new dev set or an embedder change (the features are
similarities of that model) with
``python -m eval.retrieval_eval --split dev --retrain --save-tuned retrieval/tuned.json``; that also
refits the out-of-scope model on the training questions + dev. ``govguide eval retrieval`` then uses the
saved ranker as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrieval.base import Document
from retrieval.oos import OOSModel, best_threshold, fit_oos
from retrieval.ranker import LinearRanker, candidate_features, fit_ranker
from retrieval.text_classifier import (
    IN_SCOPE,
    OUT_OF_SCOPE,
    CharNgramClassifier,
    fit_classifier,
    out_of_fold,
)

# Out-of-scope signals, chosen by 5-fold cross-validation (2 repeats, mean out-of-scope F1) over the
# training questions + dev split (2,336 questions, 530 out of scope, many of them near-domain traps such
# as "公积金以后会不会取消") among all subsets of six signals: the best vector similarity, its margin over the
# tenth, the best BM25 score and the share of the question's words the catalogue uses (0.883) beat the
# entity-link variant (0.870) and the earlier choice made on the 30 out-of-scope dev questions alone,
# vector similarity + vocabulary coverage (0.831).
OOS_FEATURES: tuple[str, ...] = ("vec_top", "vec_margin", "bm25_top", "vocab_cover")
OOS_L2 = 0.01
# Inverse regularisation of the two question classifiers (``retrieval.text_classifier``), chosen by
# cross-validation on the training questions and checked with dev held out of everything: the matter
# classifier as a ranker feature took dev hit@1 0.950 -> 0.970 (training-question CV 0.906 -> 0.934);
# the question-form signal took dev out-of-scope F1 0.833 -> 0.913 (threshold on one dev half, F1 on the
# other, 20 splits).
MATTER_C = 10.0
FORM_C = 8.0


@dataclass(frozen=True)
class TrainingQuery:
    """A question, its gold matter (None = out of scope), documents to hide, and its loss weight."""

    text: str
    matter: str | None
    exclude: frozenset[str] = frozenset()
    weight: float = 1.0


def faq_queries(docs: Mapping[str, Document] | Sequence[Document]) -> list[TrainingQuery]:
    """One training query per FAQ about exactly one matter, with the FAQ's document hidden."""
    values = docs.values() if isinstance(docs, Mapping) else docs
    return [
        TrainingQuery(d.text, d.matter_ids[0], frozenset([d.id]))
        for d in values
        if d.kind == "faq" and len(d.matter_ids) == 1 and d.text.strip()
    ]


def ranker_groups(
    retriever: Any,
    queries: Sequence[TrainingQuery],
    classifier_scores: Sequence[Mapping[str, float]] | None = None,
) -> tuple[list[tuple[np.ndarray, int]], list[float], int]:
    """Candidate features and gold position per in-scope query (``retriever``: a ``HybridRetriever``).

    ``classifier_scores[i]``: the matter classifier's probabilities for query ``i`` from a classifier not
    trained on it (``text_classifier.out_of_fold``), replacing those of the installed one.
    Returns the groups, their weights, and how many queries had the gold matter outside the candidates
    (nothing to learn from those).
    """
    groups: list[tuple[np.ndarray, int]] = []
    weights: list[float] = []
    missed = 0
    for i, q in enumerate(queries):
        if q.matter is None:
            continue
        run = retriever.run_systems(q.text, exclude=q.exclude)
        if classifier_scores is not None:
            run.scores["classifier"] = dict(classifier_scores[i])
        ids, x = candidate_features(run.rankings, run.scores, run.link_methods)
        if q.matter not in ids:
            missed += 1
            continue
        groups.append((x, ids.index(q.matter)))
        weights.append(q.weight)
    return groups, weights, missed


def train_ranker(
    retriever: Any,
    queries: Sequence[TrainingQuery],
    *,
    l2: float = 1e-3,
    classifier_scores: Sequence[Mapping[str, float]] | None = None,
) -> tuple[LinearRanker, dict[str, Any]]:
    """Fit the ranker on ``queries``; returns it and a summary (sizes, training hit@1)."""
    groups, weights, missed = ranker_groups(retriever, queries, classifier_scores)
    ranker = fit_ranker(groups, sample_weight=weights, l2=l2)
    hit1 = sum(1 for x, g in groups if int(np.argmax(ranker.score(x))) == g) / max(len(groups), 1)
    info = {"groups": len(groups), "gold_not_candidate": missed, "train_hit@1": round(hit1, 4), "l2": l2}
    ranker.info = info
    return ranker, info


def train_matter_classifier(
    queries: Sequence[TrainingQuery],
) -> tuple[CharNgramClassifier, list[dict[str, float]]]:
    """The matter classifier on the in-scope ``queries``, and each query's out-of-fold probabilities
    (for training the ranker on top of it; out-of-scope queries get none)."""
    ins = [i for i, q in enumerate(queries) if q.matter]
    texts = [queries[i].text for i in ins]
    labels = [queries[i].matter or "" for i in ins]
    oof = out_of_fold(texts, labels, c=MATTER_C)
    scores: list[dict[str, float]] = [{} for _ in queries]
    for i, p in zip(ins, oof, strict=True):
        scores[i] = p
    return fit_classifier(texts, labels, c=MATTER_C), scores


def fit_out_of_scope(
    features: Sequence[Mapping[str, float]],
    texts: Sequence[str],
    in_scope: Sequence[bool],
    calibrate: Sequence[bool],
) -> tuple[OOSModel, CharNgramClassifier]:
    """The question-form classifier and the out-of-scope model over ``OOS_FEATURES`` + its probability.

    The model is fitted on all the labelled questions with each one's form probability taken out of fold;
    its threshold is chosen on the questions marked ``calibrate`` (dev: the service's share of
    out-of-scope questions). Returns the model and the form classifier fitted on all questions.
    """
    labels = [IN_SCOPE if s else OUT_OF_SCOPE for s in in_scope]
    oof = out_of_fold(texts, labels, c=FORM_C, balanced=True)
    feats = [{**f, "form_in_scope": p[IN_SCOPE]} for f, p in zip(features, oof, strict=True)]
    model = fit_oos(feats, in_scope, names=(*OOS_FEATURES, "form_in_scope"), l2=OOS_L2)
    cal = [i for i, c in enumerate(calibrate) if c]
    if cal:
        model.threshold = best_threshold(model, [feats[i] for i in cal], [in_scope[i] for i in cal])
    return model, fit_classifier(texts, labels, c=FORM_C, balanced=True)
