"""The load benchmark runs end to end on a tiny corpus, stops by itself and reports its figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.bench_load import conversation_script, format_report, run
from govguide.config import Settings


def test_conversation_script_is_deterministic() -> None:
    names = ["社保卡", "身份证", "结婚登记"]
    assert conversation_script(names, 3) == conversation_script(names, 3)
    assert "社保卡要带什么材料" in conversation_script(names, 1) or "社保卡在哪里办" in conversation_script(
        names, 1
    )


@pytest.mark.slow
def test_bench_load_smoke(tmp_path: Path, api_corpus_dir: Path) -> None:
    settings = Settings(data_dir=tmp_path, corpus_dir=api_corpus_dir, api={"finder": "lexical"})
    figures = run(settings, duration_s=3, concurrency=3, rate=15, ready_timeout_s=120)
    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["turns"] >= 10 and figures["p95_ms"] > 0 and figures["grounded_share"] > 0.5
    report = format_report(figures)
    assert "turns/s" in report and ("PASS" in report or "FAIL" in report)
