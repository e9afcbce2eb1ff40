"""Matter finders: lexical (names, aliases, colloquial phrases) and an adapter for the hybrid retriever.

``LexicalMatterFinder`` needs no index or model (sub-millisecond, deterministic): it scores each matter by
the share of a surface form's character bigrams found in the question. It is the default until the
``retrieval`` service is available, and the fallback when it is not.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from dialogue.base import FinderResult, Knowledge

# Words that carry no matter identity; removed before matching so "怎么办" does not match "办".
_FILLER = re.compile(
    r"(请问|我想|我要|想要|怎么办理|怎么办|如何|需要|什么|哪些|材料|多久|多少钱|在哪里?|窗口|一下|可以|能不能)"
)


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[\s，。？！?,.!、]", "", text)
    return {t[i : i + 2] for i in range(len(t) - 1)} if len(t) > 1 else {t} if t else set()


class LexicalMatterFinder:
    """Bigram-coverage matching against each matter's name, aliases and colloquial phrases."""

    def __init__(self, knowledge: Knowledge, threshold: float = 0.5) -> None:
        self._threshold = threshold
        self._surfaces: list[tuple[str, str, set[str]]] = []
        for mid in knowledge.matter_ids():
            facts = knowledge.matter(mid)
            for surface in (facts.name, *facts.aliases, *facts.colloquial):
                grams = _bigrams(_FILLER.sub("", surface)) or _bigrams(surface)
                if grams:
                    self._surfaces.append((mid, surface, grams))

    def search(self, text: str, k: int = 5) -> FinderResult:
        grams = _bigrams(_FILLER.sub("", text))
        if not grams:
            return FinderResult(out_of_scope=True)
        best: dict[str, float] = {}
        for mid, surface, sgrams in self._surfaces:
            covered = len(sgrams & grams) / len(sgrams)
            # A full surface form inside the question is the strongest signal; longer forms win ties.
            score = covered + (0.2 if surface in text else 0.0) + 0.01 * min(len(sgrams), 10)
            if covered >= self._threshold and score > best.get(mid, 0.0):
                best[mid] = score
        hits = sorted(best.items(), key=lambda kv: -kv[1])[:k]
        norm = [(mid, round(min(1.0, s / 1.3), 3)) for mid, s in hits]
        return FinderResult(hits=norm, out_of_scope=not norm)


class _Retriever(Protocol):
    def search(self, query: str, k: int = 5, *, expand: bool = True) -> Any: ...


class RetrieverMatterFinder:
    """Adapts ``retrieval`` (HybridRetriever / RetrievalService) to ``MatterFinder``."""

    def __init__(self, retriever: _Retriever, fallback: LexicalMatterFinder | None = None) -> None:
        self._retriever = retriever
        self._fallback = fallback

    def search(self, text: str, k: int = 5) -> FinderResult:
        try:
            result = self._retriever.search(text, k, expand=False)
        except Exception:  # noqa: BLE001 - a turn never crashes; the lexical finder answers instead
            if self._fallback is None:
                return FinderResult(out_of_scope=True)
            return self._fallback.search(text, k)
        top = max((m.score for m in result.matters), default=1.0) or 1.0
        hits = [
            (m.matter_id, round(float(m.score) / top * float(result.confidence), 3)) for m in result.matters
        ]
        return FinderResult(hits=hits[:k], out_of_scope=bool(result.out_of_scope))
