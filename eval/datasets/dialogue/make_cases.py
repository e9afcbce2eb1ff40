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
    "id": "511602199604120626",  # sample citizen c004 (ID-card e-licence only)
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
    """Realistic 边聊边办 flows. Every citizen verifies their identity (实名认证: ID card reader or face
    check at the kiosk, 电子身份证 in the app), before the form or when the engine asks for it, since an
    application is bound to a verified person."""
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
        # Verified mid-form: the citizen starts, is asked to verify, swipes the card; the reply to the
        # swipe shows the prefilled values.
        convs.append(
            _conv(
                cid,
                [SS_START, {"verify": cid}, "都对，换领", "提交"],
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
    # 赵六 (c004) has no profile: verification yields only the ID card (name, ID number, gender, birth
    # date); the rest is said. Verified when asked (the engine does not accept an unverified submission),
    # or before starting; one-shot, grouped answer, a validation error.
    z = {"verify": "c004"}
    full = {"name": p["name"], "id_number": p["id"], "phone": p["phone"]}
    convs.append(
        _conv(
            "c004",
            [SS_START, z, f"都对，电话{p['phone']}，申请首次申领，地址是{p['addr']}", "提交"],
            5,
            {**full, "apply_kind": "首次申领", "address": p["addr"]},
        )
    )
    convs.append(
        _conv(
            "c004",
            [z, SS_START, f"都对，{p['phone']}，首次申领，{p['addr']}", "提交"],
            5,
            {**full, "apply_kind": "首次申领", "address": p["addr"]},
        )
    )
    convs.append(
        _conv(
            "c004",
            ["我要补领社保卡，帮我填申请表", z, f"都对，电话{p['phone']}，通讯地址是{p['addr']}，提交"],
            5,
            {**full, "apply_kind": "补领", "address": p["addr"]},
        )
    )
    convs.append(
        _conv(
            "c004",
            [SS_START, z, f"都对，{p['phone']}，补领，{p['addr']}", "提交"],
            5,
            {**full, "apply_kind": "补领", "address": p["addr"]},
        )
    )
    convs.append(
        _conv(
            "c004",
            [SS_START, z, f"都对，电话{p['phone'][:-1]}，换领，住在{p['addr']}", p["phone"], "提交"],
            5,
            {**full, "apply_kind": "换领"},
        )
    )
    convs.append(
        _conv(
            "c004",
            [
                BIZ_START,
                z,
                f"都对，电话{p['phone']}，个体户名称叫六六便利店，经营场所在{p['addr']}，从业人数1人，"
                "2026年12月20日开业",
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
