"""The robot runtime: audio -> ASR -> TurnHandler (dialogue) -> TTS + navigation, plus the head display.

``RobotRuntime`` is the only place where side effects happen: it feeds events to the pure
``Behaviour`` and carries out the commands it returns (speak through TTS and the driver, move, cancel,
dock, show on the head display). Driver events come back through a queue and are fed to the behaviour
in order. ``run_sim`` wires everything for ``govguide robot --sim``.
"""

from __future__ import annotations

import dataclasses
import queue
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robot.base import RobotDriver, RobotEvent, TurnHandler, action_kind, action_target
from robot.behaviour import (
    Ask,
    BatteryLow,
    Behaviour,
    BehaviourConfig,
    Cancel,
    Command,
    Dock,
    Docked,
    Event,
    Heard,
    NavArrived,
    NavFailed,
    Navigate,
    PersonDetected,
    PersonLeft,
    Replied,
    Say,
    Show,
    State,
    Tick,
)
from robot.display import HeadDisplay
from robot.errors import RuntimeConfigError
from robot.map import LobbyMap, Resolved

SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
AWAITING = frozenset({State.IDLE, State.LISTEN, State.ARRIVED})


# A first sentence longer than this is cut at its first comma: the citizen hears the first clause
# while the rest is synthesised (the first audio waits for the whole first unit).
FIRST_UNIT_MAX_CHARS = 24


def speech_units(text: str) -> list[str]:
    """What to synthesise, in order: sentences, the first one cut at a comma when long."""
    from voice.normalize import normalize_for_speech

    units = [u for u in SENTENCE_END.split(normalize_for_speech(text)) if u.strip()]
    if units and len(units[0]) > FIRST_UNIT_MAX_CHARS:
        head, sep, tail = units[0].partition("，")
        if sep and tail.strip() and len(head) >= 4:
            units[0:1] = [head + sep, tail]
    return units


@dataclass
class TurnRecord:
    """What happened in one voice turn, with its latencies (seconds; robot motion excluded)."""

    heard: str
    corrected: str
    asr_s: float = 0.0  # from the last audio chunk of the utterance to its final transcript
    audio_s: float = 0.0  # audio the recogniser took for it, incl. the silence its endpointing waited
    dialogue_s: float = 0.0
    tts_first_audio_s: float = 0.0  # the turn's first speech unit synthesised
    # Wall time from the transcript to the first audio (correction, dialogue, TTS and all in between).
    first_audio_after_s: float | None = None
    said: list[str] = field(default_factory=list)

    @property
    def latency_s(self) -> float:
        """ASR final + everything until the first audio is ready (the sum of parts when not measured)."""
        if self.first_audio_after_s is not None:
            return self.asr_s + self.first_audio_after_s
        return self.asr_s + self.dialogue_s + self.tts_first_audio_s


