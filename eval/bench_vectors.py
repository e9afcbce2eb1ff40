"""Scale benchmark of ``FaissVectorIndex``: build time, index memory, query p50/p95, recall@10 vs exact.

Synthetic vectors at the model's dimension. Pure Gaussian noise has no neighbourhood structure (every
point is nearly equidistant), which no real embedding set looks like and which makes any approximate
index look arbitrarily bad; we draw vectors around ``n / 100`` random centres with per-point noise, so
queries have true near neighbours as real catalogue embeddings do. Queries are held-out perturbed points.
Recall@10 is measured against exact inner-product search over the same vectors.
"""

from __future__ import annotations

import os
import resource
import time
from typing import Any

import numpy as np

from retrieval.vector_index import EXACT_LIMIT, FaissVectorIndex


def synthetic(
    n: int, dim: int, *, seed: int = 0, clusters: int | None = None, noise: float = 1.0
) -> np.ndarray:
    """n L2-normalised float32 vectors clustered around random centres (generated in chunks)."""
    rng = np.random.default_rng(seed)
    c = clusters or max(1, n // 100)
    centres = rng.standard_normal((c, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((n, dim), np.float32)
    step = 100_000
    for i in range(0, n, step):
        m = min(step, n - i)
        x = centres[rng.integers(0, c, m)] + noise / np.sqrt(dim) * rng.standard_normal((m, dim)).astype(
            np.float32
        )
        out[i : i + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(index: FaissVectorIndex, qs: np.ndarray, truth: np.ndarray, k: int) -> dict[str, float]:
    lat, recalls = [], []
    for q, tr in zip(qs, truth, strict=True):
        t = time.perf_counter()
        found = index.search(q[None, :], k)[0]
        lat.append((time.perf_counter() - t) * 1e3)
        recalls.append(len({int(d) for d, _ in found} & set(tr.tolist())) / k)
    lat.sort()
    return {
        "query_p50_ms": round(lat[len(lat) // 2], 3),
        "query_p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 3),
        f"recall@{k}_vs_exact": round(float(np.mean(recalls)), 4),
    }


def run(
    n: int = 1_000_000,
    dim: int = 384,
    *,
    queries: int = 200,
    k: int = 10,
    nprobe: int | None = None,
    sweep: tuple[int, ...] = (),
    exact_limit: int = EXACT_LIMIT,
    seed: int = 0,
    noise: float = 1.0,
) -> dict[str, Any]:
    """Build an index over n synthetic vectors; measure single-query latency (as the service queries).

    ``sweep`` re-measures the same IVF index at other ``nprobe`` values (the speed/recall curve).
    """
    import faiss

    data = synthetic(n + queries, dim, seed=seed, noise=noise)
    base, qs = data[:n], data[n:]
    ids = [str(i) for i in range(n)]
    t = time.perf_counter()
    index = FaissVectorIndex.build(ids, base, exact_limit=exact_limit, nprobe=nprobe)
    build_s = time.perf_counter() - t
    # ground truth by brute force over the same vectors (what the exact index would return)
    exact = faiss.IndexFlatIP(dim)
    exact.add(base)
    _, truth = exact.search(qs, k)
    del exact
    inner: Any = faiss.downcast_index(index._index)
    out: dict[str, Any] = {
        "n": n,
        "dim": dim,
        "kind": index.kind,
        "nlist": getattr(inner, "nlist", None),
        "nprobe": getattr(inner, "nprobe", None),
        "threads": faiss.omp_get_max_threads(),
        "cpus": os.cpu_count(),
        "build_s": round(build_s, 2),
        "index_memory_mb": round(index.memory_bytes() / 2**20, 1),
        "raw_vectors_mb": round(base.nbytes / 2**20, 1),
        "queries": queries,
        "noise": noise,
        **_measure(index, qs, truth, k),
    }
    if sweep and index.kind == "ivf":
        default = inner.nprobe
        out["sweep"] = []
        for p in sweep:
            inner.nprobe = p
            out["sweep"].append({"nprobe": p, **_measure(index, qs, truth, k)})
        inner.nprobe = default
    out["process_peak_rss_mb"] = round(_rss_mb(), 1)
    return out


if __name__ == "__main__":  # pragma: no cover - `python -m eval.bench_vectors --n 100000`
    import argparse
    import json

    ap = argparse.ArgumentParser(description="FAISS scale benchmark")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--nprobe", type=int, default=None)
    ap.add_argument("--sweep", type=int, nargs="*", default=[], help="extra nprobe values to measure")
    ap.add_argument("--noise", type=float, default=1.0, help="per-point noise norm around cluster centres")
    args = ap.parse_args()
    print(
        json.dumps(
            run(
                args.n,
                args.dim,
                queries=args.queries,
                nprobe=args.nprobe,
                sweep=tuple(args.sweep),
                noise=args.noise,
            ),
            indent=1,
        )
    )
