"""Phrase biasing: the catalogue's names (matters, aliases, window ids, places) and a post-corrector.

Vosk has no weighted phrase boosting. Two practical routes, both here:

* a grammar for a second, grammar-limited recogniser (``PhraseList.grammar_phrases``; see
  ``voice.vosk_asr``) — exact but only for in-vocabulary words and small dynamic-graph models;
* ``PhraseCorrector``: after recognition, find spans of the transcript that *sound* like a catalogue
  phrase — compared on a phonetic key (toneless pinyin for Chinese, jamo for Korean Hangul, lower-case
  letters/digits otherwise) with a fuzzy ratio — and replace them with the phrase. "沪照" (hu zhao) is
  not "护照" in characters but is in sound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

_HANGUL_BASE, _HANGUL_END = 0xAC00, 0xD7A3
_LEADS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_TAILS = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"
_KEEP = re.compile(r"[\w\u4e00-\u9fff\uac00-\ud7a3]")


@lru_cache(maxsize=65536)
def char_key(ch: str) -> str:
    """The phonetic key of one character: toneless pinyin, Hangul jamo, or the lower-cased character."""
    code = ord(ch)
    if _HANGUL_BASE <= code <= _HANGUL_END:
        i = code - _HANGUL_BASE
        return (_LEADS[i // 588] + _VOWELS[i % 588 // 28] + _TAILS[i % 28]).strip()
    if ch.isdigit() and ch.isascii():  # "B01" sounds like "B零一"
        return ("ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu")[int(ch)]
    if "\u4e00" <= ch <= "\u9fff":
        from pypinyin import Style, lazy_pinyin

        return lazy_pinyin(ch, style=Style.NORMAL)[0]
    return ch.lower()


def compact(text: str) -> str:
    """Drop spaces and punctuation (recognisers space out words; the catalogue does not)."""
    return "".join(_KEEP.findall(text))


def phonetic_key(text: str) -> str:
    return " ".join(char_key(c) for c in compact(text))


@dataclass(frozen=True)
class Replacement:
    heard: str
    phrase: str
    score: float


@dataclass(frozen=True)
class Correction:
    text: str
    replacements: tuple[Replacement, ...] = ()


@dataclass
class PhraseList:
    """Canonical phrases to bias toward (deduplicated, at least two characters)."""

    phrases: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, names: Iterable[str]) -> PhraseList:
        seen: dict[str, None] = {}
        for n in names:
            n = n.strip()
            if len(compact(n)) >= 2:
                seen.setdefault(n, None)
        return cls(list(seen))

    @classmethod
    def from_catalogue(
        cls,
        matters: Iterable[object] = (),
        windows: Iterable[str] = (),
        places: Iterable[str] = (),
        extra: Iterable[str] = (),
    ) -> PhraseList:
        """From matter records (name + aliases + colloquial), window ids and place names."""
        names: list[str] = []
        for m in matters:
            names.append(str(getattr(m, "name", "")))
            names += list(getattr(m, "aliases", []) or [])
        names += list(windows) + list(places) + list(extra)
        return cls.build(names)

    def grammar_phrases(self, tokenize: object = None) -> list[str]:
        """Phrases as a Vosk grammar expects them: words separated by spaces.

        ``tokenize`` (text -> list of words, e.g. ``jieba.lcut``) splits Chinese into the model's words.
        """
        if tokenize is None:
            return list(self.phrases)
        return [" ".join(w for w in tokenize(p) if w.strip()) for p in self.phrases]  # type: ignore[operator]


class PhraseCorrector:
    """Replace transcript spans that sound like a catalogue phrase.

    Args:
        phrases: the phrase list.
        threshold: minimum fuzzy ratio (0-100) between phonetic keys.
        min_chars: phrases shorter than this are only matched exactly (short keys match too easily).
    """

    def __init__(
        self, phrases: PhraseList | Sequence[str], threshold: float = 82.0, min_chars: int = 2
    ) -> None:
        items = phrases.phrases if isinstance(phrases, PhraseList) else list(phrases)
        self.threshold, self.min_chars = threshold, min_chars
        self._entries = [(p, compact(p), phonetic_key(p)) for p in items if compact(p)]

    def correct(self, text: str) -> Correction:
        """Return the corrected (compacted) text and what was replaced."""
        src = compact(text)
        keys = [char_key(c) for c in src]
        candidates: list[tuple[float, int, int, str]] = []  # (score, start, end, phrase)
        span_keys: dict[tuple[int, int], str] = {}
        for phrase, plain, pkey in self._entries:
            n = len(plain)
            if n < self.min_chars:
                continue
            lengths = {n} if n <= 2 else {n - 1, n, n + 1}
            for length in lengths:
                for start in range(0, len(src) - length + 1):
                    span = src[start : start + length]
                    if span == plain:
                        candidates.append((101.0, start, start + length, phrase))
                        continue
                    skey = span_keys.get((start, length))
                    if skey is None:
                        skey = span_keys[(start, length)] = " ".join(keys[start : start + length])
                    if n <= 2:  # two characters: too many false friends, same sound only
                        score = 100.0 if skey == pkey else 0.0
                    else:
                        score = fuzz.ratio(skey, pkey)
                    if score >= self.threshold:
                        candidates.append((score + n / 100, start, start + length, phrase))
        # Greedy: best-scoring, then longest, non-overlapping spans.
        taken: list[tuple[int, int, str, float]] = []
        for score, start, end, phrase in sorted(candidates, key=lambda c: (-c[0], -(c[2] - c[1]))):
            if all(end <= s or start >= e for s, e, _, _ in taken):
                taken.append((start, end, phrase, score))
        out, pos, reps = [], 0, []
        for start, end, phrase, score in sorted(taken):
            out.append(src[pos:start])
            out.append(compact(phrase))
            if src[start:end] != compact(phrase):
                reps.append(Replacement(src[start:end], phrase, min(100.0, round(score, 1))))
            pos = end
        out.append(src[pos:])
        return Correction("".join(out), tuple(reps))


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate on compacted text (Levenshtein distance / reference length)."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = compact(reference), compact(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


def phonetic_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance between the phonetic keys (letters of toneless pinyin / Hangul jamo) / reference length.

    Kinder than ``cer`` to homophones and near-misses ("미 원시" for "민원실"): it tells how close the
    recogniser came *in sound*, which is what phonetic post-correction can build on. "[unk]" is dropped.
    """
    from rapidfuzz.distance import Levenshtein

    ref = phonetic_key(reference).replace(" ", "")
    hyp = phonetic_key(hypothesis.replace("[unk]", "")).replace(" ", "")
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


def common_characters(min_freq: int = 1000) -> list[str]:
    """Single Chinese characters at least ``min_freq`` times in jieba's dictionary (~2,000 at 1000).

    Empty when jieba is not installed. Used to warm the TTS language check and for homophone tables.
    """
    try:
        import jieba
    except ImportError:
        return []
    from pathlib import Path

    out = []
    for line in (Path(jieba.__file__).parent / "dict.txt").read_text("utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 1 and "\u4e00" <= parts[0] <= "\u9fff":
            if int(parts[1]) >= min_freq:
                out.append(parts[0])
    return out
