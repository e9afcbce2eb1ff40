"""Fakes and fixtures shipped with the package: a scripted matter finder, a scripted chat model, and the
small dialogue evaluation catalogue assembled into a corpus directory."""

from __future__ import annotations

import shutil
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from dialogue.base import FinderResult
from dialogue.errors import LLMError

REPO = Path(__file__).resolve().parent.parent
DIALOGUE_CATALOGUE = REPO / "tests" / "data" / "dialogue"


def assemble_corpus_dir(dest: Path, base: Path | None = None, extra: Path = DIALOGUE_CATALOGUE) -> Path:
    """Build a corpus directory from the centre's shared records (departments, windows, lobby, themes,
    common materials and situations) plus the small dialogue catalogue (matters, forms, bundles)."""
    base = base or REPO / "corpus" / "data"
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("departments.yaml", "windows.yaml", "lobby.yaml", "themes.yaml"):
        shutil.copy(base / name, dest / name)
    for kind in ("materials", "situations", "matters", "forms"):
        (dest / kind).mkdir(exist_ok=True)
    shutil.copy(base / "materials" / "common.yaml", dest / "materials" / "common.yaml")
    shutil.copy(base / "situations" / "common.yaml", dest / "situations" / "common.yaml")
    shutil.copy(extra / "materials.yaml", dest / "materials" / "dtest.yaml")
    shutil.copy(extra / "matters.yaml", dest / "matters" / "dtest.yaml")
    shutil.copy(extra / "forms.yaml", dest / "forms" / "dtest.yaml")
    shutil.copy(extra / "bundles.yaml", dest / "bundles.yaml")
    return dest


class FakeMatterFinder:
    """Returns a fixed result per exact text (else out of scope); records the queries it saw."""

    def __init__(self, results: dict[str, FinderResult] | None = None) -> None:
        self.results = dict(results or {})
        self.queries: list[str] = []

    def search(self, text: str, k: int = 5) -> FinderResult:
        self.queries.append(text)
        return self.results.get(text, FinderResult(out_of_scope=True))


class FakeChatModel:
    """A ``ChatModel`` answering from a queue; enqueue an exception to simulate a failure."""

    def __init__(self) -> None:
        self._queue: deque[str | Exception] = deque()
        self.history: list[tuple[str, str]] = []

    def enqueue(self, item: str | Exception) -> None:
        self._queue.append(item)

    def complete(self, system: str, user: str, timeout_s: float) -> str:
        self.history.append((system, user))
        if not self._queue:
            raise LLMError("no scripted completion left")
        item = self._queue.popleft()
        if isinstance(item, Exception):
            raise LLMError(str(item)) from item
        return item

    def stream(self, system: str, user: str, timeout_s: float) -> Iterator[str]:
        """The next scripted completion, a few characters at a time."""
        text = self.complete(system, user, timeout_s)
        for i in range(0, len(text), 4):
            yield text[i : i + 4]
