import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from dialogue.errors import StoreError
from dialogue.privacy import MaskingFilter, mask_text
from dialogue.store import DialogueStore, ELicenseRow


def test_mask_text_ids_and_phones() -> None:
    text = "身份证511602198503151234，电话13881234567，座机0831-6258141，旧证511602850315123"
    masked = mask_text(text)
    assert "511602198503151234" not in masked and "511602********1234" in masked
    assert "138****4567" in masked and "0831-****8141" in masked
    assert "511602******123" in masked


def test_masking_filter_on_log_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.mask")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="test.mask"):
        logger.info("citizen %s phone %s", "11010519491231002X", "13990876543")
    assert "11010519491231002X" not in caplog.text and "139****6543" in caplog.text


def test_session_roundtrip_expiry_and_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    store = DialogueStore(url)
    t0 = dt.datetime(2026, 11, 25, 10, 0)
    store.save_session("s1", {"matter": "hrss.ss_card"}, ttl_s=60, now=t0)
    assert store.load_session("s1", now=t0 + dt.timedelta(seconds=30)) == {"matter": "hrss.ss_card"}
    store.save_draft("s1", "form.ss_card", "hrss.ss_card", {"phone": "13881234567"}, {})
    store.close()
    reopened = DialogueStore(url)  # a restart: same file, new engine
    assert reopened.load_draft("s1", "form.ss_card")["values"] == {"phone": "13881234567"}
    assert reopened.load_session("s1", now=t0 + dt.timedelta(seconds=61)) is None
    assert reopened.load_session("s1", now=t0) is None  # the expired row was deleted


def test_submit_case_is_transactional_and_numbers_receipts() -> None:
    store = DialogueStore()
    store.save_draft("s", "form.x", "m.x", {"a": 1}, {}, "c001")
    with pytest.raises(StoreError, match="verified citizen"):  # 实名认证: no anonymous case
        store.submit_case("s", "form.x", "m.x", {"a": 1}, "A01", [])
    assert store.load_draft("s", "form.x", "c001") is not None  # nothing changed
    r1 = store.submit_case("s", "form.x", "m.x", {"a": 1}, "A01", ["一寸免冠彩色照片"], "c001")
    r2 = store.submit_case("s2", "form.x", "m.x", {"a": 2}, "A01", [], "c002")
    assert r1.startswith("YX") and r1 != r2 and int(r2[-5:]) == int(r1[-5:]) + 1
    assert store.load_draft("s", "form.x", "c001") is None  # closed by the submit
    case = store.case(r1)
    assert case is not None and case["window"] == "A01" and case["missing_materials"] == ["一寸免冠彩色照片"]


def test_samples_profiles_elicenses_work_orders() -> None:
    store = DialogueStore()
    store.seed_samples()
    store.seed_samples()  # idempotent
    assert store.profile("c001")["name"] == "王建国"
    # An older demo database is brought up to date with the samples (an e-licence field renamed).
    with store._tx() as s:  # noqa: SLF001 - simulate the stale row
        row = s.scalars(
            select(ELicenseRow).where(ELicenseRow.citizen_id == "c002", ELicenseRow.type == "社会保障卡")
        ).one()
        row.fields = {"number": "stale"}
    store.seed_samples()
    assert "card_number" in store.elicenses("c002")["社会保障卡"]
    lic = store.elicenses("c002")
    assert set(lic) == {"居民身份证", "护士执业证书", "社会保障卡"}
    assert store.elicenses("nobody") == {}
    oid = store.record_work_order("s", "路灯坏了", "dept.housing", 0.8)
    assert store.work_orders()[0]["id"] == oid
    store.record_unanswered("s", "火星签证怎么办")
    assert store.unanswered() == ["火星签证怎么办"]


def test_bad_url_raises_store_error() -> None:
    with pytest.raises(StoreError):
        DialogueStore("nosuchdb://x")
