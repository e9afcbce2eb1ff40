"""实施清单 importer: CSV and XLSX, column mapping to graph-ready records, per-row errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook

from corpus.errors import CorpusValidationError
from corpus.implementation_list import import_table, parse_days, parse_materials, write_import
from corpus.loader import load_corpus

DATA = Path(__file__).resolve().parent.parent / "data" / "implementation_list"


@pytest.fixture()
def corpus(test_corpus_dir: Path):  # type: ignore[no-untyped-def]
    return load_corpus(test_corpus_dir)


def test_parse_days_and_materials() -> None:
    assert parse_days("45个工作日") == 45
    assert parse_days("30(工作日)") == 30
    assert parse_days("即办") == 0
    assert parse_days("1个月") == 22
    with pytest.raises(ValueError):
        parse_days("很快")
    assert parse_materials("1. 居民身份证（原件1份）\n2. 营业执照（复印件2份）") == [
        ("居民身份证", 1, True),
        ("营业执照", 2, False),
    ]


def test_csv_rows_map_to_matters(corpus) -> None:  # type: ignore[no-untyped-def]
    result = import_table(DATA / "sample.csv", corpus)
    assert [m.name for m in result.matters] == [
        "医疗机构执业登记（诊所）",
        "公共场所卫生许可证延续",
        "计划生育家庭特别扶助金申请",
    ]
    clinic, renew, aid = result.matters
    assert clinic.department == "dept.health" and clinic.windows == ["B01"]
    assert (clinic.legal_limit_days, clinic.promised_limit_days) == (45, 15)
    assert clinic.online_level == "网上预审" and clinic.target == "法人"
    assert clinic.legal_basis == ["《医疗机构管理条例》第十五条", "《医疗机构管理条例实施细则》第二十五条"]
    assert len(clinic.steps) == 6
    assert renew.department == "dept.health" and renew.windows == ["B02"] and renew.phone == "0831-6258142"
    assert renew.online_level == "全程网办"
    assert aid.legal_limit_days == 0 and aid.type == "行政给付"
    # known materials are reused by name, unknown ones become new Material records
    assert [r.material for r in aid.materials][:2] == ["mat.id_card", "mat.hukou_book"]
    new_names = {m.name for m in result.materials}
    assert "医疗机构规章制度" in new_names and "居民身份证" not in new_names
    copy = next(r for r in clinic.materials if r.original is False)
    assert copy.copies == 1


def test_written_records_validate_and_ingest_shape(corpus, test_corpus_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "corpus"
    shutil.copytree(test_corpus_dir, root)
    paths = write_import(import_table(DATA / "sample.csv", corpus), root, "sample")
    assert {p.parent.name for p in paths} == {"matters", "materials"}
    reloaded = load_corpus(root)
    assert len(reloaded.matters) == len(corpus.matters) + 3


def test_xlsx_with_material_sheet(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wb = Workbook()
    ws = wb.active
    ws.title = "实施清单"
    ws.append(
        [
            "事项名称",
            "实施编码",
            "实施主体",
            "法定办结时限",
            "承诺办结时限",
            "申请材料",
            "设定依据",
            "办理地点",
        ]
    )
    ws.append(
        ["护士执业变更注册", "X-1", "卫健局", "20个工作日", "7个工作日", "", "《护士条例》第九条", "B01"]
    )
    mats = wb.create_sheet("申请材料")
    mats.append(["实施编码", "材料名称", "材料形式", "纸质材料份数"])
    mats.append(["X-1", "居民身份证", "原件", 1])
    mats.append(["X-1", "护士执业证书", "复印件", 2])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    [matter] = import_table(path, corpus).matters
    assert matter.windows == ["B01"] and matter.legal_limit_days == 20
    assert [(r.material, r.copies, r.original) for r in matter.materials] == [
        ("mat.id_card", 1, True),
        ("health.mat.nurse_license", 2, False),
    ]


def test_bad_rows_are_reported_with_line_numbers(corpus) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CorpusValidationError) as e:
        import_table(DATA / "bad.csv", corpus)
    lines = {p.line: p.message for p in e.value.problems}
    assert "unknown 实施主体" in lines[2]
    assert "time limit" in lines[3]


def test_missing_required_columns(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.csv"
    path.write_text("事项名称,实施主体\n甲,卫健局\n", encoding="utf-8")
    with pytest.raises(CorpusValidationError, match="missing required columns"):
        import_table(path, corpus)


def test_real_guangdong_guides_parse(corpus, shared_data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Real 实施清单 values (time limits like '30(工作日)', real material names) from public guides."""
    rows = []
    with (shared_data_dir / "guangdong-service-guides" / "service_guides.jsonl").open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["material_intro"] != ["无"] and "卫生健康" in r["DEPT_NAME"] and r["handle_time"] != "无":
                rows.append(r)
            if len(rows) == 15:
                break
    assert rows
    path = tmp_path / "gd.csv"
    import csv

    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["事项名称", "实施主体", "法定办结时限", "承诺办结时限", "申请材料", "咨询方式", "到办事现场次数"]
        )
        for r in rows:
            # the provincial department is re-homed to our county's health bureau; every other value is real
            w.writerow(
                [
                    r["matter_name"],
                    "云溪县卫生健康局",
                    r["handle_time"],
                    r["handle_time_limit"],
                    "\n".join(r["material_intro"]),
                    r["consult_phone"],
                    r["visit_number"],
                ]
            )
    result = import_table(path, corpus)
    assert len(result.matters) == len(rows)
    for m, r in zip(result.matters, rows, strict=True):
        assert m.legal_limit_days == parse_days(r["handle_time"])
        assert len(m.materials) == len(r["material_intro"])
