"""Entity linking: which catalogue entities a question names, exactly, by alias, fuzzily or by pattern.

Handles matter / department / theme (life event) / bundle / location names and aliases, and window ids in
the forms citizens type or a recogniser produces:
"B01", "b1", "Ｂ０１", "B-01", "B01号窗口", "B零一", "b 一号".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain

from rapidfuzz import fuzz, process

from retrieval.base import EntityLink

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "洞": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_WINDOW = re.compile(
    r"(?<![a-z])([a-z])\s*[-_]?\s*([0-9]{1,2}|[零〇洞一幺二两三四五六七八九十]{1,3})(?![0-9])\s*(?:号)?"
)
_PUNCT = re.compile(r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20!-/:-@\[-`{-~，。？！、；：“”‘’（）《》…—]+")


def normalize(text: str) -> str:
    """NFKC, lowercase, punctuation and spaces removed (what surfaces are matched on)."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


def _cn_number(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    if s == "十":
        return 10
    if "十" in s:
        head, _, tail = s.partition("十")
        tens = _CN_DIGITS.get(head, 1) if head else 1
        ones = _CN_DIGITS.get(tail, 0) if tail else 0
        return tens * 10 + ones
    if all(c in _CN_DIGITS for c in s):
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    return None


def _min_shared(text: str) -> int:
    """Distinct characters a string must share with another for a partial_ratio >= ~86.

    partial_ratio aligns the shorter string (length L) with a window of the longer; even counting the
    shorter edge windows, a score >= 86 needs >= ~0.75 L matched characters. We require 0.7 L minus
    the repeated characters (a conservative bound), and at least 1.
    """
    return max(1, int(0.7 * len(text)) - (len(text) - len(set(text))))


@dataclass(frozen=True)
class EntityName:
    """One linkable entity: its kind, id, official name and the other names people use."""

    kind: str
    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass
class EntityLinker:
    """Links entities in a query; build once per catalogue (``EntityLinker.from_names``)."""

    fuzzy_threshold: float = 86.0
    min_fuzzy_len: int = 4
    _surfaces: dict[str, list[tuple[EntityName, str]]] = field(default_factory=dict)
    _windows: dict[str, EntityName] = field(default_factory=dict)
    _fuzzy_keys: list[str] = field(default_factory=list)
    _key_lengths: list[int] = field(default_factory=list)
    _by_char: dict[str, set[str]] = field(default_factory=dict)  # character -> fuzzy keys containing it
    _need: dict[str, int] = field(default_factory=dict)  # fuzzy key -> _min_shared(key)

    @classmethod
    def from_names(cls, names: Iterable[EntityName], **kwargs: float) -> EntityLinker:
        linker = cls(**kwargs)  # type: ignore[arg-type]
        for n in names:
            linker.add(n)
        return linker

    def add(self, entity: EntityName) -> None:
        """Register (or re-register) one entity."""
        self.remove(entity.kind, entity.id)
        if entity.kind == "window":
            self._windows[entity.id.upper()] = entity
        for surface, method in [(entity.name, "exact"), *((a, "alias") for a in entity.aliases)]:
            key = normalize(surface)
            if len(key) >= 2:
                self._surfaces.setdefault(key, []).append((entity, method))
        self._reindex()

    def _reindex(self) -> None:
        self._fuzzy_keys = [k for k in self._surfaces if len(k) >= self.min_fuzzy_len]
        self._key_lengths = sorted({len(k) for k in self._surfaces})
        self._by_char = {}
        self._need = {k: _min_shared(k) for k in self._fuzzy_keys}
        for k in self._fuzzy_keys:
            for c in set(k):
                self._by_char.setdefault(c, set()).add(k)

    def remove(self, kind: str, entity_id: str) -> None:
        """Forget one entity (curator deleted it)."""
        if kind == "window":
            self._windows.pop(entity_id.upper(), None)
        for key in list(self._surfaces):
            kept = [(e, m) for e, m in self._surfaces[key] if not (e.kind == kind and e.id == entity_id)]
            if kept:
                self._surfaces[key] = kept
            else:
                del self._surfaces[key]
        self._reindex()

    def link(self, query: str, *, fuzzy: bool = True) -> list[EntityLink]:
        """Entities mentioned in ``query``, best first (one link per entity, its strongest evidence)."""
        q = normalize(query)
        best: dict[tuple[str, str], EntityLink] = {}

        def keep(link: EntityLink) -> None:
            key = (link.kind, link.id)
            if key not in best or link.score > best[key].score:
                best[key] = link

        for w in self._window_ids(query):
            e = self._windows[w]
            keep(EntityLink("window", e.id, e.name, w, "pattern", 1.0))
        exact_spans: list[str] = []
        if q:
            # Every substring of the query with the length of some surface, looked up: the same set as
            # "each surface contained in q", in O(len(q) x #lengths) instead of O(#surfaces).
            present = dict.fromkeys(q[i : i + n] for n in self._key_lengths for i in range(len(q) - n + 1))
            for key in present:
                entities = self._surfaces.get(key)
                if entities:
                    exact_spans.append(key)
                    for e, method in entities:
                        # Longer surfaces are more specific: "营业执照变更" beats "执照".
                        score = (1.0 if method == "exact" else 0.9) * min(1.0, 0.6 + 0.1 * len(key))
                        keep(EntityLink(e.kind, e.id, e.name, key, method, round(score, 4)))
        if fuzzy and len(q) >= self.min_fuzzy_len and self._fuzzy_keys:
            # A surface that fuzzily matches at >= ~86% shares most of its characters with the query;
            # scoring only surfaces sharing enough distinct characters (``_min_shared``) skips most of
            # the catalogue without changing the result.
            shared = Counter(chain.from_iterable(self._by_char.get(c, ()) for c in set(q)))
            need_q = _min_shared(q)
            need = self._need
            pool = sorted(k for k, n in shared.items() if n >= min(need[k], need_q))
            for key, ratio, _ in process.extract(
                q, pool, scorer=fuzz.partial_ratio, limit=8, score_cutoff=self.fuzzy_threshold
            ):
                if key in q or any(key in s for s in exact_spans):
                    continue
                for e, _method in self._surfaces[key]:
                    keep(EntityLink(e.kind, e.id, e.name, key, "fuzzy", round(0.8 * ratio / 100, 4)))
        return sorted(best.values(), key=lambda link: (-link.score, link.kind, link.id))

    def _window_ids(self, query: str) -> list[str]:
        text = unicodedata.normalize("NFKC", query).lower()
        found: list[str] = []
        for m in _WINDOW.finditer(text):
            num = _cn_number(m.group(2))
            if num is None:
                continue
            wid = f"{m.group(1).upper()}{num:02d}"
            if wid in self._windows and wid not in found:
                found.append(wid)
        return found


def entity_names_from_rows(rows: Sequence[object]) -> list[EntityName]:
    """Adapt rows with kind/label, id, name, aliases (dicts or objects) to ``EntityName``."""
    out: list[EntityName] = []
    for r in rows:
        get = r.get if isinstance(r, dict) else lambda k, d=None, r=r: getattr(r, k, d)
        kind = str(get("kind") or get("label") or "").lower()
        aliases = tuple(a for a in (get("aliases") or []) if a) + tuple(
            a for a in (get("colloquial") or []) if a
        )
        out.append(EntityName(kind, str(get("id")), str(get("name") or ""), aliases))
    return out
