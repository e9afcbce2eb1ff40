"""Shared fixtures: paths to the test corpus and the real catalogue, and an embedded graph per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_CORPUS = REPO / "tests" / "data" / "corpus"
DEMO_CORPUS = REPO / "corpus" / "data"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def test_corpus_dir() -> Path:
    return TEST_CORPUS


@pytest.fixture(scope="session")
def demo_corpus_dir() -> Path:
    return DEMO_CORPUS


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA} (the ../shared checkout is absent)")
    return SHARED_DATA


@pytest.fixture()
def embedded_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Settings for a fresh embedded graph under the test's tmp dir."""
    from govguide.config import EmbeddedGraphSettings, Settings

    return Settings(data_dir=tmp_path / "data", corpus_dir=TEST_CORPUS, graph=EmbeddedGraphSettings())


@pytest.fixture()
def embedded_store(embedded_settings) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from graph.factory import open_graph_store

    with open_graph_store(embedded_settings) as store:
        yield store
