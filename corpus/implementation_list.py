"""Importer for the national 实施清单 (implementation list) table format (CSV or XLSX).

One row per matter with the standard element columns (基本目录/实施清单 elements of the national integrated
platform): 事项名称, 实施编码, 实施主体, 事项类型, 服务对象, 办理地点, 法定办结时限, 承诺办结时限, 是否收费 /
收费标准, 到办事现场次数, 设定依据, 咨询方式, 受理条件, 办理流程, 申请材料, 网上办理深度.
``申请材料`` holds one material per line ("1. 居民身份证（原件1份）"); an XLSX may instead carry a sheet
named 申请材料 with 实施编码 / 材料名称 / 材料形式 / 纸质材料份数 / 材料必要性 / 来源渠道 columns.

Rows become corpus records (Matter + new Material), checked against the existing corpus, and are written as
a YAML file a curator can review; ``govguide ingest`` then loads them. Bad rows are reported with row
numbers and nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pypinyin import Style, lazy_pinyin

from corpus.errors import CorpusProblem, CorpusValidationError
from corpus.loader import Corpus
from corpus.models import Material, Matter, Requirement

# Column aliases seen in real exports -> our element key.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("事项名称", "实施清单名称", "业务办理项名称"),
    "code": ("实施编码", "事项编码", "业务办理项编码"),
    "department": ("实施主体", "实施主体名称", "办理部门"),
    "type": ("事项类型",),
    "target": ("服务对象",),
    "location": ("办理地点",),
    "legal": ("法定办结时限",),
    "promised": ("承诺办结时限",),
    "is_fee": ("是否收费",),
    "fee": ("收费标准",),
    "visits": ("到办事现场次数", "到现场次数"),
    "basis": ("设定依据",),
    "phone": ("咨询方式", "咨询电话"),
    "conditions": ("受理条件",),
    "flow": ("办理流程",),
    "materials": ("申请材料", "材料名称"),
    "online": ("网上办理深度", "办理形式"),
}
REQUIRED = ("name", "department", "legal", "promised", "materials")

TYPE_MAP = {
    "行政许可": "行政许可",
    "行政确认": "行政确认",
    "行政给付": "行政给付",
    "行政裁决": "行政裁决",
    "行政奖励": "行政奖励",
    "公共服务": "公共服务",
}
ONLINE_MAP = (
    ("全程网办", "全程网办"),
    ("四级", "全程网办"),
    ("网上预审", "网上预审"),
    ("三级", "网上预审"),
    ("预约", "网上预约"),
    ("二级", "网上预约"),
)


@dataclass
class ImportResult:
    matters: list[Matter] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)


def _read_rows(path: Path) -> tuple[list[dict[str, str]], dict[str, list[dict[str, str]]]]:
    """Rows of the main table and, for XLSX, material rows keyed by 实施编码."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        sheets = {
            ws.title: [
                [("" if c is None else str(c)).strip() for c in row] for row in ws.iter_rows(values_only=True)
            ]
            for ws in wb.worksheets
        }
        wb.close()
        main_title = next(iter(sheets))
        main = _as_dicts(sheets[main_title])
        extra: dict[str, list[dict[str, str]]] = {}
        if "申请材料" in sheets and main_title != "申请材料":
            for r in _as_dicts(sheets["申请材料"]):
                extra.setdefault(r.get("实施编码", ""), []).append(r)
        return main, extra
    text = path.read_bytes().decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",\t")
    return list(csv.DictReader(io.StringIO(text), dialect=dialect)), {}


def _as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    if not rows:
        return []
    head = rows[0]
    return [dict(zip(head, r, strict=False)) for r in rows[1:] if any(r)]


def _get(row: dict[str, str], key: str) -> str:
    for col in COLUMNS[key]:
        if row.get(col):
            return str(row[col]).strip()
    return ""


def _phone(cell: str, department_phone: str) -> str:
    """The first phone-like number of the cell, else the department's phone."""
    found = re.search(r"[0-9][0-9-]{6,19}", cell)
    return found.group(0) if found else department_phone


def parse_days(text: str) -> int:
    """'20个工作日' / '30(工作日)' / '即办' / '5' -> working days (0 = 即办)."""
    if not text or "即办" in text or "当场" in text:
        return 0
    m = re.search(r"(\d+)", text)
    if not m:
        raise ValueError(f"cannot read a time limit from {text!r}")
    days = int(m.group(1))
    if "月" in text:
        days *= 22
    return days


def parse_materials(text: str) -> list[tuple[str, int, bool]]:
    """'1. 居民身份证（原件1份）\\n2. 申请表（复印件2份）' -> [(name, copies, original)]."""
    out: list[tuple[str, int, bool]] = []
    for part in re.split(r"[\n；;]+", text):
        part = re.sub(r"^\s*[（(]?\d+[)）.、．]\s*", "", part).strip(" 。")
        if not part or part in ("无",):
            continue
        note = re.search(r"[（(]([^）)]*)[）)]\s*$", part)
        name = part[: note.start()].strip() if note else part
        copies, original = 1, True
        if note:
            detail = note.group(1)
            if "复印" in detail:
                original = False
            n = re.search(r"(\d+)\s*份", detail)
            if n:
                copies = int(n.group(1))
        out.append((name, copies, original))
    return out


def _slug(name: str, max_len: int = 24) -> str:
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore"))
    return re.sub(r"[^a-z0-9]", "", initials.lower())[:max_len] or "item"


