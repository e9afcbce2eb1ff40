"""The `govguide` command: --help everywhere, ingest, stats, backup/restore, bad corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from govguide.cli import app

runner = CliRunner()


def _commands(group, prefix=()):  # type: ignore[no-untyped-def]
    for name, cmd in getattr(group, "commands", {}).items():
        yield (*prefix, name)
        yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path", [(), *_commands(get_command(app))])
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.fixture()
def env(tmp_path: Path, test_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(test_corpus_dir, corpus)
    monkeypatch.setenv("GOVGUIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GOVGUIDE_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("GOVGUIDE_GRAPH__BACKEND", "embedded")
    return corpus


def _stats() -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["graph", "stats", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingest_stats_export_import(env: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output
    assert "Matter" in result.stdout
    stats = _stats()
    assert stats["nodes"]["Matter"] == 2 and stats["relationships"]["REQUIRES"] > 0
    backup = tmp_path / "backup.jsonl"
    assert runner.invoke(app, ["graph", "export", str(backup)]).exit_code == 0
    again = runner.invoke(app, ["ingest"])
    assert "0 nodes created" in again.stdout
    assert runner.invoke(app, ["graph", "import", str(backup)]).exit_code == 0
    assert _stats() == stats
    second = tmp_path / "backup2.jsonl"
    runner.invoke(app, ["graph", "export", str(second)])
    assert second.read_bytes() == backup.read_bytes()


def test_bad_corpus_is_reported_and_nothing_written(env: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    runner.invoke(app, ["graph", "export", str(tmp_path / "before.jsonl")])
    (env / "faqs" / "bad.yaml").write_text(
        "- {id: faq.bad.one, question: 问一个问题, answer: 答一下嘛, matters: [x.gone]}\n"
    )
    (env / "matters" / "health.yaml").write_text(
        (env / "matters" / "health.yaml")
        .read_text()
        .replace("description: 护士执业注册有效期为5年。", "description: 新的描述内容足够长。")
    )
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 1
    assert "faqs/bad.yaml" in result.output and "unknown matter 'x.gone'" in result.output
    assert "nothing was written" in result.output
    runner.invoke(app, ["graph", "export", str(tmp_path / "after.jsonl")])
    assert (tmp_path / "after.jsonl").read_bytes() == (tmp_path / "before.jsonl").read_bytes()
    validate = runner.invoke(app, ["corpus", "validate", str(env)])
    assert validate.exit_code == 1


def test_import_of_missing_backup(env: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["graph", "import", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1 and "does not exist" in result.output
