"""Weighted reciprocal rank fusion of per-system matter rankings, and its tuning on the dev split.

Each system (BM25, vector, entity links) ranks documents; a document votes for the matters it resolves to,
so each system yields a ranking of matters (a matter's rank is that of its best document). The fused
score is ``sum_s w_s / (k + rank_s)``. RRF needs no score calibration between systems, which matters here:
BM25 scores are unbounded and e5 cosines bunch in 0.8-0.95.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from retrieval.base import Hit


@dataclass(frozen=True)
class FusionParams:
    """RRF constant and per-system weights (tuned on the dev split by ``tune_fusion``)."""

    k: float = 20.0
    weights: Mapping[str, float] = field(default_factory=lambda: {"bm25": 1.0, "vector": 1.0, "link": 1.0})

    def as_dict(self) -> dict[str, object]:
        return {"k": self.k, "weights": dict(self.weights)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FusionParams:
        d: Mapping[str, Any] = data
        return cls(
            k=float(d.get("k", 20.0)), weights={str(k): float(v) for k, v in d.get("weights", {}).items()}
        )


def matter_ranking(hits: Iterable[Hit]) -> list[tuple[str, str, float]]:
    """(matter id, via doc id, doc score) in order of each matter's best document."""
    seen: dict[str, tuple[str, str, float]] = {}
    for h in hits:
        for m in h.matter_ids:
            if m not in seen:
                seen[m] = (m, h.doc_id, h.score)
    return list(seen.values())


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


def hit_metrics(ranked: Sequence[Sequence[str]], gold: Sequence[str]) -> dict[str, float]:
    """hit@1, hit@5 and MRR of ranked id lists against gold ids."""
    n = len(gold) or 1
    h1 = sum(1 for r, g in zip(ranked, gold, strict=True) if len(r) and r[0] == g)
    h5 = sum(1 for r, g in zip(ranked, gold, strict=True) if g in r[:5])
    mrr = sum(1.0 / (list(r).index(g) + 1) for r, g in zip(ranked, gold, strict=True) if g in r)
    return {"hit@1": h1 / n, "hit@5": h5 / n, "mrr": mrr / n}


def tune_fusion(
    rankings: Sequence[Mapping[str, Sequence[str]]],
    gold: Sequence[str],
    *,
    systems: Sequence[str] = ("bm25", "vector", "link"),
    ks: Sequence[float] = (5, 10, 20, 40, 60),
    grid: Sequence[float] = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
    objective: Callable[[dict[str, float]], float] | None = None,
) -> tuple[FusionParams, dict[str, float]]:
    """Grid-search RRF k and weights on labelled (dev) queries; the first system's weight is fixed at 1.

    Returns the best parameters and their metrics. Ties keep the earlier (simpler) setting.
    """
    objective = objective or (lambda m: m["hit@1"] + 0.5 * m["mrr"] + 0.25 * m["hit@5"])
    best: tuple[float, FusionParams, dict[str, float]] | None = None
    for k in ks:
        for ws in itertools.product(grid, repeat=len(systems) - 1):
            params = FusionParams(k=float(k), weights=dict(zip(systems, (1.0, *ws), strict=True)))
            fused = [[m for m, _ in rrf(r, params)[:10]] for r in rankings]
            metrics = hit_metrics(fused, gold)
            score = objective(metrics)
            if best is None or score > best[0] + 1e-12:
                best = (score, params, metrics)
    assert best is not None
    return best[1], best[2]
