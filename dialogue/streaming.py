"""Sentence streaming of LLM answers: each sentence is grounding-checked before it leaves the engine.

The model's tokens are buffered up to a sentence end; a sentence with an ungrounded material, window,
time limit or fee (or a configuration leak) is dropped and flagged, the others are emitted at once. So
the first grounded sentence reaches the citizen while the model is still writing the rest.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

from dialogue.answer import Evidence
from dialogue.errors import LLMError
from dialogue.grounding import off_reference, reference_pairs, sentence_problems
from dialogue.safety import leaks_config

_END = re.compile(r"[。！？!?\n]")


@runtime_checkable
class StreamingChatModel(Protocol):
    """A ``ChatModel`` that can also yield its answer in pieces."""

    def complete(self, system: str, user: str, timeout_s: float) -> str: ...

    def stream(self, system: str, user: str, timeout_s: float) -> Iterator[str]: ...


def stream_grounded(
    chat: StreamingChatModel,
    system: str,
    user: str,
    timeout_s: float,
    ev: Evidence,
    materials: set[str],
    secrets: list[str],
    sink: Callable[[str], None],
    reference: str | None = None,
) -> tuple[str, list[str]]:
    """Stream, check and emit sentence by sentence; returns (kept text, flagged claims).

    ``reference`` (evidence + draft + question) also drops sentences that stray from it (see
    ``dialogue.grounding``).

    Raises:
        LLMError: the stream failed before any sentence was emitted (the caller falls back).
    """
    kept: list[str] = []
    flagged: list[str] = []
    ref = reference_pairs(reference) if reference is not None else None

    def take(sentence: str) -> None:
        if not sentence.strip():
            return
        if leaks_config(sentence, secrets):
            flagged.append("配置泄露")
            return
        problems = sentence_problems(sentence, ev, materials)
        if not problems and ref is not None and off_reference(sentence, ref):
            problems = [f"离题:{sentence.strip()[:20]}"]
        if problems:
            flagged.extend(problems)
            return
        kept.append(sentence)
        sink(sentence)

    buf = ""
    try:
        for chunk in chat.stream(system, user, timeout_s):
            buf += chunk
            while (m := _END.search(buf)) is not None:
                take(buf[: m.end()])
                buf = buf[m.end() :]
        take(buf)
    except LLMError:
        if not kept:
            raise
        flagged.append("中断")  # keep what was already said and grounded
    return "".join(kept).strip(), flagged


def stream_with_deadline(produce: Callable[[], Iterator[Any]], timeout_s: float) -> Iterator[Any]:
    """Run a blocking chunk iterator in a worker thread; raise ``LLMError`` past the overall deadline."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            for item in produce():
                q.put(("item", item))
        except Exception as e:  # noqa: BLE001 - handed to the consumer as LLMError
            q.put(("error", e))
        q.put(("done", None))

    threading.Thread(target=work, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LLMError(f"chat model stream timed out after {timeout_s:.1f}s")
        try:
            kind, value = q.get(timeout=remaining)
        except queue.Empty:
            raise LLMError(f"chat model stream timed out after {timeout_s:.1f}s") from None
        if kind == "done":
            return
        if kind == "error":
            raise LLMError(f"chat model stream failed: {value}") from value
        yield value
