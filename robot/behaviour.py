"""The reception robot's behaviour as a pure state machine.

    idle -> greet -> listen -> answer -> (listen | guide) ; guide -> arrived -> (listen | returning)
    returning -> idle (docked) ; any -> docking on low battery ; "等一下" while guiding cancels the move

``Behaviour.handle(event)`` returns the commands to carry out (say, ask the dialogue engine, navigate,
cancel, dock, show); it performs no side effect itself, so every path is testable without a robot, and
the runtime is the only place where things happen. Time-outs come in as ``Tick`` events carrying the
current time, so tests control time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from robot.base import NavGoal
from robot.map import LobbyMap, Resolved, Unresolved


class State(StrEnum):
    IDLE = "idle"
    GREET = "greet"
    LISTEN = "listen"
    ANSWER = "answer"
    GUIDE = "guide"
    ARRIVED = "arrived"
    RETURNING = "returning"
    DOCKING = "docking"  # low battery: going to charge, not serving


# --- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonDetected:
    now: float


@dataclass(frozen=True)
class Heard:
    text: str
    now: float


@dataclass(frozen=True)
class Replied:
    """The dialogue engine answered: what to say and the navigation targets of its actions."""

    speech: str
    targets: Sequence[str] = ()
    now: float = 0.0
    cards: Sequence[Any] = ()


@dataclass(frozen=True)
class NavArrived:
    point: str
    now: float


@dataclass(frozen=True)
class NavFailed:
    message: str
    now: float


@dataclass(frozen=True)
class Docked:
    now: float


@dataclass(frozen=True)
class BatteryLow:
    level: float
    now: float


@dataclass(frozen=True)
class Tick:
    now: float


Event = PersonDetected | Heard | Replied | NavArrived | NavFailed | Docked | BatteryLow | Tick


# --- commands -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Ask:
    """Send the utterance to the dialogue engine (the runtime answers with a ``Replied`` event)."""

    text: str


@dataclass(frozen=True)
class Navigate:
    goal: NavGoal
    window: str | None = None


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class Dock:
    pass


@dataclass(frozen=True)
class Show:
    """Something for the head display: ``kind`` is "state", "text", "cards" or "route"."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


Command = Say | Ask | Navigate | Cancel | Dock | Show

INTERRUPT_WORDS = ("等一下", "等等", "停一下", "停下", "别走", "先别走", "稍等")


@dataclass
class BehaviourConfig:
    greeting: str = "您好，我是政务服务导办机器人，请问您要办什么事？"
    listen_timeout_s: float = 15.0
    arrived_timeout_s: float = 20.0
    guide_timeout_s: float = 300.0
    arrived_window_hint: str = "请准备好身份证"
    goodbye: str = "如果还有问题，随时叫我。我先回待机点了。"