def import_table(path: Path, corpus: Corpus) -> ImportResult:
    """Convert an implementation-list table into corpus records checked against ``corpus``.

    Raises:
        CorpusValidationError: every bad row, with its row number; nothing is returned partially.
    """
    rel = path.name
    rows, extra_materials = _read_rows(path)
    problems: list[CorpusProblem] = []
    dept_by_name: dict[str, Any] = {}
    for d in corpus.departments:
        for n in (d.name, d.short_name, *d.aliases):
            dept_by_name[n] = d
    windows_by_dept: dict[str, list[str]] = {}
    for w in corpus.windows:
        for d_id in w.departments:
            windows_by_dept.setdefault(d_id, []).append(w.id)
    materials_by_name = {m.name: m for m in corpus.materials}
    existing_ids = set(corpus.sources)
    result = ImportResult()
    new_materials: dict[str, Material] = {}
    if not rows:
        raise CorpusValidationError([CorpusProblem(rel, None, None, None, "the table has no rows")])
    missing_cols = [k for k in REQUIRED if not any(c in rows[0] for c in COLUMNS[k])]
    if missing_cols:
        names = ", ".join(COLUMNS[k][0] for k in missing_cols)
        raise CorpusValidationError([CorpusProblem(rel, None, None, 1, f"missing required columns: {names}")])
    for i, row in enumerate(rows):
        line = i + 2  # header is line 1
        name = _get(row, "name")
        try:
            dept = dept_by_name.get(_get(row, "department"))
            if dept is None:
                raise ValueError(
                    f"unknown 实施主体 {_get(row, 'department')!r} (not a department of this centre)"
                )
            deptkey = dept.id.removeprefix("dept.")
            loc = _get(row, "location")
            windows = (
                re.findall(r"(?<![A-Za-z0-9])([A-Z]\d{2})(?![0-9])", loc)
                or windows_by_dept.get(dept.id, [])[:1]
            )
            if not windows:
                raise ValueError(f"no window for department {dept.id}; name one in 办理地点 (e.g. B01)")
            code = _get(row, "code")
            mid = f"{deptkey}.imp_{_slug(name)}"
            if mid in existing_ids:
                mid = f"{mid}_{_slug(code or str(line), 8) or line}"
            mat_rows = [
                (r.get("材料名称", ""), int(r.get("纸质材料份数") or 1), "复印" not in r.get("材料形式", ""))
                for r in extra_materials.get(code, [])
            ] or parse_materials(_get(row, "materials"))
            reqs = []
            for mname, copies, original in mat_rows:
                mat = materials_by_name.get(mname) or new_materials.get(mname)
                if mat is None:
                    mat = Material(
                        id=f"{deptkey}.mat.imp_{_slug(mname)}_{len(new_materials)}",
                        name=mname,
                        source="实施清单导入",
                    )
                    new_materials[mname] = mat
                reqs.append(Requirement(material=mat.id, copies=copies, original=original))
            fee_flag, fee_text = _get(row, "is_fee"), _get(row, "fee")
            fee = "不收费" if fee_flag in ("否", "不收费", "") and not fee_text else (fee_text or "收费")
            online = _get(row, "online")
            matter = Matter(
                id=mid,
                name=name,
                code=code,
                description=_get(row, "conditions") or f"{name}（由实施清单导入，待完善说明）",
                target="法人"
                if "法人" in _get(row, "target") and "自然人" not in _get(row, "target")
                else "个人",
                type=TYPE_MAP.get(_get(row, "type"), "其他行政权力"),  # type: ignore[arg-type]
                department=dept.id,
                windows=windows,
                legal_limit_days=parse_days(_get(row, "legal")),
                promised_limit_days=parse_days(_get(row, "promised")),
                fee=fee,
                online_level=next((v for k, v in ONLINE_MAP if k in online), "仅窗口办理"),  # type: ignore[arg-type,misc]
                max_visits=min(int(re.sub(r"\D", "", _get(row, "visits")) or 1), 3),
                legal_basis=[b for b in re.split(r"[\n；;]+", _get(row, "basis")) if b.strip()]
                or ["见实施清单"],
                phone=_phone(_get(row, "phone"), dept.phone),
                conditions=_get(row, "conditions"),
                steps=[s.strip() for s in re.split(r"[\n→；;]+", _get(row, "flow")) if s.strip()],
                materials=reqs,
            )
            result.matters.append(matter)
            existing_ids.add(mid)
        except ValidationError as e:
            for err in e.errors():
                loc_s = ".".join(str(p) for p in err["loc"])
                problems.append(CorpusProblem(rel, i, name or None, line, f"{loc_s}: {err['msg']}"))
        except ValueError as e:
            problems.append(CorpusProblem(rel, i, name or None, line, str(e)))
    if problems:
        raise CorpusValidationError(problems)
    result.materials = list(new_materials.values())
    return result


def write_import(result: ImportResult, corpus_dir: Path, stem: str) -> list[Path]:
    """Write imported records as YAML under the corpus (atomic rename; nothing half-written)."""
    out: list[Path] = []
    for folder, records in (("materials", result.materials), ("matters", result.matters)):
        if not records:
            continue
        target = corpus_dir / folder / f"imported_{stem}.yaml"
        data = [r.model_dump(exclude_defaults=True) for r in records]
        tmp = target.with_suffix(".yaml.tmp")
        tmp.write_text(
            "# Imported from an implementation list (实施清单); review before ingest.\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200),
            encoding="utf-8",
        )
        tmp.replace(target)
        out.append(target)
    return out
