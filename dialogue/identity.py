"""Form fields that come with the applicant's identity: gender, birth date and province read from the
citizen's own ID number (digits 17, 7-14 and 1-2), never for fields about another person (父亲、监护人 …).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corpus.models import Form, FormField

if TYPE_CHECKING:  # only for annotations: dialogue.forms imports this module
    from dialogue.forms import FormState

IDENTITY_LICENCE = "居民身份证."  # e-licence fields that are the verified identity itself

# GB/T 2260 province-level divisions (ID digits 1-2), for 籍贯 / 户籍省份 fields.
_PROVINCE_NAMES = dict(
    zip(
        "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
        "50 51 52 53 54 61 62 63 64 65".split(),
        "北京市 天津市 河北省 山西省 内蒙古自治区 辽宁省 吉林省 黑龙江省 上海市 江苏省 浙江省 "
        "安徽省 福建省 江西省 山东省 河南省 湖北省 湖南省 广东省 广西壮族自治区 海南省 重庆市 "
        "四川省 贵州省 云南省 西藏自治区 陕西省 甘肃省 青海省 宁夏回族自治区 新疆维吾尔自治区".split(),
        strict=True,
    )
)
OTHER_PERSON = ("父亲", "母亲", "监护人", "代办人", "代理人", "配偶", "新生儿", "子女", "法定代表人", "委托")


def derived_key(f: FormField) -> str | None:
    """What a field takes from the applicant's ID number (gender, birth_date, province), or None."""
    if f.label.startswith(OTHER_PERSON):
        return None
    if f.type == "enum" and set(f.options) == {"男", "女"}:
        return "gender"
    if f.type == "date" and f.label.startswith("出生日期"):
        return "birth_date"
    if f.type in ("text", "address") and ("籍贯" in f.label or "户籍所在省" in f.label):
        return "province"
    return None


def derive_from_id(form: Form, state: FormState) -> list[str]:
    """Fill the applicant's gender, birth date and province from their validated ID number (digits 17,
    7-14 and 1-2); returns the fields set. Fields of other people (父亲、监护人 …) are never derived."""
    id_field = own_id_field(form)
    id_value = state.values.get(id_field.id) if id_field else None
    if id_value is None:
        return []
    derived = {
        "gender": "男" if int(id_value[16]) % 2 else "女",
        "birth_date": f"{id_value[6:10]}-{id_value[10:12]}-{id_value[12:14]}",
        "province": _PROVINCE_NAMES.get(id_value[:2], ""),
    }
    out = []
    for f in form.fields:
        key = derived_key(f)
        if key and derived[key] and f.id not in state.values and f.id not in state.pending:
            state.values[f.id] = derived[key]
            state.sources[f.id] = "id_number"
            out.append(f.id)
    return out


def own_id_field(form: Form) -> FormField | None:
    """The applicant's own ID-number field, if the form has one."""
    return next(
        (f for f in form.fields if f.type == "id_number" and not f.label.startswith(OTHER_PERSON)), None
    )
