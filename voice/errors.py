"""Errors of the voice package.

Exception tree::

    VoiceError
    ├── ModelNotFoundError     no recognition model at the configured path (with how to get one)
    ├── AudioFormatError       audio is not what the recogniser needs and cannot be converted
    ├── BackendUnavailableError a library or tool is missing (vosk, pyttsx3, espeak-ng), with an install hint
    └── SynthesisError         text-to-speech produced no usable audio
        ├── EmptyAudioError    the WAV has (almost) no frames — pyttsx3's known silent failure
        └── LanguageFallbackError the voice would read the text as English (espeak-ng "(en)" switch)
"""

from __future__ import annotations


class VoiceError(Exception):
    """Root of every error raised by ``voice``."""


class ModelNotFoundError(VoiceError):
    """No usable Vosk model directory."""


class AudioFormatError(VoiceError):
    """Audio in a format we cannot use."""


class BackendUnavailableError(VoiceError):
    """A required library or command-line tool is missing."""


class SynthesisError(VoiceError):
    """TTS failed to produce usable audio."""


class EmptyAudioError(SynthesisError):
    """The synthesised WAV is empty or far too short for its text."""


class LanguageFallbackError(SynthesisError):
    """The voice switches to English for (part of) the text."""
