"""Request guards as pure ASGI middleware: body size limit and per-client rate limit.

Both answer with problem details before the app runs, so an oversized or abusive request costs almost
nothing. Pure ASGI (not ``BaseHTTPMiddleware``) keeps WebSocket and streaming responses untouched.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.errors import PROBLEM_JSON, problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_problem(
    send: Send, status: int, title: str, detail: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = json.dumps(problem(status, title, detail), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Reject bodies over ``max_bytes`` (``upload_bytes`` for paths starting with an upload prefix)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, upload_bytes: int, upload_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app, self.max_bytes, self.upload_bytes, self.upload_prefixes = (
            app,
            max_bytes,
            upload_bytes,
            upload_prefixes,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = (
            self.upload_bytes
            if str(scope.get("path", "")).startswith(self.upload_prefixes)
            else self.max_bytes
        )
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_problem(send, 413, "Payload Too Large", f"request body over {limit} bytes")
            return
        if declared is not None:
            await self.app(scope, receive, send)  # the server enforces the declared length
            return
        # Chunked body without Content-Length: read it (up to the limit) before the app sees it.
        chunks: list[bytes] = []
        seen = 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":
                return  # client went away
            chunks.append(msg.get("body", b""))
            seen += len(chunks[-1])
            if seen > limit:
                await send_problem(send, 413, "Payload Too Large", f"request body over {limit} bytes")
                return
            if not msg.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


class RateLimiter:
    """Token bucket per client key: ``per_minute`` requests, bursts up to the same number."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, float]:
        """(allowed, seconds until the next token)."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return True, 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget idle clients rather than grow without bound
                self._buckets.clear()
            return False, (1.0 - tokens) / self.rate


class RateLimit:
    """ASGI middleware: a ``RateLimiter`` over HTTP requests and WebSocket connects (not static files)."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app, self.limiter, self.exempt = app, limiter, exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or str(scope.get("path", "")).startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        client = scope.get("client") or ("unknown", 0)
        ok, wait = self.limiter.allow(str(client[0]))
        if ok:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send_problem(
                send,
                429,
                "Too Many Requests",
                "rate limit exceeded; retry later",
                ((b"retry-after", str(max(1, round(wait))).encode()),),
            )
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": "rate limit exceeded"})
