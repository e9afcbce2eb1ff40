"""Training the learned fusion (``retrieval.ranker``) and the out-of-scope model.

Training questions come from two places, never from a test split:

- the corpus FAQs: each FAQ question is asked with the FAQ's own document excluded, and its (single)
  matter is the answer — about a thousand realistic questions written independently of the eval set;
- the training questions (``eval/datasets/retrieval_train/``): about three questions per matter in
  citizens' wording (colloquial, elderly, regional, typos) plus 300 out-of-scope ones, written
  independently of the eval set;
- labelled dev questions (``eval/datasets/retrieval.yaml``, split ``dev``), weighted up because they are
  the citizens' own wording (colloquial, elderly, regional, typos).

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
from retrieval.oos import OOSModel, fit_oos
from retrieval.ranker import LinearRanker, candidate_features, fit_ranker

# Out-of-scope signals, chosen by 5-fold cross-validation (2 repeats, mean out-of-scope F1) over the
# training questions + dev split (2,336 questions, 530 out of scope, many of them near-domain traps such
# as "公积金以后会不会取消") among all subsets of six signals: the best vector similarity, its margin over the
# tenth, the best BM25 score and the share of the question's words the catalogue uses (0.883) beat the
# entity-link variant (0.870) and the earlier choice made on the 30 out-of-scope dev questions alone,
# vector similarity + vocabulary coverage (0.831).
OOS_FEATURES: tuple[str, ...] = ("vec_top", "vec_margin", "bm25_top", "vocab_cover")
OOS_L2 = 0.01


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
    retriever: Any, queries: Sequence[TrainingQuery]
) -> tuple[list[tuple[np.ndarray, int]], list[float], int]:
    """Candidate features and gold position per in-scope query (``retriever``: a ``HybridRetriever``).

    Returns the groups, their weights, and how many queries had the gold matter outside the candidates
    (nothing to learn from those).
    """
    groups: list[tuple[np.ndarray, int]] = []
    weights: list[float] = []
    missed = 0
    for q in queries:
        if q.matter is None:
            continue
        run = retriever.run_systems(q.text, exclude=q.exclude)
        ids, x = candidate_features(run.rankings, run.scores, run.link_methods)
        if q.matter not in ids:
            missed += 1
            continue
        groups.append((x, ids.index(q.matter)))
        weights.append(q.weight)
    return groups, weights, missed


def train_ranker(
    retriever: Any, queries: Sequence[TrainingQuery], *, l2: float = 1e-3
) -> tuple[LinearRanker, dict[str, Any]]:
    """Fit the ranker on ``queries``; returns it and a summary (sizes, training hit@1)."""
    groups, weights, missed = ranker_groups(retriever, queries)
    ranker = fit_ranker(groups, sample_weight=weights, l2=l2)
    hit1 = sum(1 for x, g in groups if int(np.argmax(ranker.score(x))) == g) / max(len(groups), 1)
    info = {"groups": len(groups), "gold_not_candidate": missed, "train_hit@1": round(hit1, 4), "l2": l2}
    ranker.info = info
    return ranker, info


def fit_oos_on(retriever: Any, queries: Sequence[TrainingQuery]) -> OOSModel:
    """Fit the out-of-scope model on labelled queries with the retriever's current fusion."""
    feats = []
    for q in queries:
        run = retriever.run_systems(q.text, exclude=q.exclude)
        retriever.fuse_run(run)
        feats.append(run.features)
    return fit_oos(feats, [q.matter is not None for q in queries], names=OOS_FEATURES, l2=OOS_L2)
