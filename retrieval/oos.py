"""Out-of-scope detection: a calibrated probability that the catalogue can answer the question.

Raw e5 cosines bunch in 0.8-0.95 for everything, so a threshold on one score is brittle. We combine a few
signals the retrievers already compute (best vector cosine, its margin over the runner-up, lexical
overlap with the best BM25 document, whether a catalogue entity is named) in a logistic model fitted on
the dev split, then pick the probability threshold that maximises out-of-scope F1 on dev.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FEATURES: tuple[str, ...] = ("vec_top", "vec_margin", "bm25_top", "bm25_cover", "link_top", "fused_top")


@dataclass
class OOSModel:
    """Logistic model over ``FEATURES``; ``in_scope_probability`` > ``threshold`` means in scope."""

    weights: list[float] = field(default_factory=lambda: [30.0, 5.0, 0.0, 3.0, 3.0, 0.0])
    bias: float = -25.5
    mean: list[float] = field(default_factory=lambda: [0.0] * len(FEATURES))
    scale: list[float] = field(default_factory=lambda: [1.0] * len(FEATURES))
    threshold: float = 0.5
    features: tuple[str, ...] = FEATURES  # signal names, in the order of ``weights``

    def in_scope_probability(self, features: Mapping[str, float]) -> float:
        x = (np.array([features.get(f, 0.0) for f in self.features]) - self.mean) / self.scale
        z = float(np.dot(self.weights, x) + self.bias)
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))))

    def is_out_of_scope(self, features: Mapping[str, float]) -> tuple[bool, float]:
        p = self.in_scope_probability(features)
        return p < self.threshold, p

    def as_dict(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "weights": self.weights,
            "bias": self.bias,
            "mean": self.mean,
            "scale": self.scale,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> OOSModel:
        d: Mapping[str, Any] = data
        return cls(
            weights=[float(w) for w in d["weights"]],
            bias=float(d["bias"]),
            mean=[float(m) for m in d["mean"]],
            scale=[float(s) for s in d["scale"]],
            threshold=float(d["threshold"]),
            features=tuple(d.get("features", FEATURES)),
        )


def prf(pred_oos: Sequence[bool], gold_oos: Sequence[bool]) -> dict[str, float]:
    """Out-of-scope precision / recall / F1 (the positive class is "out of scope")."""
    tp = sum(p and g for p, g in zip(pred_oos, gold_oos, strict=True))
    fp = sum(p and not g for p, g in zip(pred_oos, gold_oos, strict=True))
    fn = sum(g and not p for p, g in zip(pred_oos, gold_oos, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def fit_oos(
    features: Sequence[Mapping[str, float]],
    in_scope: Sequence[bool],
    *,
    l2: float = 0.01,
    steps: int = 3000,
    lr: float = 0.5,
    names: Sequence[str] = FEATURES,
) -> OOSModel:
    """Fit the logistic model (L2-regularised, class-balanced) over the signals ``names`` and the
    F1-optimal threshold."""
    names = tuple(names)
    x = np.array([[f.get(n, 0.0) for n in names] for f in features], dtype=np.float64)
    y = np.array(in_scope, dtype=np.float64)
    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-9] = 1.0
    xs = (x - mean) / scale
    pos = max(y.sum(), 1.0)
    neg = max(len(y) - y.sum(), 1.0)
    sw = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * neg))
    w = np.zeros(len(names))
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xs @ w + b)))
        g = (p - y) * sw
        w -= lr * (xs.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    model = OOSModel(
        weights=w.tolist(), bias=float(b), mean=mean.tolist(), scale=scale.tolist(), features=names
    )
    model.threshold = best_threshold(model, features, in_scope)
    return model


def best_threshold(
    model: OOSModel, features: Sequence[Mapping[str, float]], in_scope: Sequence[bool]
) -> float:
    """The in-scope probability threshold maximising out-of-scope F1 on these questions.

    Choose it on questions with the share of out-of-scope ones the service will see: F1's best threshold
    moves with that share, and a training pool rich in out-of-scope traps would set it too eagerly.
    """
    probs = [model.in_scope_probability(f) for f in features]
    best_t, best_f1 = 0.5, -1.0
    for t in np.linspace(0.05, 0.95, 91):
        f1 = prf([p < t for p in probs], [not s for s in in_scope])["f1"]
        # prefer thresholds near 0.5 among ties: the model is calibrated there
        if f1 > best_f1 + 1e-9 or (abs(f1 - best_f1) <= 1e-9 and abs(t - 0.5) < abs(best_t - 0.5)):
            best_t, best_f1 = float(t), f1
    return round(best_t, 3)
