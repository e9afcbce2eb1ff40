"""Sample citizens and e-licences (fictional people; ID numbers carry valid checksums) for demos and tests.

c001 王建国, c002 李秀英 (a nurse) and c003 陈明 (non-local hukou) have profiles; c004 赵六 has only the
居民身份证 record an ID-card reader yields at 实名认证.
"""

from __future__ import annotations

from typing import Any

SAMPLE_PROFILES: dict[str, dict[str, Any]] = {
    "c001": {
        "name": "王建国",
        "id_number": "511602198503151234",
        "phone": "13881234567",
        "gender": "男",
        "birth_date": "1985-03-15",
        "address": "云溪县城南街道政务路12号3栋2单元",
        "hukou_local": "local",
        "applicant_kind": "person",
    },
    "c002": {
        "name": "李秀英",
        "id_number": "511602199211084564",
        "phone": "13990876543",
        "gender": "女",
        "birth_date": "1992-11-08",
        "address": "云溪县北城街道和平路56号",
        "hukou_local": "local",
        "applicant_kind": "person",
    },
    "c003": {
        "name": "陈明",
        "id_number": "511621197807023316",
        "phone": "15283456789",
        "gender": "男",
        "birth_date": "1978-07-02",
        "hukou_local": "nonlocal",
    },
}

# (citizen, e-licence type, licence number, fields)
SAMPLE_ELICENSES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "c001",
        "居民身份证",
        "511602198503151234",
        {
            "name": "王建国",
            "id_number": "511602198503151234",
            "gender": "男",
            "birth_date": "1985-03-15",
            "address": "云溪县城南街道政务路12号3栋2单元",
            "valid_until": "2035-06-01",
        },
    ),
    (
        "c001",
        "驾驶证",
        "511602198503151234",
        {
            "number": "511602198503151234",
            "class": "C1",
            "file_no": "511600123456",
            "first_issue_date": "2008-04-20",
            "valid_until": "2031-04-20",
        },
    ),
    (
        "c001",
        "营业执照",
        "92511602MA6XY12345",
        {
            "name": "云溪县建国百货店",
            "credit_code": "92511602MA6XY12345",
            "operator": "王建国",
            "address": "云溪县城南街道政务路12号",
        },
    ),
    (
        "c002",
        "居民身份证",
        "511602199211084564",
        {
            "name": "李秀英",
            "id_number": "511602199211084564",
            "gender": "女",
            "birth_date": "1992-11-08",
            "address": "云溪县北城街道和平路56号",
            "valid_until": "2032-09-10",
        },
    ),
    (
        "c002",
        "护士执业证书",
        "202251160012",
        {"number": "202251160012", "name": "李秀英", "valid_until": "2027-01-15"},
    ),
    # Field names follow the catalogue's elicense_key ("社会保障卡.card_number" in the pension forms).
    ("c002", "社会保障卡", "S51160200123", {"card_number": "S51160200123", "name": "李秀英"}),
    (
        "c003",
        "居民身份证",
        "511621197807023316",
        {
            "name": "陈明",
            "id_number": "511621197807023316",
            "gender": "男",
            "birth_date": "1978-07-02",
            "valid_until": "2028-07-02",
        },
    ),
    # 赵六 has no profile on file: a first visit, known only from the ID card chip read at verification.
    (
        "c004",
        "居民身份证",
        "511602199604120626",
        {
            "name": "赵六",
            "id_number": "511602199604120626",
            "gender": "女",
            "birth_date": "1996-04-12",
            "address": "云溪县北城街道和平路56号",
            "valid_until": "2036-04-12",
        },
    ),
]
