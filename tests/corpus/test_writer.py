"""corpus.writer: record edits spliced into a copy of tests/data/corpus, checked against the loader."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import pytest

from corpus.errors import CorpusValidationError
from corpus.loader import LIST_DIRS, LIST_FILES, load_corpus
from corpus.models import FAQ, Material, Matter, Policy, Window
from corpus.writer import (
    CorpusWriteError,
    CorpusWriter,
    RecordChange,
    WriteResult,
    check_corpus,
    detach_changes,
    place_new,
)
from corpus.yaml_edit import splice

MATTERS = "matters/health.yaml"


@pytest.fixture()
def corpus_copy(tmp_path: Path, test_corpus_dir: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(test_corpus_dir, root)
    return root


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _matter(root: Path, mid: str) -> Matter:
    return load_corpus(root).by_id("matters")[mid]  # type: ignore[no-any-return]


def test_check_corpus_agrees_with_the_loader(corpus_copy: Path) -> None:
    ours, theirs = check_corpus(corpus_copy), load_corpus(corpus_copy)
    assert ours.sources == theirs.sources
    for kind in (*(k.removesuffix(".yaml") for k in LIST_FILES), *LIST_DIRS, "lobby"):
        assert getattr(ours, kind) == getattr(theirs, kind), kind
    # The same problems for a broken file, whether overridden in memory or written to disk.
    broken = (corpus_copy / MATTERS).read_text(encoding="utf-8").replace("dept.health", "dept.nowhere", 1)
    with pytest.raises(CorpusValidationError) as ours_err:
        check_corpus(corpus_copy, {MATTERS: broken})
    (corpus_copy / MATTERS).write_text(broken, encoding="utf-8")
    with pytest.raises(CorpusValidationError) as theirs_err:
        load_corpus(corpus_copy)
    assert ours_err.value.problems == theirs_err.value.problems
    assert any("dept.nowhere" in p.message for p in ours_err.value.problems)


def test_rewriting_every_record_with_itself_changes_no_byte(corpus_copy: Path) -> None:
    corpus = load_corpus(corpus_copy)
    for kind in (*(k.removesuffix(".yaml") for k in LIST_FILES), *LIST_DIRS):
        for record in getattr(corpus, kind):
            rel = corpus.sources[record.id].partition("#")[0]
            text = (corpus_copy / rel).read_text(encoding="utf-8")
            assert splice(text, record.id, record, type(record)) == text, record.id


def test_edit_replaces_only_that_record_and_keeps_comments(corpus_copy: Path) -> None:
    path = corpus_copy / MATTERS
    original = "# a curator's note above the second record\n"
    text = path.read_text(encoding="utf-8").replace(
        "- id: health.birth_cert_reissue", original + "- id: health.birth_cert_reissue"
    )
    path.write_text(text, encoding="utf-8")
    m = _matter(corpus_copy, "health.nurse_reregistration")
    m.fee = "工本费10元"
    m.colloquial.append("护士证过期了咋整")
    result = CorpusWriter(corpus_copy).apply([RecordChange.upsert("matter", m)])
    assert result.files == [MATTERS]
    after = path.read_text(encoding="utf-8")
    assert original in after and after.startswith("# Example for authors")
    changed = [line for line in after.splitlines() if line not in text.splitlines()]
    assert changed == [
        "  colloquial: [护士证到期了怎么办, 护士证重新注册, 护士证五年到期, 护士执业证续期, 护士证过期了咋整]",  # noqa: E501
        "  fee: 工本费10元",
    ]
    assert _matter(corpus_copy, "health.nurse_reregistration") == m
    assert result.corpus is not None and result.sources == {m.id: f"{MATTERS}#0"}
    assert result.version_before != result.version_after


def test_new_records_go_beside_their_relatives(corpus_copy: Path) -> None:
    base = _matter(corpus_copy, "health.birth_cert_reissue")
    new = base.model_copy(
        update={"id": "health.test_new", "name": "测试新事项", "aliases": [], "colloquial": []}
    )
    assert place_new(corpus_copy, "matter", new) == MATTERS  # the department's matters file
    faq = FAQ(
        id="faq.x.one",
        question="测试问题是什么",
        answer="测试回答内容",
        matters=["health.birth_cert_reissue"],
    )
    assert place_new(corpus_copy, "faq", faq) == "faqs/health.yaml"
    policy = Policy(
        id="policy.x.one",
        title="测试政策",
        issuer="测试机关",
        date="2024-01-02",
        excerpt="测试政策摘录内容十个字以上",
        matters=["health.birth_cert_reissue"],
    )
    assert place_new(corpus_copy, "policy", policy) == "policies/health.yaml"
    assert (
        place_new(corpus_copy, "material", Material(id="mat.test_x", name="测试")) == "materials/common.yaml"
    )
    odd = Material(id="zzz.mat.test_x", name="测试")
    assert place_new(corpus_copy, "material", odd) == "materials/curated.yaml"

    writer = CorpusWriter(corpus_copy)
    result = writer.apply(
        [
            RecordChange.upsert("matter", new),
            RecordChange.upsert("policy", policy),
            RecordChange.upsert("material", odd),
        ]
    )
    assert result.files == ["materials/curated.yaml", MATTERS, "policies/health.yaml"]
    loaded = load_corpus(corpus_copy)
    assert loaded.by_id("matters")["health.test_new"] == new
    assert loaded.by_id("policies")["policy.x.one"] == policy
    assert loaded.sources["health.test_new"] == result.sources["health.test_new"]
    assert "  date: 2024-01-02\n" in (corpus_copy / "policies/health.yaml").read_text(encoding="utf-8")
    # A new file has no style to follow: one key per line.
    assert (corpus_copy / "materials/curated.yaml").read_text(
        encoding="utf-8"
    ) == "- id: zzz.mat.test_x\n  name: 测试\n"
    # materials/common.yaml has one flow mapping per line, and an appended record follows suit.
    ok_mat = Material(id="mat.test_x", name="测试材料")
    writer.apply([RecordChange.upsert("material", ok_mat)])
    assert (
        (corpus_copy / "materials/common.yaml")
        .read_text(encoding="utf-8")
        .endswith("- {id: mat.test_x, name: 测试材料}\n")
    )


def test_delete_removes_the_record_and_reports_moved_positions(corpus_copy: Path) -> None:
    before = load_corpus(corpus_copy)
    first = next(f for f in before.faqs if before.sources[f.id] == "faqs/health.yaml#0")
    result = CorpusWriter(corpus_copy).apply([RecordChange.delete("faq", first.id)])
    after = load_corpus(corpus_copy)
    assert first.id not in after.by_id("faqs") and len(after.faqs) == len(before.faqs) - 1
    moved = {f.id: after.sources[f.id] for f in after.faqs if after.sources[f.id] != before.sources[f.id]}
    assert moved and result.sources == moved
    # Deleting what the files do not hold changes nothing (and still runs the commit).
    seen: list[WriteResult] = []
    again = CorpusWriter(corpus_copy).apply([RecordChange.delete("faq", first.id)], commit=seen.append)
    assert again.files == [] and seen == [again]


def test_a_detaching_delete_drops_the_name_from_lists_or_is_refused(corpus_copy: Path) -> None:
    corpus = load_corpus(corpus_copy)
    base = corpus.by_id("matters")["health.birth_cert_reissue"]
    new = base.model_copy(
        update={"id": "health.test_new", "name": "测试新事项", "aliases": [], "colloquial": []}
    )
    bundle = corpus.bundles[0]
    both = FAQ(id="faq.x.both", question="两个事项的问题", answer="两个事项的回答", matters=[base.id, new.id])
    writer = CorpusWriter(corpus_copy)
    writer.apply(
        [
            RecordChange.upsert("matter", new),
            RecordChange.upsert("bundle", bundle.model_copy(update={"matters": [*bundle.matters, new.id]})),
            RecordChange.upsert("faq", both),
        ]
    )
    assert {c.record_id for c in detach_changes(corpus_copy, "matter", new.id)} == {bundle.id, both.id}
    writer.apply([RecordChange.delete("matter", new.id, detach=True)])
    after = load_corpus(corpus_copy)
    assert new.id not in after.by_id("matters")
    assert after.bundles[0] == bundle and after.by_id("faqs")[both.id].matters == [base.id]
    # Removing the nurse matter would leave its FAQs about nothing and the bundle with one matter.
    snapshot = _digest(corpus_copy)
    with pytest.raises(CorpusValidationError) as err:
        writer.apply([RecordChange.delete("matter", "health.nurse_reregistration", detach=True)])
    assert "faq.health.nurse_rereg_001" in str(err.value) and bundle.id in str(err.value)
    assert _digest(corpus_copy) == snapshot


def test_invalid_edit_writes_nothing(corpus_copy: Path) -> None:
    snapshot = _digest(corpus_copy)
    m = _matter(corpus_copy, "health.nurse_reregistration")
    m.materials[0].material = "mat.does_not_exist"
    called: list[WriteResult] = []
    with pytest.raises(CorpusValidationError) as err:
        CorpusWriter(corpus_copy).apply([RecordChange.upsert("matter", m)], commit=called.append)
    assert "mat.does_not_exist" in str(err.value)
    assert _digest(corpus_copy) == snapshot and called == []
    with pytest.raises(CorpusWriteError, match="unknown record kind"):
        CorpusWriter(corpus_copy).apply([RecordChange("planet", "x.y", None)])


def test_a_failed_commit_restores_the_files(corpus_copy: Path) -> None:
    snapshot = _digest(corpus_copy)
    m = _matter(corpus_copy, "health.nurse_reregistration")
    m.fee = "工本费99元"
    odd = Material(id="zzz.mat.rollback", name="回滚测试")

    def commit(result: WriteResult) -> None:
        # The files are written when the commit runs (it sees the edit on disk) ...
        assert "工本费99元" in (corpus_copy / MATTERS).read_text(encoding="utf-8")
        assert (corpus_copy / "materials/curated.yaml").exists()
        raise RuntimeError("graph unavailable")

    with pytest.raises(RuntimeError, match="graph unavailable"):
        CorpusWriter(corpus_copy).apply(
            [RecordChange.upsert("matter", m), RecordChange.upsert("material", odd)], commit=commit
        )
    assert _digest(corpus_copy) == snapshot  # ... and restored after it failed; the new file is gone
    assert not list(corpus_copy.rglob("*.tmp"))


def test_anchored_records_are_written_out_in_full(corpus_copy: Path) -> None:
    path = corpus_copy / "windows.yaml"
    corpus = load_corpus(corpus_copy)
    a, b = corpus.windows[0], corpus.windows[1]
    text = path.read_text(encoding="utf-8")
    # Give the first two windows a shared department list through an anchor, as PyYAML dumps write it.
    import yaml

    data = yaml.safe_load(text)
    data[1]["departments"] = data[0]["departments"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert "&id001" in path.read_text(encoding="utf-8")
    edited = Window.model_validate({**a.model_dump(), "hours": "周六 9:00-12:00"})
    CorpusWriter(corpus_copy).apply([RecordChange.upsert("window", edited)])
    after = load_corpus(corpus_copy)
    assert after.windows[0] == edited and after.windows[1].departments == a.departments
    assert after.windows[1].id == b.id and "&id001" not in path.read_text(encoding="utf-8")


def test_concurrent_writers_lose_no_edit(corpus_copy: Path) -> None:
    """Threads (and so processes: flock is per open file description) serialise read-modify-write."""
    ids = [f.id for f in load_corpus(corpus_copy).faqs]
    errors: list[BaseException] = []

    def edit(fid: str, n: int) -> None:
        try:
            writer = CorpusWriter(corpus_copy)  # one writer per worker, as each request builds its own
            faq = load_corpus(corpus_copy).by_id("faqs")[fid]
            for i in range(n):
                writer.apply(
                    [RecordChange.upsert("faq", faq.model_copy(update={"answer": f"第{i}版回答：{fid}"}))]
                )
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=edit, args=(fid, 6)) for fid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    faqs = load_corpus(corpus_copy).by_id("faqs")
    assert all(faqs[fid].answer == f"第5版回答：{fid}" for fid in ids)


def test_lock_timeout(corpus_copy: Path) -> None:
    holder = CorpusWriter(corpus_copy)
    waiter = CorpusWriter(corpus_copy, lock_timeout_s=0.2)
    with holder.locked():
        with pytest.raises(CorpusWriteError, match="locked by another edit"):
            waiter.apply([RecordChange.delete("faq", "faq.none.x")])
    waiter.apply([RecordChange.delete("faq", "faq.none.x")])  # free again
