"""Matter detail, search, the personalised guide, and the form endpoints."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.pdf import chromium_path


def test_matter_detail_and_search(client: TestClient) -> None:
    r = client.get("/matters/hrss.ss_card")
    assert r.status_code == 200
    d = r.json()
    assert d["name"] == "社会保障卡申领补换" and d["windows"][0]["id"] == "A01"
    assert {m["material_id"] for m in d["materials"]} >= {"mat.id_card"}
    found = client.get("/matters", params={"q": "社保卡丢了"}).json()
    assert found["items"][0]["id"] == "hrss.ss_card"
    assert client.get("/matters").json()["total"] == 5


def test_unknown_matter_is_404_problem(client: TestClient) -> None:
    r = client.get("/matters/no.such.matter")
    assert r.status_code == 404 and r.json()["title"] == "Not Found"
    assert r.headers["content-type"].startswith("application/problem+json")


def test_guide_html_and_json_follow_answers(client: TestClient) -> None:
    html = client.get(
        "/matters/police.id_card/guide", params={"answers": "sit.new_renew_lost:new,sit.hukou_local:local"}
    )
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert (
        "居民户口簿" in html.text
        and "居住证" not in html.text.split("需要准备的材料")[1].split("办理流程")[0]
    )
    j = client.get(
        "/matters/police.id_card/guide", params={"format": "json", "answers": "sit.hukou_local:nonlocal"}
    )
    names = [m["name"] for m in j.json()["materials"]]
    assert "居住证" in names


def test_guide_uses_the_session_answers(client: TestClient) -> None:
    client.post("/chat", json={"session_id": "g1", "text": "帮我生成身份证的办事指南"})
    client.post("/chat", json={"session_id": "g1", "text": "第一次办"})
    client.post("/chat", json={"session_id": "g1", "text": "外地户口"})
    j = client.get("/matters/police.id_card/guide", params={"format": "json", "session_id": "g1"}).json()
    assert j["answers"] and "居住证" in [m["name"] for m in j["materials"]]


@pytest.mark.skipif(chromium_path() is None, reason="PDF rendering needs /usr/bin/chromium (Debian chromium)")
def test_guide_pdf(client: TestClient) -> None:
    r = client.get("/matters/police.id_card/guide", params={"format": "pdf"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_form_start_correct_submit(client: TestClient) -> None:
    r = client.post("/forms/start", json={"session_id": "f1", "matter_id": "hrss.ss_card"})
    assert r.status_code == 200
    assert [f["id"] for f in r.json()["form"]["fields"]][:2] == ["name", "id_number"]
    # Invalid ID number: the citizen-facing validator message, nothing stored.
    bad = client.patch("/forms/f1", json={"field": "id_number", "value": "511602198503151235"})
    assert bad.status_code == 422 and bad.json()["field"] == "id_number" and "身份证" in bad.json()["detail"]
    # Submitting early names the missing fields.
    early = client.post("/forms/f1/submit")
    assert early.status_code == 409 and "姓名" in early.json()["detail"]
    for field, value in (
        ("name", "王建国"),
        ("id_number", "511602198503151234"),
        ("phone", "13881234567"),
        ("apply_kind", "补领"),
        ("address", "云溪县城南街道政务路12号"),
    ):
        ok = client.patch("/forms/f1", json={"field": field, "value": value})
        assert ok.status_code == 200, ok.text
    assert client.get("/forms/f1").json()["form"]["fields"][2]["value"] == "13881234567"
    # 实名认证 comes first: an unverified session cannot submit, and says how to verify.
    unverified = client.post("/forms/f1/submit")
    assert unverified.status_code == 409 and "实名认证" in unverified.json()["detail"]
    token = client.post("/dev/identity", json={"session_id": "f1", "citizen_id": "c001"}).json()["assertion"]
    verified = client.post("/sessions/f1/verify", json={"assertion": token})
    assert verified.status_code == 200 and "实名认证成功" in verified.json()["text"]
    done = client.post("/forms/f1/submit")
    assert done.status_code == 200, done.text
    receipt = done.json()["receipt"]
    assert receipt["receipt_no"].startswith("YX") and receipt["window"]
    assert client.app.state.runtime.store.case(receipt["receipt_no"])["data"]["name"] == "王建国"
    assert client.get("/forms/f1").status_code == 404  # the draft is closed


def test_form_errors(client: TestClient) -> None:
    assert (
        client.post("/forms/start", json={"session_id": "f2", "matter_id": "police.id_card"}).status_code
        == 404
    )
    assert client.get("/forms/nobody").status_code == 404
    client.post("/forms/start", json={"session_id": "f3", "matter_id": "hrss.ss_card"})
    assert client.patch("/forms/f3", json={"field": "nope", "value": "x"}).status_code == 404
    assert client.patch("/forms/f3", json={"field": "phone"}).status_code == 422


def test_form_filled_through_chat_is_visible_to_the_form_endpoint(client: TestClient) -> None:
    client.post("/chat", json={"session_id": "f4", "text": "帮我填社保卡申请表"})
    client.post("/chat", json={"session_id": "f4", "text": "我叫王建国，电话13881234567"})
    fields = {f["id"]: f for f in client.get("/forms/f4").json()["form"]["fields"]}
    assert fields["name"]["value"] == "王建国" and fields["phone"]["status"] == "filled"
