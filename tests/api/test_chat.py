"""POST /chat, the robot channel, the streamed WebSocket, health and readiness, OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_chat_answers_with_matter_cards_and_citations(client: TestClient) -> None:
    r = client.post("/chat", json={"session_id": "s1", "text": "补办身份证要带什么材料"})
    assert r.status_code == 200
    body = r.json()
    assert body["intent"] == "ask_materials"
    assert body["matter"] == {"id": "police.id_card", "name": "居民身份证申领换领补领"}
    assert "居民户口簿" in body["text"]
    assert {c["type"] for c in body["cards"]} >= {"matter_guide", "material_checklist"}
    assert body["citations"][0]["id"] == "police.id_card"
    assert body["speech"] and body["speech_rate"] == 1.0
    assert set(body) >= {"text", "speech", "intent", "matter", "cards", "actions", "citations"}


def test_chat_keeps_context_between_turns(client: TestClient) -> None:
    client.post("/chat", json={"session_id": "ctx", "text": "社保卡怎么办"})
    r = client.post("/chat", json={"session_id": "ctx", "text": "在哪里办"})
    assert r.json()["matter"]["id"] == "hrss.ss_card"
    assert any(c["type"] == "map" for c in r.json()["cards"])


def test_elderly_profile_slows_speech(client: TestClient) -> None:
    r = client.post("/chat", json={"session_id": "e1", "text": "社保卡怎么办", "profile": {"elderly": True}})
    assert r.json()["speech_rate"] < 1.0


def test_out_of_scope_goes_to_the_unanswered_log(client: TestClient) -> None:
    r = client.post("/chat", json={"session_id": "oos", "text": "明天天气怎么样，电话13812345678"})
    assert r.json()["intent"] == "out_of_scope" and r.json()["matter"] is None
    gaps = client.app.state.runtime.db.gaps()
    assert gaps and "13812345678" not in gaps[0]["text"] and gaps[0]["reason"] == "out_of_scope"


def test_robot_channel_returns_navigation_action(client: TestClient) -> None:
    r = client.post("/robot/turn", json={"session_id": "r1", "text": "带我去办社保卡"})
    assert r.status_code == 200
    actions = r.json()["actions"]
    assert actions and actions[0]["type"] == "NavigateTo"


def test_chat_validation_errors_are_problem_details(client: TestClient) -> None:
    for payload in (
        {"session_id": "s1"},
        {"session_id": "bad id with spaces", "text": "你好"},
        {"session_id": "s1", "text": ""},
        {"session_id": "s1", "text": "你好", "channel": "fax"},
        {"session_id": "s1", "text": "你好", "extra": 1},
    ):
        r = client.post("/chat", json=payload)
        assert r.status_code == 422, payload
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["status"] == 422 and r.json()["errors"]


def test_websocket_streams_sentences_cards_and_done(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"session_id": "w1", "text": "社保卡怎么办"})
        events = []
        while True:
            ev = ws.receive_json()
            events.append(ev)
            if ev["type"] in ("done", "error"):
                break
        kinds = [e["type"] for e in events]
        assert kinds[0] == "sentence" and kinds[-1] == "done" and "cards" in kinds
        streamed = "".join(e["text"] for e in events if e["type"] == "sentence")
        assert streamed == events[-1]["reply"]["text"]
        # A bad message gets an error event and the socket stays usable.
        ws.send_text("not json")
        assert ws.receive_json()["status"] == 422
        ws.send_json({"session_id": "w1", "text": "在哪里办"})
        while (ev := ws.receive_json())["type"] != "done":
            pass
        assert ev["reply"]["matter"]["id"] == "hrss.ss_card"


def test_websocket_rejects_oversized_messages(make_client) -> None:  # type: ignore[no-untyped-def]
    c = make_client(max_body_bytes=2048)
    with c.websocket_connect("/ws/chat") as ws:
        ws.send_json({"session_id": "w2", "text": "长" * 2000})
        ev = ws.receive_json()
        assert ev["type"] == "error" and ev["status"] == 413


def test_health_ready_and_openapi(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    r = client.get("/ready")
    assert r.status_code == 200 and r.json()["ready"] is True
    schema = client.get("/openapi.json").json()
    for path in (
        "/chat",
        "/matters/{matter_id}",
        "/matters/{matter_id}/guide",
        "/forms/start",
        "/forms/{session_id}/submit",
        "/robot/turn",
        "/auth/token",
        "/admin/records/{kind}",
    ):
        assert path in schema["paths"], path
    assert schema["components"]["schemas"]["ChatRequest"]["examples"]
