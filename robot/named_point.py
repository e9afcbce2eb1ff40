"""NamedPointDriver: a RobotDriver for reception robots that navigate to points saved on their own map.

Commercial reception robots (OrionStar: cmd_navigation by point name, cmd_play_tts, cmd_go_charging;
temi: goTo(location), speak) do their own mapping and path planning; GovGuide only names the point.
The vendor SDK sits behind ``PointClient``; ``point_names`` maps lobby location ids to the robot's
point names (default: the location's display name, as staff usually save them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from robot.base import Listener, NavGoal, NavState, NavStatus, Pose, RobotEvent
from robot.errors import DriverError

# What the vendor SDK reports: (status, detail), status one of "arrived", "failed", "canceled", "progress".
PointCallback = Callable[[str, dict[str, Any]], None]


class PointClient(Protocol):
    """The vendor SDK as GovGuide needs it (an OrionStar or temi bridge implements this)."""

    def go_to(self, point_name: str, on_status: PointCallback) -> None: ...

    def speak(self, text: str) -> None: ...

    def stop(self) -> None: ...

    def go_charge(self, on_status: PointCallback) -> None: ...


class NamedPointDriver:
    """Adapts a PointClient to RobotDriver."""

    def __init__(
        self, client: PointClient, point_names: Mapping[str, str] | None = None, dock_point: str = "loc.dock"
    ) -> None:
        self.client, self.point_names, self.dock_point = client, dict(point_names or {}), dock_point
        self._status = NavStatus()
        self._done = threading.Event()
        self._done.set()
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()
        self._seq = 0

    def _name(self, goal: NavGoal) -> str:
        name = self.point_names.get(goal.point) or goal.label
        if not name:
            raise DriverError(f"no robot map point name for {goal.point}")
        return name

    def _emit(self, kind: str, **data: Any) -> None:
        for listener in list(self._listeners):
            listener(RobotEvent(kind, data))

    def speak(self, text: str) -> None:
        self.client.speak(text)
        self._emit("spoke", text=text)

    def navigate_to(self, goal: NavGoal) -> None:
        self._start(goal, docking=False)

    def dock(self) -> None:
        self._emit("docking")
        # The robot knows where its charger is; the pose is informational only.
        self._start(NavGoal(self.dock_point, self._status.pose or Pose(0.0, 0.0), "充电桩"), docking=True)

    def _start(self, goal: NavGoal, docking: bool) -> None:
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._done.clear()
            self._status = NavStatus(
                NavState.NAVIGATING, goal, self._status.pose, self._status.location, self._status.battery
            )
        self._emit("nav_started", point=goal.point, label=goal.label)

        def on_status(status: str, detail: dict[str, Any]) -> None:
            self._on_status(seq, goal, docking, status, detail)

        if docking:
            self.client.go_charge(on_status)
        else:
            self.client.go_to(self._name(goal), on_status)

    def _on_status(self, seq: int, goal: NavGoal, docking: bool, status: str, detail: dict[str, Any]) -> None:
        with self._lock:
            if seq != self._seq or self._done.is_set():
                return  # a superseded goal reporting late
            if status == "progress":
                self._status.distance_remaining = detail.get("distance_remaining")
                self._emit("progress", **detail)
                return
            if status == "arrived":
                self._status.location = goal.point
                state = NavState.DOCKED if docking else NavState.SUCCEEDED
                self._finish(state, "已回到充电桩" if docking else f"已到达{goal.label or goal.point}")
                self._emit("docked" if docking else "arrived", point=goal.point, label=goal.label)
            elif status == "canceled":
                self._finish(NavState.CANCELED, "已停止")
                self._emit("canceled")
            else:
                msg = str(detail.get("message") or f"去{goal.label or goal.point}的路走不通")
                self._finish(NavState.FAILED, msg)
                self._emit("failed", message=msg)

    def _finish(self, state: NavState, message: str) -> None:
        self._status.state, self._status.message = state, message
        self._done.set()

    def cancel(self) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self.client.stop()
            self._finish(NavState.CANCELED, "已停止")
        self._emit("canceled")

    def status(self) -> NavStatus:
        with self._lock:
            s = self._status
            return NavStatus(s.state, s.goal, s.pose, s.location, s.battery, s.distance_remaining, s.message)

    def wait(self, timeout: float | None = None) -> NavStatus:
        self._done.wait(timeout)
        return self.status()

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def close(self) -> None:
        self._listeners.clear()
