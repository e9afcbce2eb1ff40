"""Fusion of per-system matter rankings, and its tuning on the dev split.

Each system (BM25, pinyin BM25, vector, entity links) ranks documents; a document votes for the matters it
resolves to, so each system yields a ranking of matters. Two fusion methods:

- ``rrf``: weighted reciprocal rank fusion, ``sum_s w_s / (k + rank_s)``; needs no score calibration.
- ``score`` (default): the vector score standardised per query (z-score over its top candidates) plus
  ``w_bm25 * bm25 / max bm25`` plus the same for the pinyin BM25 channel plus ``w_link * link score``.
  It keeps how *much* better the first vector hit is, which ranks cannot; on the dev questions it
  generalised better than RRF (RRF's small ``k`` overfitted dev).

The vector score of a matter is the best similarity among its full documents (matter text, FAQs,
policies) plus the best among its short phrase views (name, colloquial phrasings).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from retrieval.base import Hit

Method = Literal["rrf", "score", "learned"]


@dataclass(frozen=True)
class FusionParams:
    """Fusion method, RRF constant and per-system weights (tuned on the dev split by ``tune_fusion``)."""

    k: float = 20.0
    weights: Mapping[str, float] = field(default_factory=lambda: {"vector": 1.0, "bm25": 0.5, "link": 1.0})
    method: Method = "score"

    def as_dict(self) -> dict[str, object]:
        return {"method": self.method, "k": self.k, "weights": dict(self.weights)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FusionParams:
        d: Mapping[str, Any] = data
        method = d.get("method", "rrf")
        if method not in ("rrf", "score", "learned"):
            raise ValueError(f"unknown fusion method {method!r}")
        return cls(
            k=float(d.get("k", 20.0)),
            weights={str(k): float(v) for k, v in d.get("weights", {}).items()},
            method=method,
        )


def matter_ranking(hits: Iterable[Hit]) -> list[tuple[str, str, float]]:
    """(matter id, via doc id, doc score) in order of each matter's best document."""
    seen: dict[str, tuple[str, str, float]] = {}
    for h in hits:
        for m in h.matter_ids:
            if m not in seen:
                seen[m] = (m, h.doc_id, h.score)
    return list(seen.values())


def vector_matter_scores(hits: Sequence[Hit]) -> tuple[dict[str, float], dict[str, str]]:
    """Matter score = best full-document similarity + best phrase-view similarity.

    A matter absent from one group among the candidates gets that group's lowest candidate score (its
    true score is at most that). Returns scores and, per matter, the best document id.
    """
    from retrieval.documents import is_phrase

    best: dict[bool, dict[str, float]] = {False: {}, True: {}}
    via: dict[str, tuple[float, str]] = {}
    for h in hits:
        group = best[is_phrase(h.doc_id)]
        for m in h.matter_ids:
            if h.score > group.get(m, -math.inf):
                group[m] = h.score
            if h.score > via.get(m, (-math.inf, ""))[0]:
                via[m] = (h.score, h.doc_id)
    floor = {g: min(v.values(), default=0.0) for g, v in best.items()}
    matters = set(best[False]) | set(best[True])
    scores = {m: best[False].get(m, floor[False]) + best[True].get(m, floor[True]) for m in matters}
    return scores, {m: d for m, (_, d) in via.items()}


