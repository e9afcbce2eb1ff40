"""Schema validation of good and bad corpus files; every problem names its file and record."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corpus.errors import CorpusValidationError
from corpus.loader import corpus_version, load_corpus


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(src, dst)
    return dst


def test_test_corpus_is_valid(test_corpus_dir: Path) -> None:
    c = load_corpus(test_corpus_dir)
    assert {m.id for m in c.matters} == {"health.nurse_reregistration", "health.birth_cert_reissue"}
    assert c.sources["health.nurse_reregistration"] == "matters/health.yaml#0"
    assert c.lobby is not None and any(loc.kind == "dock" for loc in c.lobby.locations)
    assert len(c.version) == 16


def test_demo_catalogue_is_valid_and_large_enough(demo_corpus_dir: Path) -> None:
    c = load_corpus(demo_corpus_dir)
    assert len(c.matters) >= 300
    assert len({m.department for m in c.matters}) >= 15
    assert sum(1 for m in c.matters if any(r.when for r in m.materials)) >= 60
    assert len(c.forms) >= 40
    assert len(c.bundles) >= 20
    assert len(c.faqs) >= 1000
    assert len(c.policies) >= 50
    assert {w.id for w in c.windows} >= {"B01", "A01", "C01"}


def test_version_changes_with_content(test_corpus_dir: Path, tmp_path: Path) -> None:
    root = _copy(test_corpus_dir, tmp_path)
    before = corpus_version(root)
    (root / "themes.yaml").write_text((root / "themes.yaml").read_text() + "\n# edited\n")
    assert corpus_version(root) != before


def test_yaml_syntax_error_names_file_and_line(test_corpus_dir: Path, tmp_path: Path) -> None:
    root = _copy(test_corpus_dir, tmp_path)
    (root / "faqs" / "broken.yaml").write_text("- id: faq.x\n  question: [unclosed\n")
    with pytest.raises(CorpusValidationError) as e:
        load_corpus(root)
    text = str(e.value)
    assert "faqs/broken.yaml" in text and "YAML syntax error" in text


def test_schema_violation_names_record_and_field(test_corpus_dir: Path, tmp_path: Path) -> None:
    root = _copy(test_corpus_dir, tmp_path)
    path = root / "matters" / "health.yaml"
    path.write_text(path.read_text().replace("windows: [B01]", "windows: [window-one]"))
    with pytest.raises(CorpusValidationError) as e:
        load_corpus(root)
    [problem] = e.value.problems
    assert problem.file == "matters/health.yaml"
    assert problem.record_id == "health.nurse_reregistration"
    assert problem.line == 3  # the record starts after the two comment lines
    assert "windows" in problem.message


def test_unknown_key_is_rejected(test_corpus_dir: Path, tmp_path: Path) -> None:
    root = _copy(test_corpus_dir, tmp_path)
    path = root / "policies" / "health.yaml"
    path.write_text(path.read_text().replace("  issuer: 国务院", "  issuer: 国务院\n  isuer: typo"))
    with pytest.raises(CorpusValidationError, match="isuer"):
        load_corpus(root)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("department: dept.health", "department: dept.nowhere", "unknown department 'dept.nowhere'"),
        ("windows: [B02]", "windows: [Y99]", "unknown window 'Y99'"),
        ("{material: mat.id_card}", "{material: mat.no_such_thing}", "unknown material 'mat.no_such_thing'"),
        (
            "when: {sit.hukou_local: [nonlocal]}",
            "when: {sit.hukou_local: [abroad]}",
            "has no option 'abroad'",
        ),
        (
            "when: {sit.hukou_local: [nonlocal]}",
            "when: {sit.first_or_renew: [first]}",
            "not listed in situations",
        ),
    ],
)
def test_dangling_references_are_reported(
    test_corpus_dir: Path, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    root = _copy(test_corpus_dir, tmp_path)
    path = root / "matters" / "health.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(CorpusValidationError) as e:
        load_corpus(root)
    assert expected in str(e.value)
    assert all(p.file == "matters/health.yaml" for p in e.value.problems)


def test_faq_pointing_at_missing_matter(test_corpus_dir: Path, tmp_path: Path) -> None:
    root = _copy(test_corpus_dir, tmp_path)
    (root / "faqs" / "extra.yaml").write_text(
        "- {id: faq.x.one, question: 这个怎么办理, answer: 去窗口办理即可, matters: [health.gone]}\n"
    )
    with pytest.raises(CorpusValidationError, match=r"faqs/extra.yaml.*unknown matter 'health.gone'"):
        load_corpus(root)


def test_duplicate_ids_across_files(test_corpus_dir: Path, tmp_path: Path) -> None:
    root = _copy(test_corpus_dir, tmp_path)
    shutil.copy(root / "policies" / "health.yaml", root / "policies" / "zz_copy.yaml")
    with pytest.raises(CorpusValidationError, match="duplicate id, first defined in policies/health.yaml#0"):
        load_corpus(root)


def test_unreachable_location(test_corpus_dir: Path, tmp_path: Path) -> None:
    root = _copy(test_corpus_dir, tmp_path)
    lobby = root / "lobby.yaml"
    lobby.write_text(lobby.read_text().replace("edges:\n", "edges: []\nold_edges:\n", 1))
    with pytest.raises(CorpusValidationError):
        load_corpus(root)


def test_material_listed_twice(test_corpus_dir: Path, tmp_path: Path) -> None:
    root = _copy(test_corpus_dir, tmp_path)
    path = root / "matters" / "health.yaml"
    path.write_text(
        path.read_text().replace(
            "    - {material: mat.id_card}\n",
            "    - {material: mat.id_card}\n    - {material: mat.id_card, copies: 2}\n",
        )
    )
    with pytest.raises(CorpusValidationError, match="listed twice"):
        load_corpus(root)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CorpusValidationError, match="corpus directory not found"):
        load_corpus(tmp_path / "nope")
