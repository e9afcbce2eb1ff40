"""Graph benchmark: ingest time (demo corpus and a generated N-times catalogue) and matter-detail latency.

Runs on a fresh embedded graph in a temporary data directory, so it never touches the user's graph.
Run: ``govguide bench graph [--json]``.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from corpus.ingest import ingest_corpus
from corpus.loader import Corpus, load_corpus
from govguide.config import EmbeddedGraphSettings, Settings
from graph.factory import open_graph_store
from graph.queries import matter_detail


def scaled_corpus(c: Corpus, factor: int) -> Corpus:
    """The demo corpus with every matter, FAQ and policy repeated ``factor`` times under new ids."""
    if factor <= 1:
        return c
    sources = dict(c.sources)
    matters, faqs, policies = list(c.matters), list(c.faqs), list(c.policies)
    for k in range(1, factor):

        def mid(x: str, k: int = k) -> str:
            return f"{x}_x{k}"

        for m in c.matters:
            matters.append(m.model_copy(update={"id": mid(m.id), "name": f"{m.name}（副本{k}）"}))
            sources[mid(m.id)] = sources[m.id]
        for f in c.faqs:
            faqs.append(f.model_copy(update={"id": mid(f.id), "matters": [mid(x) for x in f.matters]}))
            sources[mid(f.id)] = sources[f.id]
        for p in c.policies:
            policies.append(p.model_copy(update={"id": mid(p.id), "matters": [mid(x) for x in p.matters]}))
            sources[mid(p.id)] = sources[p.id]
    return replace(
        c, matters=matters, faqs=faqs, policies=policies, sources=sources, version=f"{c.version}x{factor}"
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(settings: Settings, runs: int = 1000, scale: int = 10) -> dict[str, Any]:
    corpus = load_corpus(settings.corpus_dir)
    out: dict[str, Any] = {"backend": "embedded (FalkorDB, unix socket)", "runs": runs, "scale": scale}
    with tempfile.TemporaryDirectory(prefix="govguide-bench-") as tmp:
        bench_settings = settings.model_copy(update={"data_dir": Path(tmp), "graph": EmbeddedGraphSettings()})
        with open_graph_store(bench_settings) as store:
            t0 = time.perf_counter()
            report = ingest_corpus(store, corpus)
            out["demo_ingest_s"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            again = ingest_corpus(store, corpus)
            out["demo_reingest_s"] = round(time.perf_counter() - t0, 3)
            out["demo_reingest_created"] = again.changes.nodes_created + again.changes.relationships_created
            stats = store.stats()
            out["demo_nodes"] = sum(stats.nodes.values())
            out["demo_relationships"] = sum(stats.relationships.values())
            ids = [m.id for m in corpus.matters]
            rng = random.Random(7)
            for mid in ids[:20]:  # warm-up
                matter_detail(store, mid)
            times = []
            for _ in range(runs):
                mid = rng.choice(ids)
                t0 = time.perf_counter()
                detail = matter_detail(store, mid)
                times.append((time.perf_counter() - t0) * 1000)
                assert detail is not None
            out["matter_detail_p50_ms"] = round(statistics.median(times), 3)
            out["matter_detail_p95_ms"] = round(_pct(times, 0.95), 3)
            out["matter_detail_mean_ms"] = round(statistics.fmean(times), 3)
            store.clear()
            big = scaled_corpus(corpus, scale)
            t0 = time.perf_counter()
            ingest_corpus(store, big)
            out["scaled_ingest_s"] = round(time.perf_counter() - t0, 3)
            stats = store.stats()
            out["scaled_nodes"] = sum(stats.nodes.values())
            out["scaled_relationships"] = sum(stats.relationships.values())
        out["demo_counts"] = report.nodes
    out["targets"] = {"demo_ingest_s": "<= 60", "matter_detail_p50_ms": "<= 5"}
    out["targets_met"] = out["demo_ingest_s"] <= 60 and out["matter_detail_p50_ms"] <= 5
    return out


def format_report(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"Graph benchmark — backend: {r['backend']}",
            f"  demo corpus: {r['demo_nodes']} nodes / {r['demo_relationships']} relationships, "
            f"ingest {r['demo_ingest_s']:.2f} s (target <= 60 s); re-ingest {r['demo_reingest_s']:.2f} s, "
            f"created {r['demo_reingest_created']} (idempotent: 0)",
            f"  {r['scale']}x catalogue: {r['scaled_nodes']} nodes / "
            f"{r['scaled_relationships']} relationships, "
            f"ingest {r['scaled_ingest_s']:.2f} s",
            f"  matter-detail over {r['runs']} runs: "
            f"p50 {r['matter_detail_p50_ms']:.3f} ms (target <= 5 ms), "
            f"p95 {r['matter_detail_p95_ms']:.3f} ms, mean {r['matter_detail_mean_ms']:.3f} ms",
            f"  targets met: {r['targets_met']}",
        ]
    )