class Behaviour:
    """The state machine. ``location`` is where the robot believes it stands (for nearest-place choice)."""

    def __init__(
        self, lobby: LobbyMap, config: BehaviourConfig | None = None, location: str | None = None
    ) -> None:
        self.lobby = lobby
        self.config = config or BehaviourConfig()
        self.state = State.IDLE
        self.location = location or lobby.dock
        self.history: list[State] = [State.IDLE]
        self._since = 0.0
        self._guiding: Resolved | None = None

    def _go(self, state: State, now: float) -> Show:
        self.state, self._since = state, now
        self.history.append(state)
        return Show("state", {"state": state.value})

    def handle(self, event: Event) -> list[Command]:
        """Advance the machine by one event; return the commands to carry out, in order."""
        match event:
            case BatteryLow(level=level, now=now):
                return self._battery_low(level, now)
            case Docked(now=now):
                self.location = self.lobby.dock
                return [self._go(State.IDLE, now)] if self.state in (State.RETURNING, State.DOCKING) else []
            case _ if self.state == State.DOCKING:
                if isinstance(event, PersonDetected | Heard):
                    return [Say("抱歉，我的电量不足，正在回去充电，请到咨询导办台咨询工作人员。")]
                return []
            case PersonDetected(now=now):
                if self.state in (State.IDLE, State.RETURNING):
                    cmds: list[Command] = [Cancel()] if self.state == State.RETURNING else []
                    cmds += [
                        self._go(State.GREET, now),
                        Say(self.config.greeting),
                        self._go(State.LISTEN, now),
                    ]
                    return cmds
                return []
            case Heard(text=text, now=now):
                return self._heard(text, now)
            case Replied():
                return self._replied(event)
            case NavArrived(point=point, now=now):
                return self._arrived(point, now)
            case NavFailed(message=message, now=now):
                if self.state in (State.GUIDE, State.RETURNING):
                    self._guiding = None
                    return [Say(message), self._go(State.LISTEN, now)]
                return []
            case Tick(now=now):
                return self._tick(now)
        return []

    def _battery_low(self, level: float, now: float) -> list[Command]:
        if self.state == State.DOCKING:
            return []
        cmds: list[Command] = []
        if self.state == State.GUIDE:
            cmds.append(Cancel())
            target = self._guiding.label if self._guiding else "目的地"
            cmds.append(
                Say(f"抱歉，我的电量不足，需要去充电了。{target}就在前面，您可以请工作人员带您过去。")
            )
        else:
            cmds.append(Say("我的电量不足，需要去充电了，请到咨询导办台咨询。"))
        self._guiding = None
        return [*cmds, self._go(State.DOCKING, now), Dock()]

    def _heard(self, text: str, now: float) -> list[Command]:
        text = text.strip()
        if not text:
            return []
        if self.state == State.GUIDE and any(w in text for w in INTERRUPT_WORDS):
            self._guiding = None
            return [Cancel(), Say("好的，我停下来等您。"), self._go(State.LISTEN, now)]
        if self.state == State.RETURNING and any(w in text for w in INTERRUPT_WORDS):
            return [Cancel(), Say("好的，请问还有什么需要？"), self._go(State.LISTEN, now)]
        if self.state == State.GUIDE:
            # Questions while walking are answered; the move goes on unless the answer starts a new one.
            return [Show("text", {"user": text}), Ask(text)]
        cmds: list[Command] = [Cancel()] if self.state == State.RETURNING else []
        if self.state == State.IDLE:
            cmds.append(self._go(State.GREET, now))
        return [*cmds, self._go(State.ANSWER, now), Show("text", {"user": text}), Ask(text)]

    def _replied(self, reply: Replied) -> list[Command]:
        now = reply.now
        cmds: list[Command] = [Say(reply.speech)] if reply.speech else []
        if reply.cards:
            cmds.append(Show("cards", {"cards": list(reply.cards)}))
        for target in reply.targets:
            res = self.lobby.resolve(target, near=self.location)
            if isinstance(res, Unresolved):
                cmds.append(Say(res.reply))
                continue
            self._guiding = res
            goal = NavGoal(res.location.id, res.location.pose, res.label)
            route = self.lobby.shortest_path(self.location, res.location.id) if self.location else None
            cmds.append(Say(f"请跟我来，我带您去{res.label}。"))
            if route is not None:
                cmds.append(
                    Show(
                        "route",
                        {
                            "target": res.label,
                            "points": self.lobby.route_polyline(route),
                            "distance": round(route.distance, 1),
                        },
                    )
                )
            return [*cmds, self._go(State.GUIDE, now), Navigate(goal, res.window)]
        if self.state != State.GUIDE:
            cmds.append(self._go(State.LISTEN, now))
        return cmds

    def _arrived(self, point: str, now: float) -> list[Command]:
        self.location = point
        if self.state == State.RETURNING:
            return [self._go(State.IDLE, now)]
        if self.state != State.GUIDE or self._guiding is None:
            return []
        res, self._guiding = self._guiding, None
        if res.window:
            text = f"{res.window}窗口到了，{self.config.arrived_window_hint}。"
        else:
            text = f"{res.label}到了。"
        return [Say(text), self._go(State.ARRIVED, now)]

    def _tick(self, now: float) -> list[Command]:
        waited = now - self._since
        c = self.config
        if self.state in (State.LISTEN, State.GREET) and waited >= c.listen_timeout_s:
            return self._return(now)
        if self.state == State.ARRIVED and waited >= c.arrived_timeout_s:
            return self._return(now)
        if self.state == State.GUIDE and waited >= c.guide_timeout_s:
            self._guiding = None
            return [
                Cancel(),
                Say("抱歉，这段路走得太久了，我先停下。请到咨询导办台咨询。"),
                *self._return(now),
            ]
        return []

    def _return(self, now: float) -> list[Command]:
        if self.location == self.lobby.dock:
            return [self._go(State.IDLE, now)]
        return [Say(self.config.goodbye), self._go(State.RETURNING, now), Dock()]
