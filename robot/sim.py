"""SimulatedRobot: a RobotDriver that drives along planned routes of a ``LobbyMap`` in (simulated) time.

Motion is computed lazily from a clock: every ``status``/``poll`` advances the robot by the time elapsed
since the last one. With ``ManualClock`` a test (or the benchmark) runs a whole trip instantly and
deterministically — ``wait`` "sleeps" by advancing the clock. Like a real robot it only discovers a
blocked corridor when it reaches it: it then replans around it, or gives up with a spoken-ready message.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from robot.base import TERMINAL_STATES, Listener, NavGoal, NavState, NavStatus, Pose, RobotEvent
from robot.errors import NoPathError
from robot.map import LobbyMap


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """Wall-clock time, optionally sped up (``scale`` simulated seconds per real second)."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self._t0 = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._t0) * self.scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.scale)


@dataclass
class ManualClock:
    """A clock that only moves when told to; ``sleep`` advances it (deterministic tests)."""

    t: float = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class _Trip:
    goal: NavGoal
    legs: list[tuple[str, str, float]]  # (from, to, metres) still to walk; the first may be partly done
    progress: float = 0.0  # metres done on legs[0]
    docking: bool = False
    replans: int = 0


@dataclass
class SimulatedRobot:
    """A simulated lobby robot.

    Attributes:
        commands: every command received, in order, as (name, argument) — what tests assert on.
        spoken: every text passed to ``speak``.
        events: every event emitted.
    """

    lobby: LobbyMap
    start: str | None = None
    speed: float = 0.8  # m/s
    battery: float = 1.0
    drain_per_metre: float = 0.0005
    charge_per_second: float = 0.002
    low_battery: float = 0.2
    clock: Clock = field(default_factory=RealClock)
    max_replans: int = 3
    commands: list[tuple[str, Any]] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)
    events: list[RobotEvent] = field(default_factory=list)
    blocked: set[frozenset[str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.location: str = self.start or self.lobby.dock or next(iter(self.lobby.points))
        self._state = NavState.DOCKED if self.location == self.lobby.dock else NavState.IDLE
        self._trip: _Trip | None = None
        self._goal: NavGoal | None = None
        self._message = ""
        self._last = self.clock.now()
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()
        self._warned_battery = False
        self._known_blocks: set[frozenset[str]] = set()  # blocks met on this trip (replanned around)

    # --- RobotDriver ------------------------------------------------------------------------------

    def speak(self, text: str) -> None:
        with self._lock:
            self.commands.append(("speak", text))
            self.spoken.append(text)
            self._emit("spoke", text=text)

    def navigate_to(self, goal: NavGoal) -> None:
        with self._lock:
            self.poll()
            self.commands.append(("navigate_to", goal.point))
            self._start_trip(goal, docking=False)

    def dock(self) -> None:
        with self._lock:
            self.poll()
            self.commands.append(("dock", None))
            if self.lobby.dock is None:
                self._finish(NavState.FAILED, "地图上没有充电桩")
                return
            dock = self.lobby.point(self.lobby.dock)
            self._emit("docking")
            self._start_trip(NavGoal(dock.id, dock.pose, dock.name), docking=True)

    def cancel(self) -> None:
        with self._lock:
            self.poll()
            self.commands.append(("cancel", None))
            if self._trip is not None:
                self._trip = None
                self._finish(NavState.CANCELED, "已停止")

    def status(self) -> NavStatus:
        with self._lock:
            self.poll()
            return NavStatus(
                state=self._state,
                goal=self._goal,
                pose=self.pose(),
                location=self.location,
                battery=round(self.battery, 4),
                distance_remaining=self._remaining(),
                message=self._message,
            )

    def wait(self, timeout: float | None = None) -> NavStatus:
        deadline = None if timeout is None else self.clock.now() + timeout
        while True:
            st = self.status()
            if st.state in TERMINAL_STATES or st.state == NavState.IDLE:
                return st
            if deadline is not None and self.clock.now() >= deadline:
                return st
            self.clock.sleep(0.05)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def close(self) -> None:
        self._listeners.clear()

    # --- simulation controls ------------------------------------------------------------------------

    def block(self, a: str, b: str) -> None:
        """Block the corridor between two adjacent locations (the robot finds out when it gets there)."""
        self.blocked.add(frozenset((a, b)))

    def unblock(self, a: str, b: str) -> None:
        self.blocked.discard(frozenset((a, b)))

    def pose(self) -> Pose:
        if self._trip and self._trip.legs:
            a, b, length = self._trip.legs[0]
            pa, pb = self.lobby.point(a), self.lobby.point(b)
            f = min(1.0, self._trip.progress / length) if length else 1.0
            return Pose(
                pa.x + (pb.x - pa.x) * f, pa.y + (pb.y - pa.y) * f, floor=pb.floor if f > 0.5 else pa.floor
            )
        return self.lobby.point(self.location).pose

    def poll(self) -> None:
        """Advance the simulation to the clock's current time."""
        with self._lock:
            now = self.clock.now()
            dt, self._last = max(0.0, now - self._last), now
            if self._trip is None:
                if self._state == NavState.DOCKED:
                    self.battery = min(1.0, self.battery + self.charge_per_second * dt)
                return
            self._advance(dt * self.speed)

    # --- internals ----------------------------------------------------------------------------------

    def _emit(self, kind: str, **data: Any) -> None:
        ev = RobotEvent(kind, data)
        self.events.append(ev)
        for listener in list(self._listeners):
            listener(ev)

    def _start_trip(self, goal: NavGoal, docking: bool) -> None:
        legs: list[tuple[str, str, float]] = []
        progress = 0.0
        start = self.location
        if self._trip and self._trip.legs:  # mid-corridor: finish the current leg first
            a, b, length = self._trip.legs[0]
            legs, progress, start = [(a, b, length)], self._trip.progress, b
        self._goal, self._message = goal, ""
        try:
            route = self.lobby.shortest_path(start, goal.point, self._known_blocks)
        except NoPathError:
            self._trip = None
            self._finish(NavState.FAILED, f"去{goal.label or goal.point}的路都走不通，我没法带您过去")
            return
        legs += [(a, b, self.lobby.edges[a][b]) for a, b in zip(route.points, route.points[1:], strict=False)]
        self._trip = _Trip(goal, legs, progress, docking)
        self._state = NavState.NAVIGATING
        self._emit(
            "nav_started",
            point=goal.point,
            label=goal.label,
            route=list(route.points),
            distance=round(route.distance, 2),
        )
        if not legs:
            self._arrive()

    def _advance(self, metres: float) -> None:
        trip = self._trip
        assert trip is not None
        while trip.legs and metres > 0:
            a, b, length = trip.legs[0]
            if trip.progress == 0.0 and frozenset((a, b)) in self.blocked:
                if not self._replan(trip, a, b):
                    return
                continue
            step = min(metres, length - trip.progress)
            trip.progress += step
            metres -= step
            self._drain(step)
            if trip.progress >= length - 1e-9:
                trip.legs.pop(0)
                trip.progress = 0.0
                self.location = b
                self._emit("progress", location=b, distance_remaining=round(self._remaining() or 0.0, 2))
        if self._trip is trip and not trip.legs:
            self._arrive()

    def _replan(self, trip: _Trip, a: str, b: str) -> bool:
        known = self._known_blocks
        known.add(frozenset((a, b)))
        trip.replans += 1
        try:
            if trip.replans > self.max_replans:
                raise NoPathError("too many replans")
            route = self.lobby.shortest_path(a, trip.goal.point, known)
        except NoPathError:
            self._trip = None
            label = trip.goal.label or trip.goal.point
            self._finish(NavState.FAILED, f"前方通道被挡住了，去{label}的路走不通，请您稍候或找工作人员帮忙")
            return False
        trip.legs = [
            (x, y, self.lobby.edges[x][y]) for x, y in zip(route.points, route.points[1:], strict=False)
        ]
        self._emit("replanned", blocked=[a, b], route=list(route.points), distance=round(route.distance, 2))
        return True

    def _drain(self, metres: float) -> None:
        self.battery = max(0.0, self.battery - metres * self.drain_per_metre)
        if self.battery < self.low_battery and not self._warned_battery:
            self._warned_battery = True
            self._emit("battery_low", battery=round(self.battery, 3))

    def _remaining(self) -> float | None:
        if self._trip is None:
            return None
        return max(0.0, sum(leg[2] for leg in self._trip.legs) - self._trip.progress)

    def _arrive(self) -> None:
        trip = self._trip
        assert trip is not None
        self._trip = None
        self._known_blocks = set()
        if trip.docking:
            self._warned_battery = False
            self._finish(NavState.DOCKED, "已回到充电桩")
            self._emit("docked", point=trip.goal.point)
        else:
            self._finish(NavState.SUCCEEDED, f"已到达{trip.goal.label or trip.goal.point}")
            self._emit("arrived", point=trip.goal.point, label=trip.goal.label)

    def _finish(self, state: NavState, message: str) -> None:
        self._state, self._message = state, message
        if state == NavState.CANCELED:
            self._emit("canceled", location=self.location)
        elif state == NavState.FAILED:
            self._emit("failed", message=message, location=self.location)


def goal_for(lobby: LobbyMap, point: str) -> NavGoal:
    """A NavGoal for a lobby location id."""
    p = lobby.point(point)
    return NavGoal(p.id, p.pose, p.name)
