"""Body-size limits, rate limits, CORS, and errors that never leak a stack trace."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.limits import RateLimiter


def test_oversized_body_is_413_problem(make_client) -> None:  # type: ignore[no-untyped-def]
    c = make_client(max_body_bytes=1024)
    r = c.post(
        "/chat",
        content=b'{"session_id": "s", "text": "' + b"a" * 5000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")


def test_oversized_chunked_body_is_413(make_client) -> None:  # type: ignore[no-untyped-def]
    c = make_client(max_body_bytes=1024)

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"session_id": "s", "text": "'
        for _ in range(10):
            yield b"a" * 500
        yield b'"}'

    r = c.post("/chat", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_rate_limit_per_client(make_client) -> None:  # type: ignore[no-untyped-def]
    c = make_client(rate_limit_per_minute=3)
    codes = [c.post("/chat", json={"session_id": "rl", "text": "你好"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    r = c.post("/chat", json={"session_id": "rl", "text": "你好"})
    assert r.json()["title"] == "Too Many Requests" and int(r.headers["retry-after"]) >= 1
    assert c.get("/health").status_code == 200  # liveness is exempt


def test_token_bucket_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.allow("a")[0] for _ in range(60))
    assert limiter.allow("a")[0] is False and limiter.allow("b")[0] is True
    now[0] += 2.0
    assert limiter.allow("a")[0] is True


def test_cors_is_configurable(make_client) -> None:  # type: ignore[no-untyped-def]
    closed = make_client()
    r = closed.options(
        "/chat", headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in r.headers
    open_ = make_client(cors_origins=["https://portal.example"])
    r = open_.options(
        "/chat", headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"}
    )
    assert r.headers["access-control-allow-origin"] == "https://portal.example"


def test_unexpected_errors_hide_the_trace(client: TestClient) -> None:
    rt = client.app.state.runtime

    class Broken:
        def handle(self, *a, **k):  # type: ignore[no-untyped-def]
            raise RuntimeError("secret internal detail")

    real = rt.engine
    rt.engine = Broken()
    try:
        c = TestClient(client.app, raise_server_exceptions=False)
        r = c.post("/chat", json={"session_id": "x", "text": "你好"})
    finally:
        rt.engine = real
    assert r.status_code == 500 and r.headers["content-type"].startswith("application/problem+json")
    assert "secret" not in r.text and "Traceback" not in r.text


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    assert client.get("/nope").json()["status"] == 404
    r = client.get("/chat")
    assert r.status_code == 405 and r.json()["title"] == "Method Not Allowed"
