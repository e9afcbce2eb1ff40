"""Interfaces and shared models of the robot package.

A ``RobotDriver`` is what the runtime and the behaviour state machine talk to. Drivers differ in how
they address a goal: ROS 2 / Nav2 robots take a metric ``Pose``; commercial reception robots (OrionStar,
temi) take the *name* of a point saved on their own map. A ``NavGoal`` therefore carries both: the lobby
location id (``point``), its pose, and a display label; each driver uses what it understands.

A ``TurnHandler`` is the dialogue side seen from the robot: the real ``dialogue.Engine`` satisfies it
structurally, tests use ``robot.testing.FakeTurnHandler``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Pose:
    """A pose on the lobby map (metres; ``theta`` in radians; ``floor`` as in corpus/data/lobby.yaml)."""

    x: float
    y: float
    theta: float = 0.0
    floor: int = 1
    frame_id: str = "map"


@dataclass(frozen=True)
class NavGoal:
    """Where to go: a lobby location id, its pose and a label to speak or show."""

    point: str
    pose: Pose
    label: str = ""


class NavState(StrEnum):
    IDLE = "idle"
    NAVIGATING = "navigating"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    FAILED = "failed"
    DOCKED = "docked"


TERMINAL_STATES = frozenset({NavState.SUCCEEDED, NavState.CANCELED, NavState.FAILED, NavState.DOCKED})


@dataclass
class NavStatus:
    """A snapshot of the robot: navigation state, where it is, battery, and a human-readable message."""

    state: NavState = NavState.IDLE
    goal: NavGoal | None = None
    pose: Pose | None = None
    location: str | None = None  # last lobby location reached, when known
    battery: float = 1.0  # 0..1
    distance_remaining: float | None = None
    message: str = ""


@dataclass(frozen=True)
class RobotEvent:
    """Something the robot reports: ``kind`` is one of EVENT_KINDS, ``data`` is JSON-serialisable."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    t: float = field(default_factory=time.monotonic)


EVENT_KINDS = (
    "spoke",
    "nav_started",
    "progress",
    "arrived",
    "replanned",
    "canceled",
    "failed",
    "battery_low",
    "docking",
    "docked",
    "person_detected",  # from robots with a presence sensor: a citizen in front of the robot
    "person_left",
)

Listener = Callable[[RobotEvent], None]


@runtime_checkable
class RobotDriver(Protocol):
    """A robot that can talk and move to points of the lobby.

    Commands return immediately; ``wait`` blocks until the current goal ends. Events are pushed to
    listeners registered with ``subscribe`` (possibly from another thread).
    """

    def speak(self, text: str) -> None:
        """Say ``text`` (a robot with its own TTS speaks it; otherwise the runtime plays our WAV)."""
        ...

    def navigate_to(self, goal: NavGoal) -> None:
        """Start moving to ``goal``, replacing any current goal."""
        ...

    def cancel(self) -> None:
        """Stop the current goal (no-op when idle)."""
        ...

    def dock(self) -> None:
        """Go back to the charging dock."""
        ...

    def status(self) -> NavStatus: ...

    def wait(self, timeout: float | None = None) -> NavStatus:
        """Block until the current goal reaches a terminal state or ``timeout`` seconds pass."""
        ...

    def subscribe(self, listener: Listener) -> None: ...

    def close(self) -> None: ...


# --- the dialogue side, as the robot sees it -------------------------------------------------------


@runtime_checkable
class TurnReply(Protocol):
    """The parts of ``dialogue.Reply`` the robot uses (read-only, so any dataclass or model fits)."""

    @property
    def text(self) -> str: ...

    @property
    def speech(self) -> str: ...

    @property
    def cards(self) -> Sequence[Any]: ...

    @property
    def actions(self) -> Sequence[Any]: ...


@runtime_checkable
class TurnHandler(Protocol):
    """One dialogue turn: ``dialogue.Engine`` satisfies this."""

    def handle(self, session_id: str, utterance: str, channel: str) -> TurnReply: ...


def action_kind(action: Any) -> str:
    """Name of a reply action: its ``kind`` attribute/key, else its class name (``NavigateTo``)."""
    if isinstance(action, dict):
        return str(action.get("kind") or action.get("type") or "")
    return str(getattr(action, "kind", None) or type(action).__name__)


def action_target(action: Any) -> str | None:
    """The ``target`` of a NavigateTo action (window id, location id, matter id or a place name)."""
    if isinstance(action, dict):
        value = action.get("target")
    else:
        value = getattr(action, "target", None)
    return str(value) if value else None
