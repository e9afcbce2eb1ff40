import datetime as dt

import pytest

from corpus.models import FormField
from dialogue.errors import FieldValidationError
from dialogue.validators import (
    id_number_checksum_ok,
    validate_address,
    validate_bool,
    validate_date,
    validate_email,
    validate_enum,
    validate_field,
    validate_id_number,
    validate_number,
    validate_phone,
)

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("5116 0219 8503 1512 34", "511602198503151234"),
    ],
)
def test_valid_id_numbers(raw: str, expected: str) -> None:
    assert validate_id_number(raw, TODAY) == expected


@pytest.mark.parametrize(
    "raw,fragment",
    [
        ("51160219850315123", "18位"),
        ("511602198503151235", "校验位"),
        ("991602198503151234", "地区码"),
        ("511602198502301234", "出生日期"),
        ("511602203001011234", "出生日期"),  # born in the future
    ],
)
def test_invalid_id_numbers_have_clear_messages(raw: str, fragment: str) -> None:
    with pytest.raises(FieldValidationError) as e:
        validate_id_number(raw, TODAY)
    assert fragment in e.value.message


def test_checksum_helper() -> None:
    assert id_number_checksum_ok("511621197807023316")
    assert not id_number_checksum_ok("511621197807023317")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0831-6258141", "0831-6258141"),
        ("08316258141", "0831-6258141"),
        ("(0831)6258141", "0831-6258141"),
    ],
)
def test_phones(raw: str, expected: str) -> None:
    assert validate_phone(raw) == expected


@pytest.mark.parametrize(
    "raw,fragment", [("1381234567", "11位"), ("6258141", "区号"), ("12345678901", "格式")]
)
def test_bad_phones(raw: str, fragment: str) -> None:
    with pytest.raises(FieldValidationError) as e:
        validate_phone(raw)
    assert fragment in e.value.message


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("1990-03-15", "1990-03-15"),
        ("1990/3/5", "1990-03-05"),
        ("1990.3.5", "1990-03-05"),
        ("1990年3月5日", "1990-03-05"),
        ("1990年3月5号", "1990-03-05"),
        ("19900305", "1990-03-05"),
        ("一九九〇年三月十五日", "1990-03-15"),
        ("二〇二四年十二月二十五日", "2024-12-25"),
        ("今天", "2026-11-25"),
        ("明天", "2026-11-26"),
        ("出生于1985年12月1日", "1985-12-01"),
    ],
)
def test_dates(raw: str, expected: str) -> None:
    assert validate_date(raw, TODAY) == expected


@pytest.mark.parametrize(
    "raw,fragment", [("1990年2月30日", "不是一个有效的日期"), ("1990年3月", "几号"), ("下个星期", "年月日")]
)
def test_bad_dates(raw: str, fragment: str) -> None:
    with pytest.raises(FieldValidationError) as e:
        validate_date(raw, TODAY)
    assert fragment in e.value.message


def test_enum_exact_contained_synonym_and_reject() -> None:
    opts = ["首次注册", "延续注册", "变更注册"]
    assert validate_enum("延续注册", opts) == "延续注册"
    assert validate_enum("我要办延续注册", opts) == "延续注册"
    assert validate_enum("男性", ["男", "女"]) == "男"
    with pytest.raises(FieldValidationError) as e:
        validate_enum("注销", opts)
    assert "首次注册、延续注册、变更注册" in e.value.message


def test_address_number_email_bool() -> None:
    assert validate_address("云溪县 城南街道政务路88号") == "云溪县城南街道政务路88号"
    with pytest.raises(FieldValidationError):
        validate_address("我家")
    assert validate_number("三", 1, 10) == "3"
    assert validate_number("12.5") == "12.5"
    with pytest.raises(FieldValidationError, match="不能大于"):
        validate_number("11", 1, 10)
    assert validate_email("Zhang.San@Example.COM") == "Zhang.San@example.com"
    with pytest.raises(FieldValidationError):
        validate_email("zhangsan@")
    assert validate_bool("不是") == "false"
    assert validate_bool("是的") == "true"


def test_validate_field_prefixes_label_and_applies_pattern() -> None:
    f = FormField(
        id="license_no", label="护士执业证书编号", type="text", pattern="^[0-9]{12}$", help="12位数字"
    )
    assert validate_field(f, "202012345678") == "202012345678"
    with pytest.raises(FieldValidationError) as e:
        validate_field(f, "12345")
    assert e.value.message.startswith("护士执业证书编号") and "12位数字" in e.value.message
    phone = FormField(id="phone", label="联系电话", type="phone")
    with pytest.raises(FieldValidationError) as e:
        validate_field(phone, "138123")
    assert e.value.message.startswith("联系电话：")
