"""Fixtures: a tiny corpus (shared base files + tests/data/dialogue) and its Knowledge."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corpus.loader import Corpus, load_corpus
from dialogue.knowledge import CorpusKnowledge

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "corpus" / "data"
DATA = REPO / "tests" / "data" / "dialogue"


def build_corpus_dir(root: Path) -> Path:
    """Assemble a corpus directory: the centre's shared records plus the tiny test catalogue."""
    for name in ("departments.yaml", "windows.yaml", "lobby.yaml", "themes.yaml"):
        shutil.copy(BASE / name, root / name)
    for kind in ("materials", "situations", "matters", "forms"):
        (root / kind).mkdir()
    shutil.copy(BASE / "materials" / "common.yaml", root / "materials" / "common.yaml")
    shutil.copy(BASE / "situations" / "common.yaml", root / "situations" / "common.yaml")
    shutil.copy(DATA / "materials.yaml", root / "materials" / "dtest.yaml")
    shutil.copy(DATA / "matters.yaml", root / "matters" / "dtest.yaml")
    shutil.copy(DATA / "forms.yaml", root / "forms" / "dtest.yaml")
    shutil.copy(DATA / "bundles.yaml", root / "bundles.yaml")
    return root


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return load_corpus(build_corpus_dir(tmp_path_factory.mktemp("corpus")))


@pytest.fixture(scope="session")
def knowledge(corpus: Corpus) -> CorpusKnowledge:
    return CorpusKnowledge(corpus)