def rrf(rankings: Mapping[str, Sequence[str]], params: FusionParams) -> list[tuple[str, float]]:
    """Fuse matter-id rankings (system -> ids best first) into (id, score), best first."""
    scores: dict[str, float] = {}
    for system, ids in rankings.items():
        w = params.weights.get(system, 0.0)
        if w <= 0:
            continue
        for rank, mid in enumerate(ids, start=1):
            scores[mid] = scores.get(mid, 0.0) + w / (params.k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def score_fusion(scores: Mapping[str, Mapping[str, float]], params: FusionParams) -> list[tuple[str, float]]:
    """z(vector) + w_bm25 * bm25/max(bm25) + w_pinyin * pinyin/max(pinyin) + w_link * link."""
    vec = scores.get("vector", {})
    top = sorted(vec.values(), reverse=True)[:50]
    mean = sum(top) / len(top) if top else 0.0
    sd = math.sqrt(sum((x - mean) ** 2 for x in top) / len(top)) if top else 1.0
    floor = min(top) if top else 0.0
    bm = scores.get("bm25", {})
    bmax = max(bm.values(), default=0.0) or 1.0
    py = scores.get("pinyin", {})
    pmax = max(py.values(), default=0.0) or 1.0
    link = scores.get("link", {})
    w = params.weights
    out: dict[str, float] = {}
    for m in set(vec) | set(bm) | set(py) | set(link):
        out[m] = (
            w.get("vector", 1.0) * (vec.get(m, floor) - mean) / (sd + 1e-6)
            + w.get("bm25", 0.0) * bm.get(m, 0.0) / bmax
            + w.get("pinyin", 0.0) * py.get(m, 0.0) / pmax
            + w.get("link", 0.0) * link.get(m, 0.0)
        )
    return sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))


def fuse(
    rankings: Mapping[str, Sequence[str]], scores: Mapping[str, Mapping[str, float]], params: FusionParams
) -> list[tuple[str, float]]:
    """Fuse with the method the parameters name."""
    if params.method == "rrf" or not scores:
        return rrf(rankings, params)
    # "learned" needs per-candidate features: HybridRetriever.fuse_run applies the ranker; without one
    # the score fusion is the fallback.
    return score_fusion(scores, params)


def hit_metrics(ranked: Sequence[Sequence[str]], gold: Sequence[str]) -> dict[str, float]:
    """hit@1, hit@5 and MRR of ranked id lists against gold ids."""
    n = len(gold) or 1
    h1 = sum(1 for r, g in zip(ranked, gold, strict=True) if len(r) and r[0] == g)
    h5 = sum(1 for r, g in zip(ranked, gold, strict=True) if g in r[:5])
    mrr = sum(1.0 / (list(r).index(g) + 1) for r, g in zip(ranked, gold, strict=True) if g in r)
    return {"hit@1": h1 / n, "hit@5": h5 / n, "mrr": mrr / n}


def tune_fusion(
    runs: Sequence[tuple[Mapping[str, Sequence[str]], Mapping[str, Mapping[str, float]]]],
    gold: Sequence[str],
    *,
    methods: Sequence[Method] = ("score", "rrf"),
    ks: Sequence[float] = (10, 20, 60),
    grid: Sequence[float] = (0.0, 0.25, 0.5, 1.0, 2.0),
    objective: Callable[[dict[str, float]], float] | None = None,
) -> tuple[FusionParams, dict[str, float]]:
    """Grid-search method, RRF k and the bm25/pinyin/link weights on (rankings, scores) of dev queries.

    The vector weight is fixed at 1. Ties keep the earlier setting: the score method, then smaller
    weights — a coarse grid and a preference for simple settings limit overfitting a small dev split.
    """
    objective = objective or (lambda m: m["hit@1"] + 0.5 * m["mrr"] + 0.25 * m["hit@5"])
    best: tuple[float, FusionParams, dict[str, float]] | None = None
    for method in methods:
        for k in ks if method == "rrf" else ks[:1]:
            # pinyin outermost: on ties the new channel stays off unless it strictly helps
            for wp, wb, wl in itertools.product(grid, repeat=3):
                weights = {"vector": 1.0, "bm25": wb, "pinyin": wp, "link": wl}
                params = FusionParams(k=float(k), weights=weights, method=method)
                fused = [[m for m, _ in fuse(r, s, params)[:10]] for r, s in runs]
                metrics = hit_metrics(fused, gold)
                score = objective(metrics)
                if best is None or score > best[0] + 1e-12:
                    best = (score, params, metrics)
    assert best is not None
    return best[1], best[2]
