"""Writes guide_cases.jsonl and form_conversations.jsonl from hand-written expectations (run once; the
JSONL files are the datasets). Expected material lists and field values are written by hand here, not
computed by the code under test."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

HERE = Path(__file__).parent
SAY = {
    "new": ["第一次办", "首次申请", "以前没办过"],
    "renew": ["到期了要换", "坏了", "过期了"],
    "lost": ["丢了", "遗失了要补", "找不到了"],
    "self": ["本人", "我自己来办", "自己办"],
    "agent": ["帮别人代办", "委托他人代办", "我替我妈办"],
    "local": ["本县户籍", "是本地户口", "云溪户口"],
    "nonlocal": ["外地户口", "不是本县的", "外省的"],
}
SS = {"new": ["mat.photo_1inch"], "renew": ["mat.social_security_card"], "lost": []}
ID = {"new": ["mat.hukou_book"], "renew": ["mat.id_card"], "lost": []}
AGENT = ["mat.agent_id_card", "mat.power_of_attorney"]


def guide_cases() -> list[dict[str, object]]:
    cases: list[dict[str, object]] = []
    for kind, who in itertools.product(SS, ["self", "agent"]):
        for i in range(3):
            cases.append(
                {
                    "matter": "hrss.ss_card",
                    "ask": "帮我生成一份社保卡的办事指南",
                    "answers": [SAY[kind][i], SAY[who][i]],
                    "questions": 2,
                    "expected": ["mat.id_card", *SS[kind], *(AGENT if who == "agent" else [])],
                }
            )
    for kind, hukou in itertools.product(ID, ["local", "nonlocal"]):
        for i in range(3):
            cases.append(
                {
                    "matter": "police.id_card",
                    "ask": "根据我的情况告诉我办身份证要带什么",
                    "answers": [SAY[kind][i], SAY[hukou][i]],
                    "questions": 2,
                    "expected": [*ID[kind], *(["mat.residence_permit"] if hukou == "nonlocal" else [])],
                }
            )
    for hukou in ["local", "nonlocal"]:
        for i in range(3):
            cases.append(
                {
                    "matter": "civil.marriage",
                    "ask": "给我出一份结婚登记的个性化指南",
                    "answers": [SAY[hukou][i]],
                    "questions": 1,
                    "expected": [
                        "mat.id_card",
                        "mat.hukou_book" if hukou == "local" else "mat.residence_permit",
                        "mat.photo_2inch",
                    ],
                }
            )
    for citizen, permit in [("c001", "mat.hukou_book"), ("c003", "mat.residence_permit")]:
        cases.append(
            {
                "matter": "civil.marriage",
                "ask": "给我出一份结婚登记的个性化指南",
                "citizen": citizen,
                "answers": [],
                "questions": 0,
                "expected": ["mat.id_card", permit, "mat.photo_2inch"],
            }
        )
    for kind in ID:
        cases.append(
            {
                "matter": "police.id_card",
                "ask": "按我的情况列一下办身份证的材料",
                "citizen": "c003",
                "answers": [SAY[kind][0]],
                "questions": 1,
                "expected": [*ID[kind], "mat.residence_permit"],
            }
        )
    for who in ["self", "agent"]:
        for i in range(3):
            cases.append(
                {
                    "matter": "market.individual_business",
                    "ask": "帮我定制一份个体户注册的办事指南",
                    "answers": [SAY[who][i]],
                    "questions": 1,
                    "expected": [
                        "mat.application_form",
                        "mat.id_card",
                        "dtest.mat.premises_proof",
                        *(AGENT if who == "agent" else []),
                    ],
                }
            )
    cases.append(
        {
            "matter": "police.birth_hukou",
            "ask": "我想要一份孩子上户口的指南",
            "answers": [],
            "questions": 0,
            "expected": ["mat.birth_medical_cert", "mat.hukou_book", "mat.marriage_cert"],
        }
    )
    return cases


PERSON = {
    "name": "赵六",
    "id": "511602199211084564",
    "phone": "13990876543",
    "addr": "云溪县北城街道和平路56号",
}
SS_START = "帮我填社保卡申请表"
BIZ_START = "帮我填个体户的申请书"
CITIZENS = {"c001": "王建国", "c002": "李秀英", "c003": "陈明"}
SHOPS = [
    ("建国小卖部", "云溪县城南街道政务路20号", "2", "2026年12月1日", "2026-12-01"),
    ("秀英花店", "云溪县北城街道和平路8号", "3", "明天", "2026-11-26"),
    ("老陈面馆", "云溪县河东镇新街12号", "5", "2027年1月8日", "2027-01-08"),
]


def _conv(
    verify: str | None, turns: list[object], required: int, expected: dict[str, str]
) -> dict[str, object]:
    """``turns``: what the citizen says, in order; {"verify": id} marks an ID-card swipe / app login."""
    return {"verify": verify, "turns": turns, "required": required, "expected": expected}


def form_conversations() -> list[dict[str, object]]:
    """Realistic 边聊边办 flows: most citizens verify their identity (ID card reader at the kiosk, e-licence
    app in the widget) before or during the form; a few stay anonymous and say everything themselves."""
    convs: list[dict[str, object]] = []
    p = PERSON
    kinds = ["首次申领", "补领", "换领"]
    # Verified citizens, social security card (5 required fields, 4 prefillable; c003 has no address).
    for (cid, name), k in itertools.product(list(CITIZENS.items())[:2], kinds):
        convs.append(
            _conv(cid, [{"verify": cid}, SS_START, f"都对，{k}", "提交"], 5, {"name": name, "apply_kind": k})
        )
        convs.append(
            _conv(
                cid,
                [{"verify": cid}, f"我要{k}社保卡，帮我填一下申请表", "都对，提交"],
                5,
                {"name": name, "apply_kind": k},
            )
        )
    for cid, name in list(CITIZENS.items())[:2]:
        convs.append(
            _conv(
                cid,
                [{"verify": cid}, SS_START, f"不对，电话是{p['phone'][:-1]}0，申请补领", "其他都对，提交"],
                5,
                {"name": name, "phone": p["phone"][:-1] + "0", "apply_kind": "补领"},
            )
        )
        # Verified mid-form: the citizen starts, is asked to verify, swipes the card.
        convs.append(
            _conv(
                cid,
                [SS_START, {"verify": cid}, "刷好了", "都对，换领", "提交"],
                5,
                {"name": name, "apply_kind": "换领"},
            )
        )
    convs.append(
        _conv(
            "c003",
            [{"verify": "c003"}, SS_START, "都对，换领，地址是云溪县城南街道政务路20号", "提交"],
            5,
            {"name": "陈明", "apply_kind": "换领", "address": "云溪县城南街道政务路20号"},
        )
    )
    convs.append(
        _conv(
            "c003",
            [
                {"verify": "c003"},
                "我要补领社保卡，帮我填一下申请表",
                "都对，住在云溪县城南街道政务路20号，提交",
            ],
            5,
            {"name": "陈明", "apply_kind": "补领", "address": "云溪县城南街道政务路20号"},
        )
    )
    # Verified citizens, individual business (8 required fields, 4 prefillable: name, ID, phone, gender).
    for (shop, addr, n, said, iso), cid in zip(SHOPS, CITIZENS, strict=True):
        exp = {"name": CITIZENS[cid], "shop_name": shop, "address": addr, "employees": n, "start_date": iso}
        convs.append(
            _conv(
                cid,
                [
                    {"verify": cid},
                    BIZ_START,
                    f"都对。名称叫{shop}，经营场所在{addr}，从业人数{n}人，{said}开业",
                    "提交",
                ],
                8,
                exp,
            )
        )
        convs.append(
            _conv(
                cid,
                [{"verify": cid}, BIZ_START, f"都对，{shop}，{addr}，{n}个人，{said}开业", "提交"],
                8,
                exp,
            )
        )
    # Anonymous citizens (no verification): everything said by them; one-shot, grouped answer, an error.
    for k in kinds[:2]:
        convs.append(
            _conv(
                None,
                [
                    SS_START,
                    f"我叫{p['name']}，身份证{p['id']}，电话{p['phone']}，申请{k}，地址是{p['addr']}",
                    "提交",
                ],
                5,
                {
                    "name": p["name"],
                    "id_number": p["id"],
                    "phone": p["phone"],
                    "apply_kind": k,
                    "address": p["addr"],
                },
            )
        )
        convs.append(
            _conv(
                None,
                [SS_START, f"{p['name']}，身份证号{p['id']}，{p['phone']}，{k}，{p['addr']}", "提交"],
                5,
                {
                    "name": p["name"],
                    "id_number": p["id"],
                    "phone": p["phone"],
                    "apply_kind": k,
                    "address": p["addr"],
                },
            )
        )
    convs.append(
        _conv(
            None,
            [
                SS_START,
                f"我叫{p['name']}，身份证511602199211084565，电话{p['phone']}，换领，住在{p['addr']}",
                p["id"],
                "提交",
            ],
            5,
            {"name": p["name"], "id_number": p["id"], "apply_kind": "换领"},
        )
    )
    convs.append(
        _conv(
            None,
            [
                BIZ_START,
                f"我叫{p['name']}，身份证{p['id']}，电话{p['phone']}，个体户名称叫六六便利店，"
                f"经营场所在{p['addr']}，从业人数1人，2026年12月20日开业",
                "提交",
            ],
            8,
            {
                "name": p["name"],
                "gender": "女",
                "shop_name": "六六便利店",
                "employees": "1",
                "start_date": "2026-12-20",
            },
        )
    )
    return convs


if __name__ == "__main__":
    for name, rows in (
        ("guide_cases.jsonl", guide_cases()),
        ("form_conversations.jsonl", form_conversations()),
    ):
        with (HERE / name).open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(name, len(rows))
