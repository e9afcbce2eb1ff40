"""Fakes shipped with the robot package: a rosbridge server and a dialogue turn handler.

``FakeRosbridge`` is a real WebSocket server on 127.0.0.1 speaking the rosbridge v2 JSON protocol the
way rosbridge_suite does for ROS 2: ``send_action_goal`` -> ``action_feedback``* -> ``action_result``
(``status`` 4/5/6, ``result`` true), ``cancel_action_goal`` -> a result with status 5, ``publish`` /
``advertise`` / ``subscribe`` recorded, and ``publish_to_subscribers`` to push topic messages.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["succeed", "abort", "hold"]


class FakeRosbridge:
    """A rosbridge stand-in. ``outcome`` decides how navigation goals end ("hold" waits for a cancel)."""

    def __init__(self, outcome: Outcome = "succeed", feedback_steps: int = 3, step_s: float = 0.02) -> None:
        self.outcome: Outcome = outcome
        self.feedback_steps, self.step_s = feedback_steps, step_s
        self.received: list[dict[str, Any]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._clients: set[Any] = set()
        self._subs: dict[str, set[Any]] = {}
        self._cancels: dict[str, asyncio.Event] = {}
        self._ready = threading.Event()

    # --- what tests read ----------------------------------------------------------------------------

    def ops(self, op: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("op") == op]

    def published(self, topic: str) -> list[dict[str, Any]]:
        return [m["msg"] for m in self.ops("publish") if m.get("topic") == topic]

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> FakeRosbridge:
        self._thread = threading.Thread(target=self._run, name="fake-rosbridge", daemon=True)
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("fake rosbridge did not start")
        return self

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> FakeRosbridge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def publish_to_subscribers(self, topic: str, msg: dict[str, Any]) -> None:
        """Send a topic message to every client subscribed to ``topic`` (e.g. /amcl_pose)."""
        assert self._loop is not None
        payload = json.dumps({"op": "publish", "topic": topic, "msg": msg})
        for ws in list(self._subs.get(topic, ())):
            asyncio.run_coroutine_threadsafe(ws.send(payload), self._loop)

    # --- server -----------------------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        from websockets.asyncio.server import serve

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(self._handler, "127.0.0.1", 0) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    async def _handler(self, ws: Any) -> None:
        self._clients.add(ws)
        tasks: set[asyncio.Task[None]] = set()
        try:
            async for raw in ws:
                msg = json.loads(raw)
                self.received.append(msg)
                op = msg.get("op")
                if op == "subscribe":
                    self._subs.setdefault(msg["topic"], set()).add(ws)
                elif op == "unsubscribe":
                    self._subs.get(msg["topic"], set()).discard(ws)
                elif op == "send_action_goal":
                    self._cancels[msg["id"]] = asyncio.Event()
                    task = asyncio.create_task(self._run_goal(ws, msg))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                elif op == "cancel_action_goal" and msg.get("id") in self._cancels:
                    self._cancels[msg["id"]].set()
        except Exception:  # a client dropping mid-message ends its session, like rosbridge
            pass
        finally:
            self._clients.discard(ws)
            for subs in self._subs.values():
                subs.discard(ws)
            for t in tasks:
                t.cancel()

    async def _run_goal(self, ws: Any, msg: dict[str, Any]) -> None:
        gid, action = msg["id"], msg["action"]
        cancel = self._cancels[gid]
        target = msg["args"]["pose"]["pose"]["position"]
        steps = self.feedback_steps
        for i in range(steps):
            if cancel.is_set():
                break
            if msg.get("feedback", True):
                remaining = round(10.0 * (steps - i) / steps, 3)
                await ws.send(
                    json.dumps(
                        {
                            "op": "action_feedback",
                            "id": gid,
                            "action": action,
                            "values": {
                                "current_pose": {
                                    "header": {"frame_id": "map"},
                                    "pose": {
                                        "position": {
                                            "x": target["x"] - remaining,
                                            "y": target["y"],
                                            "z": 0.0,
                                        },
                                        "orientation": {"x": 0, "y": 0, "z": 0, "w": 1},
                                    },
                                },
                                "distance_remaining": remaining,
                                "number_of_recoveries": 0,
                            },
                        }
                    )
                )
            try:
                await asyncio.wait_for(cancel.wait(), self.step_s)
            except TimeoutError:
                pass
        while self.outcome == "hold" and not cancel.is_set():
            await cancel.wait()
        status = 5 if cancel.is_set() else (4 if self.outcome == "succeed" else 6)
        await ws.send(
            json.dumps(
                {
                    "op": "action_result",
                    "id": gid,
                    "action": action,
                    "values": {"error_code": 0 if status == 4 else 203, "error_msg": ""},
                    "status": status,
                    "result": True,
                }
            )
        )


# --- dialogue fake ------------------------------------------------------------------------------------


@dataclass
class NavigateTo:
    """Mirrors dialogue's NavigateTo action (a window, location or matter id, or a place name)."""

    target: str
    kind: str = "NavigateTo"


@dataclass
class FakeReply:
    text: str
    speech: str = ""
    cards: Sequence[Any] = ()
    actions: Sequence[Any] = ()
    citations: Sequence[Any] = ()

    def __post_init__(self) -> None:
        self.speech = self.speech or self.text


@dataclass
class FakeTurnHandler:
    """A TurnHandler answering from a rule table: the first rule whose keyword is in the utterance wins.

    ``rules`` maps a keyword to (speech, navigation target or None). ``calls`` records every turn.
    """

    rules: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    fallback: str = "抱歉，这个问题我还不会回答，请到咨询导办台咨询。"
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def handle(self, session_id: str, utterance: str, channel: str) -> FakeReply:
        self.calls.append((session_id, utterance, channel))
        for key, (speech, target) in self.rules.items():
            if key in utterance:
                actions = [NavigateTo(target)] if target else []
                cards = [{"type": "text", "text": speech}]
                return FakeReply(text=speech, speech=speech, cards=cards, actions=actions)
        return FakeReply(text=self.fallback)


# --- named-point robot fake -----------------------------------------------------------------------------


@dataclass
class FakePointRobot:
    """A PointClient for tests: records calls; ``finish(status)`` reports the outcome of the current goal."""

    points: set[str] = field(default_factory=set)  # known point names (empty: any)
    auto_arrive_s: float | None = None  # report arrival by itself after this delay
    calls: list[tuple[str, str]] = field(default_factory=list)
    _callback: Any = None

    def _auto(self) -> None:
        if self.auto_arrive_s is not None:
            threading.Timer(self.auto_arrive_s, self.finish).start()

    def go_to(self, point_name: str, on_status: Any) -> None:
        self.calls.append(("go_to", point_name))
        self._callback = on_status
        on_status("progress", {"distance_remaining": 12.0})
        if self.points and point_name not in self.points:
            on_status("failed", {"message": f"地图上没有点位“{point_name}”"})
            return
        self._auto()

    def speak(self, text: str) -> None:
        self.calls.append(("speak", text))

    def stop(self) -> None:
        self.calls.append(("stop", ""))

    def go_charge(self, on_status: Any) -> None:
        self.calls.append(("go_charge", ""))
        self._callback = on_status
        self._auto()

    def finish(self, status: str = "arrived", **detail: Any) -> None:
        assert self._callback is not None, "no goal running"
        self._callback(status, detail)
