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
# Question words and aspect words ("要钱吗", "带什么") name no matter: matching ignores them, so an elliptical
# "那要钱吗" finds nothing and the matter in context is kept.
_FILLER = re.compile(
    r"(请问|我想|我要|想要|怎么办理|怎么办|如何|需要|什么|哪些|材料|多久|多少钱|在哪里?|窗口|一下|可以|能不能"
    r"|要钱|收费|费用|免费|要带|带啥|准备|网上|线上|哪里办|去哪|多长时间|几天|可不可以|是不是|有没有|能办|办"
    r"|^那么?|吗|呢|啊)"
)


_ELLIPSIS = re.compile(r"^(那么|那|还有|再问一下)|(呢|吗|啊|的话)$")


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
        # The question's core without ellipsis particles ("那离婚呢" -> "离婚") may name a matter briefly.
        core = _ELLIPSIS.sub("", re.sub(r"[\s，。？！?,.!、]", "", _FILLER.sub("", text)))
        best: dict[str, float] = {}
        for mid, surface, sgrams in self._surfaces:
            shared = len(sgrams & grams)
            # One shared bigram is chance ("能办") unless it is the whole surface form ("护照").
            covered = shared / len(sgrams) if shared >= 2 or shared == len(sgrams) else 0.0
            # F1 of "surface covered" and "question covered", so "社保卡丢了" prefers "社保卡丢了咋补" over
            # "社保卡"; a full surface form inside the question adds a bonus; longer forms win ties.
            precision = shared / len(grams)
            f1 = 2 * covered * precision / (covered + precision) if covered and precision else 0.0
            score = f1 + (0.2 if surface in text else 0.0) + 0.01 * min(len(sgrams), 10)
            if covered < self._threshold and 2 <= len(core) <= 6 and core in surface:
                covered = self._threshold
                score = 0.6 + 0.2 * len(core) / len(surface)  # shorter (more specific) surfaces first
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
        # Fused scores are unbounded (and can be negative): scale by the best one, clamp to [0, 1].
        top = max((m.score for m in result.matters), default=1.0)
        top = top if top > 0 else 1.0
        conf = min(1.0, max(0.0, float(result.confidence)))
        hits = [
            (m.matter_id, round(min(1.0, max(0.0, float(m.score) / top)) * conf, 3)) for m in result.matters
        ]
        return FinderResult(hits=hits[:k], out_of_scope=bool(result.out_of_scope))
