"""The dialogue store on PostgreSQL (opt-in: set GOVGUIDE_TEST_POSTGRES_URL, e.g.
postgresql+psycopg://postgres@/dialogue_test?host=/tmp/pgd, to an empty scratch database)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest

from dialogue.store import Base, DialogueStore

pytestmark = pytest.mark.slow


@pytest.fixture()
def pg_url() -> Iterator[str]:
    url = os.environ.get("GOVGUIDE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("GOVGUIDE_TEST_POSTGRES_URL not set: no PostgreSQL scratch database")
    yield url
    store = DialogueStore(url)
    Base.metadata.drop_all(store._engine)  # leave the scratch database empty
    store.close()


def test_postgres_roundtrip_restart_and_case(pg_url: str) -> None:
    store = DialogueStore(pg_url)
    store.seed_samples()
    t0 = dt.datetime(2026, 11, 25, 10, 0)
    store.save_session("s1", {"matter_id": "hrss.ss_card", "answers": {"x": {"y": "z"}}}, ttl_s=60, now=t0)
    store.save_draft(
        "s1", "form.ss_card", "hrss.ss_card", {"phone": "13881234567"}, {"name": "王建国"}, "c001"
    )
    store.close()
    again = DialogueStore(pg_url)
    assert again.load_session("s1", now=t0)["answers"] == {"x": {"y": "z"}}
    assert again.load_draft("s1", "form.ss_card", "c001")["pending"] == {"name": "王建国"}
    assert again.load_draft("s1", "form.ss_card", "c002") is None
    receipt = again.submit_case(
        "s1", "form.ss_card", "hrss.ss_card", {"phone": "13881234567"}, "A01", [], "c001"
    )
    assert again.case(receipt)["window"] == "A01"
    assert again.elicenses("c001")["居民身份证"]["name"] == "王建国"
    again.close()
