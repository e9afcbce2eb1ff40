"""A small hand-written GovGuide graph for the contract tests (two matters, a bundle, a tiny lobby)."""

from __future__ import annotations

from typing import Any

from graph.base import GraphStore, WriteSummary
from graph.schema import encode_when
from graph.writer import replace_relationships, upsert_nodes

NODES: dict[str, list[dict[str, Any]]] = {
    "Department": [
        {
            "id": "dept.civil",
            "name": "云溪县民政局",
            "short_name": "民政",
            "aliases": ["民政局"],
            "phone": "0000-1234567",
            "source": "departments.yaml#0",
        },
        {
            "id": "dept.police",
            "name": "云溪县公安局",
            "short_name": "公安",
            "aliases": ["派出所"],
            "phone": "0000-7654321",
            "source": "departments.yaml#1",
        },
    ],
    "Location": [
        {
            "id": "loc.entrance",
            "name": "正门入口",
            "kind": "entrance",
            "floor": 1,
            "x": 30.0,
            "y": 0.0,
            "aliases": ["大门"],
            "source": "lobby.yaml#0",
        },
        {
            "id": "loc.win_b01",
            "name": "B01号窗口",
            "kind": "window",
            "floor": 1,
            "x": 12.5,
            "y": 20.0,
            "aliases": [],
            "source": "lobby.yaml#1",
        },
        {
            "id": "loc.win_c01",
            "name": "C01号窗口",
            "kind": "window",
            "floor": 1,
            "x": 48.0,
            "y": 20.0,
            "aliases": [],
            "source": "lobby.yaml#2",
        },
    ],
    "Window": [
        {
            "id": "B01",
            "name": "B01号窗口",
            "description": "婚姻登记",
            "hours": "周一至周五",
            "floor": 1,
            "source": "windows.yaml#0",
        },
        {
            "id": "C01",
            "name": "C01号窗口",
            "description": "户籍业务",
            "hours": "周一至周五",
            "floor": 1,
            "source": "windows.yaml#1",
        },
    ],
    "Matter": [
        {
            "id": "matter.marriage",
            "name": "内地居民结婚登记",
            "code": "000001",
            "aliases": ["结婚登记"],
            "colloquial": ["领证", "扯证"],
            "description": "内地居民双方共同到婚姻登记机关申请结婚登记。",
            "target": "个人",
            "type": "行政确认",
            "legal_limit_days": 0,
            "promised_limit_days": 0,
            "fee": "不收费",
            "online_level": "网上预约",
            "max_visits": 1,
            "legal_basis": ["《婚姻登记条例》"],
            "phone": "0000-1234567",
            "steps": ["预约", "现场办理"],
            "source": "matters/civil.yaml#0",
        },
        {
            "id": "matter.hukou_move",
            "name": "户口迁移",
            "aliases": ["迁户口"],
            "colloquial": ["把户口迁过来"],
            "description": "因投靠、婚迁等原因办理户口迁入。",
            "target": "个人",
            "type": "行政确认",
            "legal_limit_days": 20,
            "promised_limit_days": 5,
            "online_level": "网上预审",
            "max_visits": 1,
            "legal_basis": ["《户口登记条例》"],
            "phone": "0000-7654321",
            "source": "matters/police.yaml#0",
        },
    ],
    "Material": [
        {"id": "mat.id_card", "name": "居民身份证", "elicense_type": "身份证", "source": "materials.yaml#0"},
        {"id": "mat.hukou_book", "name": "居民户口簿", "source": "materials.yaml#1"},
        {
            "id": "mat.photo",
            "name": "双方合影照片",
            "description": "2寸近期半身免冠合影",
            "source": "materials.yaml#2",
        },
        {"id": "mat.proxy", "name": "授权委托书", "source": "materials.yaml#3"},
    ],
    "Situation": [
        {
            "id": "sit.agent",
            "question": "是否委托他人代办？",
            "options": ["yes", "no"],
            "option_labels": ["委托代办", "本人办理"],
            "source": "situations.yaml#0",
        },
    ],
    "Form": [{"id": "form.marriage", "name": "结婚登记申请表", "source": "forms/marriage.yaml#0"}],
    "FormField": [
        {
            "id": "form.marriage.name",
            "form_id": "form.marriage",
            "field_id": "name",
            "label": "姓名",
            "type": "text",
            "required": True,
            "source": "forms/marriage.yaml#0",
        },
        {
            "id": "form.marriage.id_number",
            "form_id": "form.marriage",
            "field_id": "id_number",
            "label": "身份证号",
            "type": "id_number",
            "required": True,
            "profile_key": "id_number",
            "source": "forms/marriage.yaml#0",
        },
    ],
    "Bundle": [
        {
            "id": "bundle.newlywed",
            "name": "新婚一件事",
            "description": "结婚登记与户口迁移一次办。",
            "promised_limit_days": 5,
            "source": "bundles.yaml#0",
        },
    ],
    "Theme": [{"id": "theme.marriage", "name": "婚姻", "aliases": ["结婚"], "source": "themes.yaml#0"}],
    "FAQ": [
        {
            "id": "faq.marriage_fee",
            "question": "结婚登记要钱吗？",
            "answer": "不收费。",
            "style": "colloquial",
            "source": "faqs/civil.yaml#0",
        },
    ],
    "Policy": [
        {
            "id": "policy.marriage_reg",
            "title": "婚姻登记条例",
            "doc_no": "国务院令第387号",
            "issuer": "国务院",
            "date": "2003-08-08",
            "excerpt": "内地居民结婚，男女双方应当共同到一方当事人常住户口所在地的婚姻登记机关办理结婚登记。",
            "source": "policies/civil.yaml#0",
        },
    ],
}


