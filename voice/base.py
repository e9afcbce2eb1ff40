"""Interfaces and shared models of the voice package: a Recognizer (speech -> text) and a Synthesizer
(text -> WAV bytes). Backends: ``voice.vosk_asr.VoskRecognizer``, ``voice.tts.Pyttsx3Synthesizer`` and
``voice.tts.EspeakSynthesizer``.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

SAMPLE_RATE = 16000  # what the recogniser takes: 16 kHz mono 16-bit PCM


@dataclass(frozen=True)
class Transcript:
    """A recognition result.

    Attributes:
        text: the recognised text (words joined as the model emits them).
        final: False for a partial (still listening) result.
        confidence: mean word confidence in [0, 1] (1.0 when the backend gives none).
        phrase: the catalogue phrase a grammar-limited second pass matched, if any.
        audio_s: seconds of audio this result covers (since the previous final).
        decode_s: seconds spent decoding it.
    """

    text: str
    final: bool = True
    confidence: float = 1.0
    phrase: str | None = None
    audio_s: float = 0.0
    decode_s: float = 0.0


@dataclass(frozen=True)
class Audio:
    """Synthesised speech: a complete WAV file in memory."""

    wav: bytes
    sample_rate: int
    frames: int
    backend: str
    elapsed_s: float = 0.0
    text: str = ""
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


@runtime_checkable
class Recognizer(Protocol):
    """Speech to text from 16 kHz mono 16-bit PCM."""

    def stream(self, chunks: Iterable[bytes]) -> Iterator[Transcript]:
        """Yield partial and final transcripts while PCM chunks arrive; one final per utterance."""
        ...

    def recognize(self, pcm: bytes) -> Transcript:
        """Recognise one complete utterance."""
        ...

    def recognize_wav(self, path: Path) -> Transcript:
        """Recognise a WAV file (any rate/channels; converted to 16 kHz mono)."""
        ...


@runtime_checkable
class Synthesizer(Protocol):
    """Text to speech."""

    def synthesize(self, text: str, rate: int | None = None) -> Audio:
        """Speak ``text`` into a WAV; ``rate`` in words per minute (slower for elderly mode)."""
        ...


class VoiceSettings(BaseModel):
    """Voice configuration (the lead mounts it as ``Settings.voice``)."""

    # A Vosk model directory. Mandarin: vosk-model-small-cn-0.22 unpacked from alphacephei.com/vosk/models.
    asr_model_dir: Path | None = None
    asr_language: str = "zh"
    tts_backend: str = "pyttsx3"  # "pyttsx3" | "espeak"
    tts_voice: str = "sit/cmn-latn-pinyin"
    tts_rate: int = 170
    tts_rate_elderly: int = 120
    # Bias recognition toward catalogue names: "none" | "correct" (pinyin/fuzzy post-correction) |
    # "grammar" (a second grammar-limited recogniser; needs a small dynamic-graph model) | "both".
    phrase_bias: str = "correct"


def wav_info(wav_bytes: bytes) -> tuple[int, int, int, int]:
    """(sample_rate, channels, sample_width, frames) of a WAV held in memory."""
    with wave.open(io.BytesIO(wav_bytes)) as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
