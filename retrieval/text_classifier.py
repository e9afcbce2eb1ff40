"""Supervised character n-gram classifiers over citizens' questions.

One model type, two uses:

- which matter a question is about (one class per matter), trained on the corpus FAQs and the training
  questions: a ranker feature (``retrieval.ranker``). It learns citizens' own words for a matter (红本本,
  上岗的本本, 不干了) that neither the catalogue text nor the embedding connects to it;
- whether a question is the kind the service centre answers at all (``IN_SCOPE`` / ``OUT_OF_SCOPE``):
  an out-of-scope signal (``retrieval.oos``). Near-domain questions name catalogue words but ask for
  prices, forecasts or opinions ("社保基金今年赚了多少", "公积金会不会取消"); their form gives them away.

TF-IDF over character 1-3-grams (no word segmentation, so typos, dialect and jieba's mistakes cost little)
and a logistic-regression layer. Fitting uses scikit-learn; the fitted model is stored sparsely (weights
below ``PRUNE`` dropped: the 1.5 % that remain carry the model) and scored with one lookup per n-gram
and one sparse gather, so serving needs neither scikit-learn nor a large file.

The classifiers never add candidates: a matter they like but no retrieval channel found is not returned,
and a matter added after training (unknown to them) is scored neutrally by the ranker.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

IN_SCOPE, OUT_OF_SCOPE = "in_scope", "out_of_scope"
NGRAMS = (1, 3)
MIN_DF = 2  # an n-gram seen in one training question only is noise
PRUNE = 0.2  # |weight| below this is dropped when a fitted model is stored (accuracy unchanged on dev)


@dataclass
class CharNgramClassifier:
    """Sparse TF-IDF (sublinear tf, L2-normalised, as scikit-learn computes it) + logistic layer.

    The kept weights are a CSR matrix, n-gram rows by output columns: row ``i`` (n-gram ``grams[i]``) has
    weights ``val[indptr[i]:indptr[i+1]]`` for outputs ``idx[...]``. Two classes are scored with one
    logit (for ``classes[1]``), more with a softmax over one score per class.
    """

    classes: list[str]
    grams: list[str]
    idf: np.ndarray
    indptr: np.ndarray
    idx: np.ndarray
    val: np.ndarray
    intercept: np.ndarray
    ngrams: tuple[int, int] = NGRAMS
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._row = {g: i for i, g in enumerate(self.grams)}

    def _vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, values) of the question's normalised TF-IDF vector."""
        text = _prep(text)
        lo, hi = self.ngrams
        counts = Counter(text[i : i + n] for n in range(lo, hi + 1) for i in range(len(text) - n + 1))
        known = [(self._row[g], c) for g, c in counts.items() if g in self._row]
        if not known:
            return np.zeros(0, np.int64), np.zeros(0)
        rows = np.fromiter((r for r, _ in known), np.int64, len(known))
        x = (1.0 + np.log(np.fromiter((c for _, c in known), np.float64, len(known)))) * self.idf[rows]
        return rows, x / np.linalg.norm(x)

    def decision(self, text: str) -> np.ndarray:
        """The linear scores (one per class, or one logit for two classes)."""
        rows, x = self._vector(text)
        z = np.array(self.intercept, dtype=np.float64)
        starts = self.indptr[rows]
        lens = self.indptr[rows + 1] - starts
        total = int(lens.sum())
        if total:  # gather every kept weight of the question's n-grams at once
            pos = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)
            z += np.bincount(self.idx[pos], weights=self.val[pos] * np.repeat(x, lens), minlength=len(z))
        return z

    def probabilities(self, text: str) -> dict[str, float]:
        """Class -> probability for ``text``."""
        z = self.decision(text)
        if len(self.classes) == 2:
            p = 1.0 / (1.0 + math.exp(-float(np.clip(z[0], -50, 50))))
            return {self.classes[0]: 1.0 - p, self.classes[1]: p}
        e = np.exp(z - z.max())
        e /= e.sum()
        return dict(zip(self.classes, e.tolist(), strict=True))

    # ---- storage: one .npz per classifier (a few hundred kB) ---------------------------------------
    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            classes=np.array(self.classes),
            grams=np.array(self.grams),
            idf=self.idf.astype(np.float32),
            indptr=self.indptr.astype(np.int32),
            idx=self.idx.astype(np.int32),
            val=self.val.astype(np.float32),
            intercept=np.asarray(self.intercept, dtype=np.float64),
            ngrams=np.array(self.ngrams, dtype=np.int32),
        )

    @classmethod
    def load(cls, path: Path) -> CharNgramClassifier:
        with np.load(path, allow_pickle=False) as z:
            lo, hi = (int(n) for n in z["ngrams"])
            return cls(
                classes=[str(c) for c in z["classes"]],
                grams=[str(g) for g in z["grams"]],
                idf=z["idf"].astype(np.float64),
                indptr=z["indptr"].astype(np.int64),
                idx=z["idx"].astype(np.int64),
                val=z["val"].astype(np.float64),
                intercept=z["intercept"],
                ngrams=(lo, hi),
            )


def fit_classifier(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    c: float,
    balanced: bool = False,
    min_df: int = MIN_DF,
    prune: float = PRUNE,
) -> CharNgramClassifier:
    """Fit TF-IDF + logistic regression (scikit-learn) and keep the weights with ``|w| >= prune``.

    ``balanced`` weighs classes inversely to their frequency (the out-of-scope form model: the training
    pool is far richer in out-of-scope questions than the service's traffic).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(
        analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, min_df=min_df, preprocessor=_prep
    )
    x = vec.fit_transform(list(texts))
    clf = LogisticRegression(C=c, max_iter=500, class_weight="balanced" if balanced else None)
    clf.fit(x, list(labels))
    coef = np.where(np.abs(clf.coef_) >= prune, clf.coef_, 0.0).T  # n-gram rows, output columns
    kept = int(np.count_nonzero(coef))
    nz = coef != 0
    return CharNgramClassifier(
        classes=[str(k) for k in clf.classes_],
        grams=[str(g) for g in vec.get_feature_names_out()],
        idf=np.asarray(vec.idf_, dtype=np.float64),
        indptr=np.concatenate([[0], np.cumsum(nz.sum(1))]).astype(np.int64),
        idx=np.nonzero(nz)[1].astype(np.int64),
        val=coef[nz].astype(np.float64),
        intercept=np.asarray(clf.intercept_, dtype=np.float64),
        info={"examples": len(texts), "c": c, "kept_weights": kept, "all_weights": int(coef.size)},
    )


def _prep(text: str) -> str:
    """Lower case, whitespace collapsed: the one text normalisation of fitting and scoring."""
    return " ".join(text.lower().split())


def out_of_fold(
    texts: Sequence[str], labels: Sequence[str], *, folds: int = 5, seed: int = 0, **fit: Any
) -> list[dict[str, float]]:
    """Each text's class probabilities from a classifier fitted without it (``folds``-fold).

    Features for training a model on top (the ranker, the out-of-scope model) must come from here: a
    classifier scoring its own training questions is far more confident than on a citizen's.
    """
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    out: list[dict[str, float]] = [{} for _ in texts]
    for k in range(folds):
        held = set(order[k::folds])
        keep = [i for i in order if i not in held]
        model = fit_classifier([texts[i] for i in keep], [labels[i] for i in keep], **fit)
        for i in held:
            out[i] = model.probabilities(texts[i])
    return out
