"""The robot head display channel: a WebSocket server on 127.0.0.1 pushing JSON to the head screen.

Messages (one JSON object each, ``type`` first):

    {"type": "map", "points": [{id, name, kind, floor, x, y}], "edges": [[a, b]]}   sent on connect
    {"type": "state", "state": "guide"}                    behaviour state changes
    {"type": "text", "user": "..."} / {"type": "text", "robot": "..."}   what was heard / said
    {"type": "cards", "cards": [...]}                      cards from the dialogue reply
    {"type": "route", "target": "B01窗口", "points": [{x, y, floor}], "distance": 42.0}
    {"type": "robot", "event": "progress", ...}             robot events (position, arrival, failure)

The server keeps the last message of each type so a screen that (re)connects is brought up to date.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from typing import Any

from robot.errors import RobotError
from robot.map import LobbyMap


def _jsonable(obj: Any) -> Any:
    """JSON for what replies carry: pydantic models (dialogue's Card), dataclasses, else the text."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    return str(obj)


def encode(msg: dict[str, Any]) -> str:
    return json.dumps(msg, ensure_ascii=False, default=_jsonable)


class HeadDisplay:
    """A broadcast-only WebSocket server (clients may send nothing but pings)."""

    def __init__(self, lobby: LobbyMap | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.sent: list[dict[str, Any]] = []
        self._last: dict[str, dict[str, Any]] = {}
        if lobby is not None:
            self._last["map"] = {
                "type": "map",
                "points": [
                    {"id": p.id, "name": p.name, "kind": p.kind, "floor": p.floor, "x": p.x, "y": p.y}
                    for p in lobby.points.values()
                ],
                "edges": sorted({tuple(sorted((a, b))) for a, nbrs in lobby.edges.items() for b in nbrs}),
            }
        self._clients: set[Any] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def start(self) -> HeadDisplay:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve()), name="head-display", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(5):
            raise RobotError("the head display server did not start")
        return self

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> HeadDisplay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def send(self, kind: str, **payload: Any) -> None:
        """Broadcast one message to every connected screen (thread-safe; never blocks the caller)."""
        msg = {"type": kind, **payload}
        self.sent.append(msg)
        self._last[kind] = msg
        if self._loop is None:
            return
        data = encode(msg)
        for ws in list(self._clients):
            asyncio.run_coroutine_threadsafe(self._send_quietly(ws, data), self._loop)

    @staticmethod
    async def _send_quietly(ws: Any, data: str) -> None:
        try:
            await ws.send(data)
        except Exception:  # a screen that went away is dropped by its handler
            pass

    async def _serve(self) -> None:
        from websockets.asyncio.server import serve

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(self._handler, self.host, self.port) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    async def _handler(self, ws: Any) -> None:
        # Register first so nothing broadcast while the snapshot goes out is lost (a repeat is harmless).
        self._clients.add(ws)
        try:
            for msg in list(self._last.values()):
                await ws.send(encode(msg))
            async for _ in ws:
                pass
        except Exception:
            pass
        finally:
            self._clients.discard(ws)
