"""PCM helpers: read any 16-bit WAV as 16 kHz mono PCM (numpy resampling, no sox needed), chunking."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from voice.base import SAMPLE_RATE
from voice.errors import AudioFormatError


def _lowpass(x: np.ndarray, cutoff: float, taps: int = 63) -> np.ndarray:
    """Windowed-sinc low-pass (cutoff as a fraction of the sample rate) against aliasing on downsampling."""
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff * n) * np.hamming(taps)
    out: np.ndarray = np.convolve(x, h / h.sum(), mode="same")
    return out


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample float samples (low-pass first when going down, then linear interpolation)."""
    if rate_in == rate_out or len(samples) == 0:
        return samples
    if rate_out < rate_in:
        samples = _lowpass(samples, 0.5 * rate_out / rate_in * 0.95)
    n_out = int(round(len(samples) * rate_out / rate_in))
    t_out = np.arange(n_out) * (rate_in / rate_out)
    out: np.ndarray = np.interp(t_out, np.arange(len(samples)), samples)
    return out


def wav_to_pcm16k(source: Path | bytes) -> bytes:
    """A WAV file or WAV bytes -> 16 kHz mono 16-bit little-endian PCM."""
    try:
        f = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
        with f, wave.open(f) as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            raw: bytes = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError) as e:
        raise AudioFormatError(f"not a readable WAV: {e}") from e
    if width != 2:
        raise AudioFormatError(f"need 16-bit PCM WAV, got {8 * width}-bit")
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1)
    if rate == SAMPLE_RATE and channels == 1:
        return raw
    y = resample(x, rate, SAMPLE_RATE)
    return bytes(np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes())


def chunks(pcm: bytes, chunk_ms: int = 250, sample_rate: int = SAMPLE_RATE) -> Iterator[bytes]:
    """Split PCM into chunks of ``chunk_ms`` (what a microphone stream would deliver)."""
    size = sample_rate * 2 * chunk_ms // 1000
    for i in range(0, len(pcm), size):
        yield pcm[i : i + size]


def silence(seconds: float, sample_rate: int = SAMPLE_RATE) -> bytes:
    return b"\x00\x00" * int(seconds * sample_rate)


def pcm_seconds(pcm: bytes, sample_rate: int = SAMPLE_RATE) -> float:
    return len(pcm) / (2 * sample_rate)


def read_chunks(stream: BinaryIO, chunk_ms: int = 100, sample_rate: int = SAMPLE_RATE) -> Iterator[bytes]:
    """Raw 16 kHz mono s16le PCM from a live byte stream, e.g. a microphone through
    ``arecord -q -f S16_LE -r 16000 -c 1 -t raw`` piped to stdin; ends when the stream does.

    100 ms chunks: Vosk can only notice the end of an utterance at a chunk boundary, so a live stream
    in 250 ms chunks makes the citizen wait up to 150 ms longer (and decodes more after the end).
    """
    size = sample_rate * 2 * chunk_ms // 1000
    while True:
        data = stream.read(size)
        if not data:
            return
        data = data[: len(data) - len(data) % 2]  # a trailing half sample is dropped
        if data:
            yield data
