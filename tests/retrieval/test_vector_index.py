"""FaissVectorIndex: exact/IVF choice, incremental edits, persistence with a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from retrieval.errors import IndexVersionMismatch, VectorIndexError
from retrieval.vector_index import MANIFEST_FILE, FaissVectorIndex


def unit(rows: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_exact_search_finds_itself() -> None:
    vecs = unit(50)
    index = FaissVectorIndex.build([f"d{i}" for i in range(50)], vecs, meta={"corpus_version": "v1"})
    assert index.kind == "flat" and len(index) == 50
    top = index.search(vecs[7:8], 3)[0]
    assert top[0][0] == "d7" and top[0][1] == pytest.approx(1.0, abs=1e-5)


def test_upsert_replaces_and_delete_never_returns() -> None:
    vecs = unit(20)
    index = FaissVectorIndex.build([f"d{i}" for i in range(20)], vecs)
    index.upsert(["d3"], vecs[5:6])  # d3 now carries d5's vector
    hits = dict(index.search(vecs[5:6], 2)[0])
    assert set(hits) == {"d3", "d5"} and len(index) == 20
    assert index.delete(["d5", "unknown"]) == 1
    assert all("d5" not in [d for d, _ in row] for row in index.search(unit(30, seed=2), 20))
    index.upsert(["new"], vecs[0:1])
    assert "new" in index and index.search(vecs[0:1], 2)[0][0][1] == pytest.approx(1.0, abs=1e-5)


def test_approximate_index_chosen_above_the_exact_limit() -> None:
    vecs = unit(3000, dim=32)
    ids = [f"d{i}" for i in range(3000)]
    index = FaissVectorIndex.build(ids, vecs, exact_limit=1000)
    assert index.kind == "ivf"
    found = [index.search(vecs[i : i + 1], 1)[0][0][0] for i in range(0, 3000, 100)]
    assert found == ids[::100]
    index.delete(["d0"])
    assert index.search(vecs[0:1], 5)[0][0][0] != "d0"


def test_crossing_the_limit_by_adds_migrates_to_ivf() -> None:
    vecs = unit(1500, dim=32, seed=3)
    index = FaissVectorIndex.build([f"d{i}" for i in range(900)], vecs[:900], exact_limit=1000)
    assert index.kind == "flat"
    index.upsert([f"d{i}" for i in range(900, 1500)], vecs[900:])
    assert index.kind == "ivf" and len(index) == 1500
    assert index.search(vecs[42:43], 1)[0][0][0] == "d42"
    assert index.search(vecs[1400:1401], 1)[0][0][0] == "d1400"


def test_save_open_roundtrip_and_version_mismatch(tmp_path: Path) -> None:
    vecs = unit(10)
    meta = {"corpus_version": "abc", "model": "m"}
    index = FaissVectorIndex.build([f"d{i}" for i in range(10)], vecs, meta=meta)
    index.delete(["d2"])
    index.save(tmp_path)
    again = FaissVectorIndex.open(tmp_path, expect=meta)
    assert sorted(again.doc_ids()) == sorted(index.doc_ids()) and "d2" not in again
    assert again.search(vecs[4:5], 1)[0][0][0] == "d4"
    again.upsert(["d10"], vecs[2:3])  # new ids continue after the saved ones
    assert again.search(vecs[2:3], 1)[0][0][0] == "d10"
    with pytest.raises(IndexVersionMismatch) as e:
        FaissVectorIndex.open(tmp_path, expect={"corpus_version": "other", "model": "m"})
    assert e.value.found == {"corpus_version": "abc", "model": "m"}
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    assert manifest["corpus_version"] == "abc" and manifest["count"] == 9 and manifest["kind"] == "flat"


def test_missing_or_corrupt_index_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(VectorIndexError):
        FaissVectorIndex.open(tmp_path)
    FaissVectorIndex.build(["a"], unit(1)).save(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    manifest["ids"] = {}
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(VectorIndexError):
        FaissVectorIndex.open(tmp_path)


def test_rejects_bad_input() -> None:
    index = FaissVectorIndex(16)
    assert index.search(unit(1), 5) == [[]]
    with pytest.raises(VectorIndexError):
        index.upsert(["a", "a"], unit(2))
    with pytest.raises(VectorIndexError):
        index.upsert(["a"], unit(2))
