"""PCM helpers: WAV conversion to 16 kHz mono and live-stream chunking."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from voice.audio import chunks, read_chunks, wav_to_pcm16k
from voice.errors import AudioFormatError


def _wav(samples: np.ndarray, rate: int, channels: int = 1) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


def test_22khz_stereo_becomes_16khz_mono_with_the_same_pitch() -> None:
    t = np.arange(22050) / 22050
    tone = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    stereo = np.repeat(tone, 2)
    pcm = wav_to_pcm16k(_wav(stereo, 22050, channels=2))
    x = np.frombuffer(pcm, dtype="<i2").astype(float)
    assert len(x) == 16000
    peak_hz = np.argmax(np.abs(np.fft.rfft(x))) * 16000 / len(x)
    assert peak_hz == pytest.approx(1000, abs=2)
    assert 7000 < np.abs(x[100:-100]).max() < 8500  # level kept, no clipping


def test_16khz_mono_passes_through_unchanged() -> None:
    samples = np.arange(-500, 500, dtype=np.int16)
    assert wav_to_pcm16k(_wav(samples, 16000)) == samples.astype("<i2").tobytes()


def test_not_a_wav_is_a_clear_error() -> None:
    with pytest.raises(AudioFormatError):
        wav_to_pcm16k(b"definitely not audio")


def test_chunking_a_buffer_and_a_live_stream() -> None:
    pcm = bytes(range(256)) * 50  # 12,800 bytes = 0.4 s
    assert [len(c) for c in chunks(pcm, 100)] == [3200] * 4
    live = list(read_chunks(io.BytesIO(pcm + b"\x01"), chunk_ms=100))
    assert [len(c) for c in live] == [3200] * 4 and b"".join(live) == pcm