def rel(a: str, b: str, **props: Any) -> dict[str, Any]:
    return {"from": a, "to": b, "props": props}


# (type, from label, to label, rows)
RELS: list[tuple[str, str, str, list[dict[str, Any]]]] = [
    (
        "HANDLED_BY",
        "Matter",
        "Department",
        [rel("matter.marriage", "dept.civil"), rel("matter.hukou_move", "dept.police")],
    ),
    ("SERVED_AT", "Matter", "Window", [rel("matter.marriage", "B01"), rel("matter.hukou_move", "C01")]),
    ("SERVED_AT", "Bundle", "Window", [rel("bundle.newlywed", "B01")]),
    ("LOCATED_AT", "Window", "Location", [rel("B01", "loc.win_b01"), rel("C01", "loc.win_c01")]),
    ("BELONGS_TO", "Window", "Department", [rel("B01", "dept.civil"), rel("C01", "dept.police")]),
    (
        "REQUIRES",
        "Matter",
        "Material",
        [
            rel(
                "matter.marriage",
                "mat.photo",
                copies=3,
                original=True,
                elicense=False,
                required=True,
                when=[],
                note="",
                order=2,
            ),
            rel(
                "matter.marriage",
                "mat.id_card",
                copies=1,
                original=True,
                elicense=True,
                required=True,
                when=[],
                note="",
                order=0,
            ),
            rel(
                "matter.marriage",
                "mat.hukou_book",
                copies=1,
                original=True,
                elicense=False,
                required=True,
                when=[],
                note="",
                order=1,
            ),
            rel(
                "matter.marriage",
                "mat.proxy",
                copies=1,
                original=True,
                elicense=False,
                required=True,
                when=encode_when({"sit.agent": ["yes"]}),
                note="仅代办时提供",
                order=3,
            ),
            rel(
                "matter.hukou_move",
                "mat.id_card",
                copies=1,
                original=True,
                elicense=True,
                required=True,
                when=[],
                note="",
                order=0,
            ),
            rel(
                "matter.hukou_move",
                "mat.hukou_book",
                copies=1,
                original=True,
                elicense=False,
                required=True,
                when=[],
                note="",
                order=1,
            ),
        ],
    ),
    ("HAS_SITUATION", "Matter", "Situation", [rel("matter.marriage", "sit.agent", order=0)]),
    ("HAS_FORM", "Matter", "Form", [rel("matter.marriage", "form.marriage")]),
    (
        "HAS_FIELD",
        "Form",
        "FormField",
        [
            rel("form.marriage", "form.marriage.id_number", order=1),
            rel("form.marriage", "form.marriage.name", order=0),
        ],
    ),
    (
        "INCLUDES",
        "Bundle",
        "Matter",
        [
            rel("bundle.newlywed", "matter.marriage", order=0),
            rel("bundle.newlywed", "matter.hukou_move", order=1),
        ],
    ),
    ("INCLUDES", "Theme", "Matter", [rel("theme.marriage", "matter.marriage")]),
    ("INCLUDES", "Theme", "Bundle", [rel("theme.marriage", "bundle.newlywed")]),
    ("ABOUT", "FAQ", "Matter", [rel("faq.marriage_fee", "matter.marriage")]),
    ("GOVERNS", "Policy", "Matter", [rel("policy.marriage_reg", "matter.marriage")]),
    (
        "ADJACENT",
        "Location",
        "Location",
        [
            rel("loc.entrance", "loc.win_b01", distance=27.0, kind="walk"),
            rel("loc.win_b01", "loc.entrance", distance=27.0, kind="walk"),
            rel("loc.entrance", "loc.win_c01", distance=27.0, kind="walk"),
            rel("loc.win_c01", "loc.entrance", distance=27.0, kind="walk"),
        ],
    ),
]

NODE_COUNT = sum(len(rows) for rows in NODES.values())
REL_COUNT = sum(len(rows) for *_, rows in RELS)


def load_sample(store: GraphStore) -> WriteSummary:
    """Write the sample graph with the production writer (nodes first, then relationships)."""
    summary = WriteSummary()
    for label, rows in NODES.items():
        summary += upsert_nodes(store, label, rows)
    for rel_type, from_label, to_label, rows in RELS:
        owners = sorted({r["from"] for r in rows})
        summary += replace_relationships(store, rel_type, from_label, to_label, rows, owners)
    return summary
