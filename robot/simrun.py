"""``govguide robot --sim``: the whole robot loop on a SimulatedRobot, from an audio file or typed text."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from robot.base import TurnHandler
from robot.behaviour import BehaviourConfig, State
from robot.display import HeadDisplay
from robot.errors import RuntimeConfigError
from robot.map import LobbyMap
from robot.runtime import MapTurnHandler, RobotRuntime
from robot.sim import RealClock, SimulatedRobot

log = logging.getLogger(__name__)


def load_lobby(settings: Any) -> LobbyMap:
    """The lobby map from the knowledge graph when it holds one, else from the corpus files."""
    try:
        from graph.factory import open_graph_store

        with open_graph_store(settings) as store:
            lobby = LobbyMap.from_graph(store)
        if lobby.points:
            return lobby
    except Exception as e:  # no graph yet: the map files are enough for a simulation
        log.info("lobby map from corpus files (graph unavailable: %s)", e)
    return LobbyMap.from_lobby_files(Path(settings.corpus_dir))


def catalogue_phrases(lobby: LobbyMap) -> list[str]:
    """Phrases to bias recognition toward: matter names and aliases, window ids, place names."""
    names = [m.name for m in lobby.matters.values()] + [a for m in lobby.matters.values() for a in m.aliases]
    return names + list(lobby.windows) + list(lobby.named_places())


def speech_vocabulary(lobby: LobbyMap, config: BehaviourConfig | None = None) -> list[str]:
    """What the robot will mostly say (catalogue names, its own canned lines, ~2,000 common characters),
    normalised for speech: language-checked once at start-up (~1 s) rather than on the first turns."""
    from voice.normalize import normalize_for_speech
    from voice.phrases import common_characters

    c = config or BehaviourConfig()
    canned = [c.greeting, c.still_there, c.goodbye, c.arrived_window_hint, "请跟我来，我带您去", "窗口到了"]
    chars = common_characters()
    common = ["".join(chars[i : i + 100]) for i in range(0, len(chars), 100)]
    return [normalize_for_speech(t) for t in [*canned, *catalogue_phrases(lobby)]] + common


def share_cores_with_asr() -> None:
    """Run the dialogue's torch models on one thread when Vosk decodes in the same process.

    Measured on 2 cores: a dialogue turn right after a Vosk decode took p50 1,230 ms with torch's
    default threads (its OpenMP workers spin-wait against the decoder's threads) and 23 ms with one
    (OMP_WAIT_POLICY=PASSIVE also fixes it, but only when set before torch loads); without ASR one
    thread is faster too (4 vs 14 ms). Only a torch already loaded by the engine is touched.
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _recognition(
    lobby: LobbyMap, model_dir: Path | None, grammar: Sequence[str] | None, voice: Any
) -> tuple[Any, Any]:
    """The recogniser and phrase corrector ``voice.phrase_bias`` asks for (none|correct|grammar|both)."""
    from voice.phrases import PhraseCorrector, PhraseList
    from voice.vosk_asr import VoskRecognizer, check_model_dir, has_dynamic_graph

    bias = voice.phrase_bias
    if bias not in ("none", "correct", "grammar", "both"):
        raise RuntimeConfigError(f"voice.phrase_bias must be none|correct|grammar|both, not {bias!r}")
    phrases = PhraseList.build(catalogue_phrases(lobby))
    model_dir = check_model_dir(model_dir)  # a missing model is reported with how to get one
    if grammar is None and bias in ("grammar", "both"):
        if has_dynamic_graph(model_dir):
            import jieba

            grammar = phrases.grammar_phrases(jieba.lcut)  # Mandarin phrases as the model's words
        else:
            log.warning("%s has a static graph: no grammar pass (needs a small Vosk model)", model_dir)
    recognizer = VoskRecognizer(model_dir, phrases=grammar)
    corrector = PhraseCorrector(phrases) if bias in ("correct", "both") else None
    return recognizer, corrector


def run_sim(
    settings: Any,
    audio: Path | None = None,
    utterances: Sequence[str] = (),
    *,
    handler: TurnHandler | None = None,
    asr_model_dir: Path | None = None,
    grammar: Sequence[str] | None = None,
    tts_backend: str = "pyttsx3",
    tts_voice: str = "sit/cmn-latn-pinyin",
    speedup: float = 20.0,
    display_port: int = 0,
    audio_out: Path | None = None,
    elderly: bool = False,
    settle_timeout: float = 900.0,
    pause_s: float = 4.0,
) -> dict[str, Any]:
    """Run the robot loop in simulation and return a summary (turns with latencies, states, robot).

    Args:
        settings: ``govguide.config.Settings`` (corpus_dir, graph and voice settings are used).
        audio: a WAV file with the citizen's speech, or ``Path("-")`` for raw 16 kHz s16le PCM on stdin
            (``arecord -q -f S16_LE -r 16000 -c 1 -t raw | govguide robot --sim --audio -``); needs
            ``asr_model_dir``. Without audio, ``utterances`` are used.
        utterances: typed utterances used when no audio is given, all from one citizen's visit (greeted
            once); an empty utterance means that citizen leaves and the next one starts a new visit.
        handler: the dialogue engine (``dialogue.Engine``); default: a map-only navigation handler.
        asr_model_dir: Vosk model directory for audio input (default: ``settings.voice.asr_model_dir``).
        grammar: phrases for a grammar-limited second recogniser, words space-separated as the model
            spells them; default with ``settings.voice.phrase_bias`` "grammar"/"both": the catalogue
            phrases cut by jieba. ``phrase_bias`` "correct"/"both" adds phonetic post-correction.
        tts_backend: "pyttsx3", "espeak" or "none" (the simulated robot only records the text).
        speedup: simulated seconds per real second for robot motion and time-outs (a live microphone
            keeps the citizen's time-outs in real time).
        settle_timeout: simulated seconds to let a turn's trip (or the final return) play out.
        pause_s: simulated seconds the citizen, still standing there, pauses before the next question.
        display_port: head display WebSocket port on 127.0.0.1 (0: any free port).
        audio_out: save every spoken WAV here.
    """
    from voice.base import VoiceSettings

    if audio is None and not utterances:
        raise RuntimeConfigError("give an audio file or at least one utterance")
    voice = getattr(settings, "voice", None) or VoiceSettings()
    lobby = load_lobby(settings)
    clock = RealClock(scale=speedup)
    robot = SimulatedRobot(lobby, clock=clock)
    behaviour_clock = RealClock() if audio is not None and str(audio) == "-" else clock
    recognizer = corrector = synthesizer = None
    if audio is not None:
        if str(audio) != "-" and not audio.is_file():
            raise RuntimeConfigError(f"audio file {audio} not found")
        recognizer, corrector = _recognition(lobby, asr_model_dir or voice.asr_model_dir, grammar, voice)
        share_cores_with_asr()
    if tts_backend != "none":
        from voice.tts import build_synthesizer

        synthesizer = build_synthesizer(tts_backend, tts_voice, voice.tts_rate)
        if hasattr(synthesizer, "start"):  # worker up and vocabulary checked before the citizen speaks
            synthesizer.start(vocabulary=speech_vocabulary(lobby))
    with HeadDisplay(lobby, port=display_port) as display:
        runtime = RobotRuntime(
            lobby,
            robot,
            handler or MapTurnHandler(lobby),
            recognizer=recognizer,
            synthesizer=synthesizer,
            corrector=corrector,
            display=display,
            elderly=elderly,
            elderly_rate=voice.tts_rate_elderly,
            audio_out=audio_out,
            # The citizen's time-outs follow the simulation clock, except with a live microphone: a
            # real person pausing for two seconds must not look like forty.
            clock=behaviour_clock.now,
            sleep=behaviour_clock.sleep,  # settle/pause steps in behaviour seconds
        )
        try:
            runtime.person_arrives()
            if audio is not None:
                from voice.audio import chunks, read_chunks, wav_to_pcm16k

                # "-": live raw PCM on stdin (a microphone via arecord); else a WAV file.
                live = str(audio) == "-"
                source = read_chunks(sys.stdin.buffer) if live else chunks(wav_to_pcm16k(audio))
                for _turn in runtime.listen(source, live=live):
                    # Until the robot waits for the next words: every utterance of the recording belongs
                    # to the same citizen, who must not be greeted again.
                    runtime.settle(settle_timeout, until="awaiting")
            for i, text in enumerate(utterances):
                if not text.strip():  # this citizen leaves; the next utterance is a new visit
                    runtime.person_leaves()
                    runtime.settle(settle_timeout)
                    continue
                if runtime.behaviour.state == State.IDLE:
                    runtime.person_arrives()
                elif i > 0:
                    runtime.pause(pause_s)
                runtime.hear(text)
                runtime.settle(settle_timeout, until="awaiting")
            # The visit is over: the citizen walks away and the robot returns to its post.
            runtime.person_leaves()
            runtime.settle(settle_timeout)
            summary = runtime.summary()
        finally:
            runtime.close()  # pending speech first, then the synthesizer it uses
            if synthesizer is not None and hasattr(synthesizer, "close"):
                synthesizer.close()
        summary["display_url"] = display.url
        summary["display_messages"] = len(display.sent)
        summary["spoken"] = runtime.spoken
    return summary