class RobotRuntime:
    """Runs the behaviour against a driver, a dialogue turn handler and (optionally) voice backends.

    Args:
        lobby: the lobby map.
        driver: any RobotDriver (SimulatedRobot, Ros2Driver, NamedPointDriver).
        handler: the dialogue side (``dialogue.Engine`` or a fake).
        recognizer: a ``voice.base.Recognizer`` (needed for audio input only).
        synthesizer: a ``voice.base.Synthesizer``; None: the driver's own TTS speaks the text.
        corrector: a ``voice.phrases.PhraseCorrector`` applied to transcripts (None: off).
        display: the head display server, if any.
        audio_out: a directory to save each spoken WAV to (simulation), or None.
    """

    def __init__(
        self,
        lobby: LobbyMap,
        driver: RobotDriver,
        handler: TurnHandler,
        *,
        recognizer: Any = None,
        synthesizer: Any = None,
        corrector: Any = None,
        display: HeadDisplay | None = None,
        config: BehaviourConfig | None = None,
        elderly: bool = False,
        elderly_rate: int = 120,
        audio_out: Path | None = None,
        session_id: str | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.lobby, self.driver, self.handler = lobby, driver, handler
        self.recognizer, self.synthesizer, self.corrector = recognizer, synthesizer, corrector
        self.display = display
        if elderly:  # slower speech takes longer to finish before the citizen can answer
            base = config or BehaviourConfig()
            normal = getattr(synthesizer, "rate", None) or 170
            config = dataclasses.replace(
                base, speech_s_per_char=base.speech_s_per_char * normal / elderly_rate
            )
        self.behaviour = Behaviour(lobby, config, location=driver.status().location or lobby.dock)
        self.elderly, self.elderly_rate = elderly, elderly_rate
        self.audio_out = audio_out
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self.turns: list[TurnRecord] = []
        self.spoken: list[str] = []
        self.commands: list[Command] = []
        self._events: queue.Queue[RobotEvent] = queue.Queue()
        self._turn: TurnRecord | None = None
        self._t0 = time.monotonic()
        self._clock = clock
        self._sleep = sleep or time.sleep
        self._turn_t0 = 0.0
        # Speech is synthesised in order on one background thread: a turn waits only for its first
        # unit, the rest of the reply (and the move that follows it) does not wait for synthesis.
        self._tts_pool: ThreadPoolExecutor | None = None
        self._tts_jobs = 0
        self.speech_errors: list[str] = []
        driver.subscribe(self._events.put)

    def now(self) -> float:
        """Behaviour time (the simulation clock when given, so time-outs scale with the simulation)."""
        return self._clock() if self._clock is not None else time.monotonic() - self._t0

    # --- feeding events -----------------------------------------------------------------------------

    def feed(self, event: Event) -> None:
        """Give the behaviour one event and carry out its commands (and whatever they trigger)."""
        # What the robot reported before this event happened first (an arrival before a time-out tick).
        self.driver.status()
        pending: list[Event] = [*self._drain_driver_events(), event]
        while pending:
            for cmd in self.behaviour.handle(pending.pop(0)):
                self.commands.append(cmd)
                follow = self._execute(cmd)
                if follow is not None:
                    pending.append(follow)
            pending.extend(self._drain_driver_events())

    def _drain_driver_events(self) -> list[Event]:
        out: list[Event] = []
        while True:
            try:
                ev = self._events.get_nowait()
            except queue.Empty:
                return out
            if self.display is not None:
                self.display.send("robot", event=ev.kind, **ev.data)
            now = self.now()
            match ev.kind:
                case "arrived":
                    out.append(NavArrived(str(ev.data.get("point")), now))
                case "failed":
                    out.append(NavFailed(str(ev.data.get("message", "导航失败")), now))
                case "docked":
                    out.append(Docked(now))
                case "battery_low":
                    out.append(BatteryLow(float(ev.data.get("battery", 0.0)), now))
                # A robot with a presence sensor (camera, lidar) reports the citizen coming and going.
                case "person_detected":
                    out.append(PersonDetected(now))
                case "person_left":
                    out.append(PersonLeft(now))

    def _execute(self, cmd: Command) -> Event | None:
        match cmd:
            case Say(text=text):
                self._say(text)
            case Ask(text=text):
                return self._ask(text)
            case Navigate(goal=goal):
                self.driver.navigate_to(goal)
            case Cancel():
                self.driver.cancel()
            case Dock():
                self.driver.dock()
            case Show(kind=kind, payload=payload):
                if self.display is not None:
                    self.display.send(kind, **payload)
        return None

    def _ask(self, text: str) -> Replied:
        t0 = time.perf_counter()
        reply = self.handler.handle(self.session_id, text, "robot")
        if self._turn is not None:
            self._turn.dialogue_s += time.perf_counter() - t0
        targets = [t for a in reply.actions if action_kind(a) == "NavigateTo" and (t := action_target(a))]
        return Replied(reply.speech or reply.text, targets, self.now(), list(reply.cards))

    def _say(self, text: str) -> None:
        self.spoken.append(text)
        if self.display is not None:
            self.display.send("text", robot=text)
        if self._turn is not None:
            self._turn.said.append(text)
        if self.synthesizer is None:
            self.driver.speak(text)
            return
        if self._tts_pool is None:
            self._tts_pool = ThreadPoolExecutor(1, thread_name_prefix="govguide-tts")
        rate = self.elderly_rate if self.elderly else None
        t0 = time.perf_counter()
        jobs = []
        for unit in speech_units(text):
            self._tts_jobs += 1
            jobs.append(self._tts_pool.submit(self._synthesize, unit, rate, self._tts_jobs))
        turn = self._turn
        if jobs and turn is not None and turn.first_audio_after_s is None:
            jobs[0].result()  # what the citizen waits for: the first audio of the turn
            now = time.perf_counter()
            turn.tts_first_audio_s = now - t0
            turn.first_audio_after_s = now - self._turn_t0
        self.driver.speak(text)  # the driver plays our audio (a real robot) or records it (simulation)

    def _synthesize(self, unit: str, rate: int | None, n: int) -> Any:
        """One speech unit (on the TTS thread); a failure is recorded, never raised into a turn."""
        try:
            audio = self.synthesizer.synthesize(unit, rate=rate)
        except Exception as e:  # the robot still shows the text on its display
            self.speech_errors.append(f"{unit!r}: {e}")
            return None
        if self.audio_out is not None:
            self.audio_out.mkdir(parents=True, exist_ok=True)
            (self.audio_out / f"say_{n:04d}.wav").write_bytes(audio.wav)
        return audio

    def flush_speech(self) -> None:
        """Wait until every queued speech unit is synthesised."""
        if self._tts_pool is not None:
            self._tts_pool.submit(lambda: None).result()

    def close(self) -> None:
        """Finish pending speech and stop the TTS thread (the synthesizer itself is the caller's)."""
        if self._tts_pool is not None:
            self._tts_pool.shutdown(wait=True)
            self._tts_pool = None

    def __enter__(self) -> RobotRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- turns ------------------------------------------------------------------------------------------

    def hear(
        self, text: str, asr_s: float = 0.0, phrase: str | None = None, audio_s: float = 0.0
    ) -> TurnRecord:
        """One citizen utterance (already transcribed): correct it, run the turn, record latencies.

        ``phrase`` is a catalogue phrase found by a grammar-limited second recogniser; when the free
        transcript does not contain it, it is appended so the dialogue engine sees the name.
        """
        t0 = time.perf_counter()
        corrected = self.corrector.correct(text).text if self.corrector is not None and text else text
        if phrase and phrase.replace(" ", "") not in corrected.replace(" ", ""):
            corrected = f"{corrected} {phrase}".strip()
        self._turn_t0 = t0
        self._turn = TurnRecord(text, corrected, asr_s=asr_s, audio_s=audio_s)
        try:
            self.feed(Heard(corrected, self.now()))
        finally:
            record, self._turn = self._turn, None
        self.turns.append(record)
        return record

    def listen(self, audio_chunks: Iterable[bytes], *, live: bool = False) -> Iterator[TurnRecord]:
        """Recognise a PCM stream and run a turn for every final transcript.

        ``live``: the chunks arrive in real time (a microphone), so time-outs are checked between them
        (a silent stream still ends the visit once the citizen is gone); a file is decoded faster than
        real time, so its turns are only separated by what the caller does between them.
        """
        if self.recognizer is None:
            raise RuntimeConfigError("audio input needs a recognizer (a Vosk model directory)")
        last_chunk = [time.perf_counter()]

        def timed(chunks: Iterable[bytes]) -> Iterator[bytes]:
            for c in chunks:
                last_chunk[0] = time.perf_counter()
                if live:
                    self.feed(Tick(self.now()))
                yield c

        for t in self.recognizer.stream(timed(audio_chunks)):
            if not t.final:
                if self.display is not None:
                    self.display.send("text", partial=t.text)
                continue
            asr_s = time.perf_counter() - last_chunk[0]
            yield self.hear(t.text, asr_s=asr_s, phrase=t.phrase, audio_s=t.audio_s)

    def person_arrives(self) -> None:
        """A citizen is seen: starts a visit (greeting) or, during one, keeps it open."""
        self.feed(PersonDetected(self.now()))

    def person_leaves(self) -> None:
        """The citizen is gone: the visit ends after the behaviour's grace period."""
        self.feed(PersonLeft(self.now()))

    def awaiting_citizen(self) -> bool:
        """True when the robot is standing still waiting for the citizen (or idle at its post)."""
        return self.behaviour.state in AWAITING

    def settle(self, timeout: float = 600.0, step: float = 0.5, until: str = "idle") -> State:
        """Let motion and time-outs play out, for at most ``timeout`` seconds.

        ``until="idle"``: until the robot idles at its post (the visit is over); ``until="awaiting"``:
        until it waits for the citizen's next words (answered, or arrived at the target). Both in
        behaviour time (the simulation clock when one was given; its ``sleep`` advances it).
        """
        if until not in ("idle", "awaiting"):
            raise ValueError(f"until must be 'idle' or 'awaiting', not {until!r}")
        done = (lambda: self.behaviour.state == State.IDLE) if until == "idle" else self.awaiting_citizen
        start = self.now()
        while True:
            self.feed(Tick(self.now()))  # feed() polls the driver first, so motion is seen before the tick
            if done() or self.now() - start >= timeout:
                return self.behaviour.state
            self._sleep(step)

    def pause(self, seconds: float, step: float = 0.5, present: bool = True) -> None:
        """Let ``seconds`` of behaviour time pass while the citizen thinks (``present``: still seen)."""
        end = self.now() + seconds
        while self.now() < end:
            self._sleep(min(step, end - self.now()))
            if present and self.behaviour.in_visit:
                self.feed(PersonDetected(self.now()))
            self.feed(Tick(self.now()))

    def summary(self) -> dict[str, Any]:
        self.flush_speech()
        st = self.driver.status()
        return {
            "session_id": self.session_id,
            "turns": [
                {
                    "heard": t.heard,
                    "corrected": t.corrected,
                    "said": t.said,
                    "asr_s": round(t.asr_s, 4),
                    "dialogue_s": round(t.dialogue_s, 4),
                    "tts_first_audio_s": round(t.tts_first_audio_s, 4),
                    "first_audio_after_s": (
                        round(t.first_audio_after_s, 4) if t.first_audio_after_s is not None else None
                    ),
                    "latency_s": round(t.latency_s, 4),
                }
                for t in self.turns
            ],
            "states": [s.value for s in self.behaviour.history],
            "final_state": self.behaviour.state.value,
            "robot": {"state": st.state.value, "location": st.location, "battery": st.battery},
            "speech_errors": list(self.speech_errors),
        }


# --- a dialogue stand-in good enough for navigation-only demos --------------------------------------


@dataclass
class _Reply:
    text: str
    speech: str
    cards: list[Any]
    actions: list[dict[str, str]]


class MapTurnHandler:
    """Answers "where is / take me to" from the lobby map alone (used when no dialogue engine is given)."""

    def __init__(self, lobby: LobbyMap) -> None:
        self.lobby = lobby

    def handle(self, session_id: str, utterance: str, channel: str) -> _Reply:
        res = self.lobby.resolve(utterance)
        if isinstance(res, Resolved):
            text = f"{res.label}在{res.location.floor}楼。"
            return _Reply(text, text, [], [{"kind": "NavigateTo", "target": res.location.id}])
        text = "抱歉，我只能带路。请说出要去的窗口或地点，比如“B01窗口”或“洗手间”。"
        return _Reply(text, text, [], [])
