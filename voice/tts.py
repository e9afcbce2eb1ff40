"""Text to speech on espeak-ng: pyttsx3 in a worker process, and the espeak-ng command line.

Known pyttsx3 traps on Linux (see FIELD-NOTES "Voice"): ``save_to_file`` + ``runAndWait`` can return
before the WAV exists, and a long-lived engine sometimes writes empty files. So synthesis runs in a
separate worker process that waits for the ``finished-utterance`` callback and for the file to stop
growing; the parent checks the frame count against the text length, restarts the worker and retries
once, and finally falls back to the deterministic ``espeak-ng -w`` command. A text the voice would read
in English (espeak-ng's "(en)" language switch — e.g. the plain ``cmn`` voice on many characters, or
Latin words) is refused with ``LanguageFallbackError`` before any audio is made.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from voice.base import Audio, wav_info
from voice.errors import BackendUnavailableError, EmptyAudioError, LanguageFallbackError, SynthesisError

DEFAULT_VOICE = "sit/cmn-latn-pinyin"
# Fewer frames than this per spoken character means the WAV is empty or truncated (espeak-ng at
# 120-200 wpm makes ~0.15-0.3 s per Chinese syllable; be lenient).
MIN_SECONDS_PER_CHAR = 0.05
SPEAKABLE = re.compile(r"[\w\u4e00-\u9fff\uac00-\ud7a3]")


def espeak_binary() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise BackendUnavailableError("espeak-ng is not installed (Debian: apt-get install -y espeak-ng)")
    return path


def phonemes(text: str, voice: str = DEFAULT_VOICE) -> str:
    """espeak-ng's phoneme transcription of ``text`` (no audio)."""
    out = subprocess.run(
        [espeak_binary(), "-q", "-x", "-v", voice, text],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if out.returncode != 0:
        raise SynthesisError(f"espeak-ng -x failed for voice {voice!r}: {out.stderr.strip()}")
    return out.stdout


def check_language(text: str, voice: str = DEFAULT_VOICE) -> None:
    """Raise LanguageFallbackError when espeak-ng would switch to English for part of ``text``."""
    ph = phonemes(text, voice)
    if "(en)" in ph:
        raise LanguageFallbackError(f"voice {voice!r} reads part of {text!r} as English: {ph.strip()[:120]}")


_TOKEN = re.compile(r"[A-Za-z]+|\S")


class LanguageChecker:
    """``check_language`` with a memory: a text is only sent to ``espeak-ng -x`` when it has a token
    (a Latin word, or any other character) not yet seen in a text that passed.

    Why: the check is a subprocess (~30-40 ms here, more than pyttsx3's synthesis of a sentence) on the
    path to the robot's first audio, while a lobby robot speaks from a small vocabulary. espeak-ng
    switches to English per word whose letters or characters the voice does not know, so tokens of a
    passing text are safe in any other text; Latin words are remembered whole ("B", "passport").
    """

    def __init__(self, voice: str = DEFAULT_VOICE) -> None:
        self.voice = voice
        self.known: set[str] = set()
        self.checks = 0  # subprocesses run

    def check(self, text: str) -> None:
        """Raise LanguageFallbackError when the voice would read part of ``text`` as English."""
        tokens = set(_TOKEN.findall(text))
        if tokens <= self.known:
            return
        self.checks += 1
        check_language(text, self.voice)
        self.known |= tokens

    def learn(self, texts: list[str], chunk_chars: int = 2000) -> None:
        """Check many texts at once (a few subprocesses), remembering the tokens of the chunks that pass."""
        chunk: list[str] = []
        for text in [*texts, ""]:
            if text and sum(map(len, chunk)) + len(text) < chunk_chars:
                chunk.append(text)
                continue
            if chunk:
                with contextlib.suppress(LanguageFallbackError):
                    self.check("。".join(chunk))
            chunk = [text] if text else []


def check_audio(audio: Audio, text: str) -> None:
    """Raise EmptyAudioError when the WAV is empty or far too short for ``text``."""
    n_chars = len(SPEAKABLE.findall(text))
    if audio.frames == 0 or audio.duration_s < n_chars * MIN_SECONDS_PER_CHAR:
        raise EmptyAudioError(
            f"{audio.backend} produced {audio.frames} frames ({audio.duration_s:.2f} s) "
            f"for {n_chars} characters"
        )


class EspeakSynthesizer:
    """The espeak-ng command line: deterministic, one process per utterance."""

    backend = "espeak-ng"

    def __init__(self, voice: str = DEFAULT_VOICE, rate: int = 170, check: bool = True) -> None:
        self.voice, self.rate, self.check = voice, rate, check
        self.language = LanguageChecker(voice)

    def synthesize(self, text: str, rate: int | None = None) -> Audio:
        if self.check:
            self.language.check(text)
        t0 = time.perf_counter()
        out = subprocess.run(
            [espeak_binary(), "--stdout", "-v", self.voice, "-s", str(rate or self.rate), text],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if out.returncode != 0 or not out.stdout:
            raise SynthesisError(f"espeak-ng failed: {out.stderr.decode(errors='replace').strip()}")
        wav = _fix_stream_header(out.stdout)
        sr, _, _, frames = wav_info(wav)
        audio = Audio(wav, sr, frames, self.backend, time.perf_counter() - t0, text)
        if self.check:
            check_audio(audio, text)
        return audio


def _fix_stream_header(data: bytes) -> bytes:
    """espeak-ng --stdout writes a WAV whose size fields are 0x7fffffff (unknown); rewrite them."""
    import wave

    with contextlib.suppress(Exception):
        with wave.open(io.BytesIO(data)) as w:
            if w.getnframes() * w.getsampwidth() * w.getnchannels() <= len(data):
                return data
    # Locate the data chunk and rebuild a proper header.
    idx = data.find(b"data")
    if idx < 0:
        raise SynthesisError("espeak-ng output has no WAV data chunk")
    pcm = data[idx + 8 :]
    fmt = data[12:idx]
    sr = int.from_bytes(fmt[12:16], "little")
    channels = int.from_bytes(fmt[10:12], "little")
    width = int.from_bytes(fmt[22:24], "little") // 8
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(sr)
        w.writeframes(pcm[: len(pcm) - len(pcm) % (width * channels)])
    return buf.getvalue()


# --- pyttsx3 in a worker process ----------------------------------------------------------------------


def _worker(conn: Connection, voice: str, rate: int) -> None:
    """Worker process: one pyttsx3 engine at one rate, one WAV per request, reply with the path or an error.

    The rate is fixed per worker: pyttsx3 applies later ``setProperty("rate")`` calls erratically (seen
    here: after a change or two the speed stops following), so a different rate gets its own worker.
    """
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):  # pyttsx3 prints per file
        try:
            import pyttsx3

            engine = pyttsx3.init("espeak")
            engine.setProperty("voice", voice)
            engine.setProperty("rate", rate)
            finished = threading.Event()
            engine.connect("finished-utterance", lambda name, completed: finished.set())
        except Exception as e:  # report, don't crash silently
            conn.send(("error", f"pyttsx3 init failed: {e!r}"))
            return
        conn.send(("ready", ""))
        while True:
            try:
                req = conn.recv()
            except EOFError:
                return
            if req is None:
                return
            text, path = req
            try:
                finished.clear()
                engine.save_to_file(text, path)
                engine.runAndWait()
                if not finished.wait(30):
                    raise TimeoutError("no finished-utterance callback within 30 s")
                _wait_file_stable(Path(path))
                conn.send(("ok", path))
            except Exception as e:
                conn.send(("error", repr(e)))


def _wait_file_stable(path: Path, timeout: float = 0.5) -> None:
    """Wait until the WAV exists and its size stops changing.

    pyttsx3 2.99's espeak driver writes the WAV before it sends finished-utterance, so a complete file
    is there at once (no polling: this is on the path to the first audio). A missing or empty file is
    the long-lived-engine failure: give it a short grace, then let the parent restart the worker —
    waiting longer (this used to be 10 s) only delays the retry.
    """
    if path.exists() and path.stat().st_size > 44:
        return
    deadline, last = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        size = path.stat().st_size if path.exists() else -1
        if size > 44 and size == last:
            return
        last = size
        time.sleep(0.005)


class _Worker:
    """One worker process and its pipe."""

    def __init__(self, ctx: Any, voice: str, rate: int) -> None:
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker, args=(child, voice, rate), daemon=True, name=f"govguide-tts-{rate}"
        )
        self.proc.start()
        child.close()
        self.conn: Connection = parent
        self.jobs = 0
        if not parent.poll(30):
            self.stop()
            raise SynthesisError("the TTS worker did not start within 30 s")
        try:
            kind, msg = parent.recv()
        except (EOFError, OSError) as e:  # it died while starting (e.g. a broken interpreter setup)
            self.stop()
            raise SynthesisError(f"the TTS worker died while starting: {e!r}") from e
        if kind != "ready":
            self.stop()
            raise BackendUnavailableError(msg)

    def alive(self) -> bool:
        return bool(self.proc.is_alive())

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        self.conn.close()
        self.proc.join(2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(2)


class Pyttsx3Synthesizer:
    """pyttsx3 (espeak-ng driver) isolated in worker processes, with checks and a CLI fallback.

    Args:
        voice: espeak-ng voice id; Mandarin must be ``sit/cmn-latn-pinyin`` (plain ``cmn`` falls back
            to English for many characters).
        rate: default words per minute; each distinct rate gets its own worker (at most ``max_workers``).
        fallback: use ``EspeakSynthesizer`` when the worker fails twice.
        max_jobs: restart a worker after this many utterances (long-lived engines degrade).
    """

    backend = "pyttsx3"

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        rate: int = 170,
        fallback: bool = True,
        max_jobs: int = 200,
        check: bool = True,
        max_workers: int = 2,
    ) -> None:
        try:
            import pyttsx3  # noqa: F401
        except ImportError as e:
            raise BackendUnavailableError("pyttsx3 is not installed: pip install pyttsx3==2.99") from e
        espeak_binary()
        self.voice, self.rate, self.fallback, self.max_jobs, self.check = (
            voice,
            rate,
            fallback,
            max_jobs,
            check,
        )
        self.max_workers = max_workers
        self._ctx = mp.get_context("spawn")
        self._workers: dict[int, _Worker] = {}  # rate -> worker, least recently used first
        self._lock = threading.Lock()
        self._tmp = Path(tempfile.mkdtemp(prefix="govguide-tts-"))
        self._seq = 0
        self.restarts = 0
        self.fallbacks = 0
        self.language = LanguageChecker(voice)

    def start(self, rate: int | None = None, vocabulary: list[str] | None = None) -> None:
        """Start the worker for ``rate`` now (otherwise the first ``synthesize`` does).

        ``vocabulary``: texts the robot will speak from (catalogue names, canned replies); their
        characters are language-checked now, in a few batches, instead of on the first turns.
        """
        with self._lock:
            self._worker(rate or self.rate)
        if vocabulary and self.check:
            self.language.learn(vocabulary)

    def _worker(self, rate: int) -> _Worker:
        w = self._workers.pop(rate, None)
        if w is not None and (not w.alive() or w.jobs >= self.max_jobs):
            w.stop()
            w = None
        if w is None:
            while len(self._workers) >= self.max_workers:
                self._workers.pop(next(iter(self._workers))).stop()
            w = _Worker(self._ctx, self.voice, rate)
        self._workers[rate] = w
        return w

    def _drop(self, rate: int) -> None:
        w = self._workers.pop(rate, None)
        if w is not None:
            w.stop()

    def _once(self, text: str, rate: int) -> Audio:
        w = self._worker(rate)
        w.jobs += 1
        self._seq += 1
        path = self._tmp / f"u{self._seq}_{time.monotonic_ns()}.wav"
        t0 = time.perf_counter()
        try:
            w.conn.send((text, str(path)))
            if not w.conn.poll(60):
                raise SynthesisError("the TTS worker did not answer within 60 s")
            kind, msg = w.conn.recv()
        except (OSError, EOFError) as e:  # the worker died under us
            raise SynthesisError(f"the TTS worker died: {e!r}") from e
        if kind != "ok":
            raise SynthesisError(f"pyttsx3 failed: {msg}")
        try:
            wav = path.read_bytes()
        finally:
            path.unlink(missing_ok=True)
        try:
            sr, _, _, frames = wav_info(wav)
        except Exception as e:
            raise EmptyAudioError(f"pyttsx3 wrote an unreadable WAV ({len(wav)} bytes)") from e
        audio = Audio(wav, sr, frames, self.backend, time.perf_counter() - t0, text)
        check_audio(audio, text)
        return audio

    def synthesize(self, text: str, rate: int | None = None) -> Audio:
        if self.check:
            self.language.check(text)
        r = rate or self.rate
        t0 = time.perf_counter()
        with self._lock:
            errors: list[str] = []
            for _attempt in range(2):
                try:
                    return self._once(text, r)
                except SynthesisError as e:
                    errors.append(str(e))
                    self.restarts += 1
                    self._drop(r)  # a fresh engine for the retry
        if not self.fallback:
            raise SynthesisError("; ".join(errors))
        self.fallbacks += 1
        audio = EspeakSynthesizer(self.voice, r, check=self.check).synthesize(text, r)
        return Audio(
            audio.wav,
            audio.sample_rate,
            audio.frames,
            "espeak-ng(fallback)",
            time.perf_counter() - t0,
            text,
            {"errors": "; ".join(errors)},
        )

    def close(self) -> None:
        with self._lock:
            for rate in list(self._workers):
                self._drop(rate)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Pyttsx3Synthesizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build_synthesizer(backend: str = "pyttsx3", voice: str = DEFAULT_VOICE, rate: int = 170) -> Any:
    """``"pyttsx3"`` -> Pyttsx3Synthesizer, ``"espeak"`` -> EspeakSynthesizer."""
    match backend:
        case "pyttsx3":
            return Pyttsx3Synthesizer(voice, rate)
        case "espeak":
            return EspeakSynthesizer(voice, rate)
    raise BackendUnavailableError(f"unknown TTS backend {backend!r} (pyttsx3 | espeak)")
