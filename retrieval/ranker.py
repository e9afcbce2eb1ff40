"""Learned fusion: a linear listwise ranker over per-candidate features of every channel.

Score fusion (``retrieval.fusion``) adds four normalised channel scores with grid-searched weights, which
a 200-question dev split can tune only so far. The ranker sees, for each candidate matter, each
channel's score, its rank and whether it found the matter at all, the kind of entity link, and which
view of the matter matched — a short phrase (name, colloquial wording), the matter text, or one of its
FAQs/policies — for the vector and BM25 channels (``FEATURES``), and scores it with one weight vector.
The per-view signals carried most of the gain on dev (5-fold CV hit@1 0.87 -> 0.94). It is trained
with a softmax (listwise) loss — the gold matter against the other candidates of the same question —
which is what hit@1 rewards.

Training questions (``retrieval.tuning``): every FAQ of the corpus, asked as a question with the FAQ's own
document excluded from the candidates (otherwise the answer is trivial), plus the dev split of the
eval set. Nothing from the test split. The weights live in ``retrieval/tuned.json``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FEATURES: tuple[str, ...] = (
    "vec_z",  # vector score standardised over the query's candidates
    "vec_gap",  # vector score minus the best vector score (0 for the leader)
    "vec_rr",  # 1 / vector rank (0 when not a vector candidate)
    "bm25_norm",  # BM25 score / best BM25 score
    "bm25_rr",
    "bm25_log",  # log(1 + BM25 score): absolute lexical evidence
    "pinyin_norm",
    "pinyin_rr",
    "link",  # entity-link score (matter named, or a life event including it)
    "link_exact",
    "link_alias",
    "link_fuzzy",
    "link_group",
    "n_channels",  # how many channels put the matter in their top 5
    "vphrase_gap",  # best phrase-view / matter-text / FAQ-or-policy similarity minus the best overall
    "vmatter_gap",
    "vfaq_gap",
    "bm25_matter",  # best BM25 score of the matter's own text / of its FAQs and policies, / best BM25
    "bm25_faq",
    "facet_match",  # the question's action (lost, expired, first time …) is one the matter names
    "facet_conflict",  # the matter names only other actions (``retrieval.facets``)
    "clf_prob",  # the supervised matter classifier's probability (``retrieval.text_classifier``)
    "clf_gap",  # its log probability minus that of its favourite matter
)
DEPTH = 20  # candidates per channel the ranker considers


def candidate_features(
    rankings: Mapping[str, Sequence[str]],
    scores: Mapping[str, Mapping[str, float]],
    link_methods: Mapping[str, str],
    depth: int = DEPTH,
) -> tuple[list[str], np.ndarray]:
    """Candidate matter ids (union of each channel's top ``depth`` and all links) and their features."""
    cands: dict[str, None] = {}
    for system in ("vector", "bm25", "pinyin", "link"):
        for m in rankings.get(system, [])[: depth if system != "link" else None]:
            cands.setdefault(m, None)
    ids = list(cands)
    if not ids:
        return ids, np.zeros((0, len(FEATURES)))
    vec = scores.get("vector", {})
    top = sorted(vec.values(), reverse=True)[:50]
    mean = sum(top) / len(top) if top else 0.0
    sd = math.sqrt(sum((x - mean) ** 2 for x in top) / len(top)) if top else 1.0
    vfloor = min(top) if top else 0.0
    vbest = top[0] if top else 0.0
    bm, py, link = scores.get("bm25", {}), scores.get("pinyin", {}), scores.get("link", {})
    bmax = max(bm.values(), default=0.0) or 1.0
    pmax = max(py.values(), default=0.0) or 1.0
    views = {v: scores.get(v, {}) for v in ("vec_phrase", "vec_matter", "vec_faq")}
    vfloor_views = {v: min(d.values(), default=0.0) for v, d in views.items()}
    vbest_views = max((max(d.values(), default=0.0) for d in views.values()), default=0.0)
    rank = {s: {m: i + 1 for i, m in enumerate(rankings.get(s, []))} for s in ("vector", "bm25", "pinyin")}
    clf = scores.get("classifier", {})
    # A matter the classifier has never seen (added after training) is scored neutrally, not as unlikely.
    known = [clf[m] for m in ids if m in clf]
    clf_neutral = float(np.median(known)) if known else 0.0
    clf_best = math.log(max(clf.values(), default=0.0) + 1e-4)
    x = np.zeros((len(ids), len(FEATURES)))
    for i, m in enumerate(ids):
        v = vec.get(m, vfloor)
        method = link_methods.get(m, "")
        top5 = sum(1 for s in ("vector", "bm25", "pinyin") if rank[s].get(m, 99) <= 5)
        x[i] = (
            (v - mean) / (sd + 1e-6),
            v - vbest,
            1.0 / rank["vector"][m] if m in rank["vector"] else 0.0,
            bm.get(m, 0.0) / bmax,
            1.0 / rank["bm25"][m] if m in rank["bm25"] else 0.0,
            math.log1p(bm.get(m, 0.0)),
            py.get(m, 0.0) / pmax,
            1.0 / rank["pinyin"][m] if m in rank["pinyin"] else 0.0,
            link.get(m, 0.0),
            float(method == "exact"),
            float(method == "alias"),
            float(method == "fuzzy"),
            float(method == "group"),
            float(top5),
            *(
                views[v].get(m, vfloor_views[v]) - vbest_views
                for v in ("vec_phrase", "vec_matter", "vec_faq")
            ),
            scores.get("bm25_matter", {}).get(m, 0.0) / bmax,
            scores.get("bm25_faq", {}).get(m, 0.0) / bmax,
            scores.get("facet_match", {}).get(m, 0.0),
            scores.get("facet_conflict", {}).get(m, 0.0),
            clf.get(m, clf_neutral),
            math.log(clf.get(m, clf_neutral) + 1e-4) - clf_best if clf else 0.0,
        )
    return ids, x


@dataclass
class LinearRanker:
    """score = w · standardise(features); trained by ``fit_ranker``."""

    weights: list[float]
    mean: list[float]
    scale: list[float]
    features: tuple[str, ...] = FEATURES
    info: dict[str, Any] = field(default_factory=dict)

    def score(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        return ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.weights)

    def rank(self, ids: Sequence[str], x: np.ndarray) -> list[tuple[str, float]]:
        """(id, score) best first; ties broken by id for determinism."""
        s = self.score(x)
        return sorted(zip(ids, s.tolist(), strict=True), key=lambda kv: (-kv[1], kv[0]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "weights": self.weights,
            "mean": self.mean,
            "scale": self.scale,
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinearRanker:
        feats = tuple(data["features"])
        if feats != FEATURES:
            raise ValueError(f"ranker was trained on features {feats}, this code computes {FEATURES}")
        return cls(
            weights=[float(w) for w in data["weights"]],
            mean=[float(m) for m in data["mean"]],
            scale=[float(s) for s in data["scale"]],
            info=dict(data.get("info", {})),
        )


def fit_ranker(
    groups: Sequence[tuple[np.ndarray, int]],
    *,
    sample_weight: Sequence[float] | None = None,
    l2: float = 1e-3,
    steps: int = 600,
    lr: float = 0.05,
) -> LinearRanker:
    """Fit weights with a softmax loss: each group is (candidate features, index of the gold candidate).

    Full-batch Adam on the mean weighted cross-entropy plus ``l2 * |w|²``; groups whose gold is not among
    the candidates must be left out by the caller (nothing to learn from them).
    """
    if not groups:
        raise ValueError("no training groups")
    allx = np.vstack([g[0] for g in groups])
    mean = allx.mean(0)
    scale = allx.std(0)
    scale[scale < 1e-9] = 1.0
    xs = [(g[0] - mean) / scale for g in groups]
    gold = [g[1] for g in groups]
    sw = np.asarray(sample_weight if sample_weight is not None else [1.0] * len(groups), dtype=np.float64)
    sw = sw / sw.sum()
    # Stack into one padded tensor so each step is a few numpy ops.
    n, d = len(xs), allx.shape[1]
    width = max(len(x) for x in xs)
    big = np.zeros((n, width, d))
    mask = np.full((n, width), -np.inf)
    for i, x in enumerate(xs):
        big[i, : len(x)] = x
        mask[i, : len(x)] = 0.0
    onehot = np.zeros((n, width))
    onehot[np.arange(n), gold] = 1.0
    w = np.zeros(d)
    m1, m2 = np.zeros(d), np.zeros(d)
    for t in range(1, steps + 1):
        z = big @ w + mask
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        grad = np.einsum("n,nwd,nw->d", sw, big, p - onehot) + 2 * l2 * w
        m1 = 0.9 * m1 + 0.1 * grad
        m2 = 0.999 * m2 + 0.001 * grad**2
        w -= lr * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-8)
    return LinearRanker(weights=w.tolist(), mean=mean.tolist(), scale=scale.tolist())
