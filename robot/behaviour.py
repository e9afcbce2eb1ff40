"""The reception robot's behaviour as a pure state machine.

    idle -> greet -> listen -> answer -> (listen | guide) ; guide -> arrived -> (listen | returning)
    returning -> idle (docked) ; any -> docking on low battery ; "等一下" while guiding cancels the move

A *visit* lasts from the first sign of a citizen (``PersonDetected`` or speech) until they are really
gone; the greeting is said once per visit. Silence in ``listen`` is not absence: after
``listen_timeout_s`` of silence the robot checks once ("还有什么可以帮您？") and keeps listening; the visit
ends (goodbye, back to the dock) only when a presence sensor reports the citizen gone (``PersonLeft``,
after ``left_grace_s``, since detections flicker) or when there has been no sign of them — speech, or a
sighting (``PersonDetected`` repeated by a sensor) — for ``absence_timeout_s``. Waiting is counted from
the end of the robot's own speech (estimated from its length): a long answer takes longer to say than
the listen time-out. A citizen who pauses and asks the next question is answered, never greeted again.

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
class PersonLeft:
    """A presence sensor no longer sees anyone in front of the robot."""

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


Event = PersonDetected | PersonLeft | Heard | Replied | NavArrived | NavFailed | Docked | BatteryLow | Tick


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
    # Silence while listening before the robot checks on the citizen (once per listening spell).
    listen_timeout_s: float = 15.0
    still_there: str = "请问还有什么可以帮您？"
    # The visit ends after this long without any sign of the citizen (speech or a sensor sighting),
    # counted from the later of the last sign and the end of the robot's last words (incl. the check).
    absence_timeout_s: float = 20.0
    # After a presence sensor reports the citizen gone: they may only have stepped aside.
    left_grace_s: float = 3.0
    # Speaking time per character (espeak-ng Mandarin at 170 wpm: ~0.3 s): silence and absence are
    # counted from the end of the robot's own speech, not from when it was told to speak — a long
    # answer takes longer to say than the listen time-out.
    speech_s_per_char: float = 0.3
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
        # The current visit: last sign of the citizen, when a sensor saw them leave, prompt said.
        self._last_seen: float | None = None
        self._left_at: float | None = None
        self._prompted = False
        self.speaking_until = 0.0  # when what the robot was told to say should be over (estimated)

    @property
    def in_visit(self) -> bool:
        """True while a citizen is being served (between the first sign of them and their departure)."""
        return self.state not in (State.IDLE, State.RETURNING, State.DOCKING)

    def _seen(self, now: float) -> None:
        self._last_seen, self._left_at = now, None

    def _go(self, state: State, now: float) -> Show:
        self.state, self._since = state, now
        self._prompted = False
        self.history.append(state)
        return Show("state", {"state": state.value})

    def handle(self, event: Event) -> list[Command]:
        """Advance the machine by one event; return the commands to carry out, in order."""
        cmds = self._handle(event)
        for cmd in cmds:
            if isinstance(cmd, Say):  # the citizen cannot answer before the robot has finished talking
                start = max(self.speaking_until, event.now)
                spoken = sum(ch.isalnum() for ch in cmd.text)
                self.speaking_until = start + spoken * self.config.speech_s_per_char
        return cmds

    def _handle(self, event: Event) -> list[Command]:
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
                self._seen(now)  # a sighting during a visit only keeps it open: no second greeting
                if self.state in (State.IDLE, State.RETURNING):
                    cmds: list[Command] = [Cancel()] if self.state == State.RETURNING else []
                    cmds += [
                        self._go(State.GREET, now),
                        Say(self.config.greeting),
                        self._go(State.LISTEN, now),
                    ]
                    return cmds
                return []
            case PersonLeft(now=now):
                if self.in_visit:
                    self._left_at = now
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
        self._seen(now)
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
            if res.location.id == self.location:  # already there: nothing to walk
                cmds.append(Say(f"我们就在{res.label}这里。"))
                continue
            self._guiding = res
            goal = NavGoal(res.location.id, res.location.pose, res.label)
            route = self.lobby.shortest_path(self.location, res.location.id) if self.location else None
            if "跟我来" not in reply.speech:  # the dialogue may already have said it
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
        c = self.config
        since = max(self._since, self.speaking_until)  # waiting starts when the robot stops talking
        waited = now - since
        gone = self._left_at is not None and now - self._left_at >= c.left_grace_s
        if self.state in (State.LISTEN, State.GREET):
            last_sign = max(since, self._last_seen if self._last_seen is not None else since)
            if gone or now - last_sign >= c.absence_timeout_s:
                return self._return(now)
            if waited >= c.listen_timeout_s and not self._prompted:
                self._prompted = True
                return [Say(c.still_there)]
            return []
        if self.state == State.ARRIVED and (gone or waited >= c.arrived_timeout_s):
            return self._return(now)
        if self.state == State.GUIDE and now - self._since >= c.guide_timeout_s:
            self._guiding = None
            return [
                Cancel(),
                Say("抱歉，这段路走得太久了，我先停下。请到咨询导办台咨询。"),
                *self._return(now),
            ]
        return []

    def _return(self, now: float) -> list[Command]:
        """End the visit: go back to the dock (or just idle there)."""
        self._last_seen = self._left_at = None
        if self.location == self.lobby.dock:
            return [self._go(State.IDLE, now)]
        return [Say(self.config.goodbye), self._go(State.RETURNING, now), Dock()]
