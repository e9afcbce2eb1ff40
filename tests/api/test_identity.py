"""实名认证 over the API: identity-provider assertions bound to one session; the development provider."""

from __future__ import annotations

import time

import jwt
from fastapi.testclient import TestClient

from govguide.config import DEV_IDENTITY_SECRET


def _assertion(client: TestClient, session_id: str, citizen: str = "c001") -> str:
    r = client.post("/dev/identity", json={"session_id": session_id, "citizen_id": citizen})
    assert r.status_code == 200, r.text
    return str(r.json()["assertion"])


def test_chat_form_asks_to_verify_then_prefills_from_the_verified_citizen(client: TestClient) -> None:
    first = client.post("/chat", json={"session_id": "v1", "text": "帮我填社保卡申请表"}).json()
    assert any(a["type"] == "VerifyIdentity" for a in first["actions"])
    r = client.post("/sessions/v1/verify", json={"assertion": _assertion(client, "v1")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "实名认证成功" in body["text"] and "王建国" in body["text"]
    fields = {f["id"]: f for f in client.get("/forms/v1").json()["form"]["fields"]}
    assert fields["id_number"]["value"] == "511602198503151234"
    done = client.post("/chat", json={"session_id": "v1", "text": "对的，补领，确认提交"}).json()
    assert not any(a["type"] == "VerifyIdentity" for a in done["actions"])


def test_bad_assertions_are_refused_and_change_nothing(client: TestClient) -> None:
    client.post("/chat", json={"session_id": "v2", "text": "帮我填社保卡申请表"})
    now = int(time.time())
    claims = {"iss": "yunxi-ids", "aud": "govguide", "sub": "c001", "sid": "v2", "iat": now, "exp": now + 60}
    forged = jwt.encode(claims, "not-the-identity-providers-key-0123456789", algorithm="HS256")
    expired = jwt.encode(
        {**claims, "iat": now - 300, "exp": now - 10}, DEV_IDENTITY_SECRET, algorithm="HS256"
    )
    long_lived = jwt.encode({**claims, "exp": now + 86_400}, DEV_IDENTITY_SECRET, algorithm="HS256")
    wrong_issuer = jwt.encode({**claims, "iss": "someone"}, DEV_IDENTITY_SECRET, algorithm="HS256")
    other_session = _assertion(client, "v3")
    for token, word in (
        (forged, "invalid"),
        (expired, "expired"),
        (long_lived, "at most"),
        (wrong_issuer, "invalid"),
        (other_session, "another session"),
    ):
        r = client.post("/sessions/v2/verify", json={"assertion": token})
        assert r.status_code == 401, (word, r.text)
        assert word in r.json()["detail"]
    assert client.post("/sessions/v2/verify", json={"assertion": "x"}).status_code == 422
    # Still unverified: no citizen is bound to the session.
    assert client.app.state.runtime.store.load_session("v2")["citizen_id"] is None  # type: ignore[attr-defined]


def test_no_development_identity_provider_in_production(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(
        environment="production",
        jwt_secret="a-production-secret-of-at-least-32-bytes!",
        identity_secret="the-identity-platforms-shared-key-0123456789",
    )
    assert client.post("/dev/identity", json={"session_id": "p1"}).status_code == 404
    # The real provider's assertion (signed with the configured key) is accepted.
    now = int(time.time())
    token = jwt.encode(
        {"iss": "yunxi-ids", "aud": "govguide", "sub": "c002", "sid": "p1", "iat": now, "exp": now + 60},
        "the-identity-platforms-shared-key-0123456789",
        algorithm="HS256",
    )
    r = client.post("/sessions/p1/verify", json={"assertion": token})
    assert r.status_code == 200 and "李秀英" in r.json()["text"]
