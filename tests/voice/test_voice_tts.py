"""TTS: real espeak-ng audio through pyttsx3 in a worker process; the checks catch empty and English audio."""

from __future__ import annotations

import io
import wave

import pytest

from voice.base import Audio, Synthesizer, wav_info
from voice.errors import EmptyAudioError, LanguageFallbackError
from voice.tts import EspeakSynthesizer, Pyttsx3Synthesizer, check_audio, check_language

pytestmark = pytest.mark.audio

TEXT = "B零一窗口到了，请准备好身份证"


@pytest.fixture(scope="module")
def pyttsx3_tts(espeak: str):  # type: ignore[no-untyped-def]
    pytest.importorskip("pyttsx3", reason="pyttsx3 not installed (pip install pyttsx3==2.99)")
    with Pyttsx3Synthesizer() as tts:
        yield tts


def test_pyttsx3_writes_a_real_mandarin_wav(pyttsx3_tts: Pyttsx3Synthesizer) -> None:
    assert isinstance(pyttsx3_tts, Synthesizer)
    audio = pyttsx3_tts.synthesize(TEXT)
    assert audio.backend == "pyttsx3"
    rate, channels, width, frames = wav_info(audio.wav)
    assert (rate, channels, width) == (22050, 1, 2) and frames == audio.frames
    assert 2.0 < audio.duration_s < 10.0  # 14 syllables at 170 wpm


def test_rate_changes_duration(pyttsx3_tts: Pyttsx3Synthesizer) -> None:
    text = "请跟我来，我带您去洗手间"
    durations = [pyttsx3_tts.synthesize(text, rate=r).duration_s for r in (110, 200, 110, 200, 170)]
    slow, fast = durations[0], durations[1]
    assert slow > 1.4 * fast
    # The speed follows every change (pyttsx3's own setProperty does not, hence a worker per rate).
    assert durations[2] == pytest.approx(slow, rel=0.05) and durations[3] == pytest.approx(fast, rel=0.05)
    assert fast < durations[4] < slow


def test_many_utterances_in_a_row_are_never_empty(pyttsx3_tts: Pyttsx3Synthesizer) -> None:
    # The known failure (empty files from a long-lived engine) would raise EmptyAudioError here.
    for i in range(12):
        audio = pyttsx3_tts.synthesize(f"第{i}号，请到窗口办理")
        assert audio.frames > 0.5 * audio.sample_rate


def test_a_dead_worker_is_replaced(pyttsx3_tts: Pyttsx3Synthesizer) -> None:
    pyttsx3_tts.synthesize("你好")
    for worker in pyttsx3_tts._workers.values():
        worker.proc.kill()
        worker.proc.join()
    audio = pyttsx3_tts.synthesize("您好，请问您要办什么事")
    assert audio.backend == "pyttsx3" and audio.frames > 0


def test_plain_cmn_voice_is_caught_falling_back_to_english(espeak: str) -> None:
    with pytest.raises(LanguageFallbackError):
        check_language("我要办理社保卡", "sit/cmn")
    check_language("我要办理社保卡", "sit/cmn-latn-pinyin")
    with pytest.raises(LanguageFallbackError):
        EspeakSynthesizer(voice="sit/cmn").synthesize("我要办理社保卡")
    with pytest.raises(LanguageFallbackError):  # English words in a Mandarin sentence
        check_language("请出示您的 passport", "sit/cmn-latn-pinyin")


def test_empty_or_truncated_wav_is_caught() -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(b"")
    empty = Audio(buf.getvalue(), 22050, 0, "pyttsx3")
    with pytest.raises(EmptyAudioError):
        check_audio(empty, TEXT)
    truncated = Audio(b"", 22050, 2205, "pyttsx3")  # 0.1 s for 14 characters
    with pytest.raises(EmptyAudioError):
        check_audio(truncated, TEXT)


def test_espeak_cli_is_deterministic(espeak: str) -> None:
    tts = EspeakSynthesizer()
    a, b = tts.synthesize(TEXT), tts.synthesize(TEXT)
    assert a.wav == b.wav and a.frames > 0
    assert wav_info(a.wav)[3] == a.frames


def test_language_check_remembers_safe_tokens_and_still_catches_english(espeak: str) -> None:
    from voice.tts import LanguageChecker

    checker = LanguageChecker()
    checker.learn(["请跟我来，我带您去", "B零一窗口到了", "请准备好身份证"])
    runs = checker.checks
    checker.check("B零一窗口到了，请跟我来")  # every token already passed: no subprocess
    assert checker.checks == runs
    with pytest.raises(LanguageFallbackError):  # a new Latin word is always checked
        checker.check("请跟我来 passport")
    with pytest.raises(LanguageFallbackError):  # and nothing of a failing text is remembered
        checker.check("请跟我来 passport")
    plain = LanguageChecker("sit/cmn")  # the voice that reads these characters in English
    with pytest.raises(LanguageFallbackError):
        plain.check("我要办理社保卡")
    plain.learn(["我要办理社保卡"])
    assert not plain.known


def test_pyttsx3_refuses_english_after_warm_up(pyttsx3_tts: Pyttsx3Synthesizer) -> None:
    pyttsx3_tts.start(vocabulary=["请出示您的身份证"])
    with pytest.raises(LanguageFallbackError):
        pyttsx3_tts.synthesize("请出示您的 passport")
