"""Write curator edits back into the corpus YAML files, the source of truth ``govguide ingest`` loads.

A change is the upsert or the delete of one record of one kind; ``corpus.yaml_edit`` splices only that
record's text into its file (the rest of the file, comments included, is kept byte for byte). New records
go beside their closest relatives (``place_new``).

Before anything is written, the whole corpus with the change applied is validated by
``corpus.loader.load_corpus`` with the changed files' text as overrides (schema, duplicate ids, every
cross-reference); an invalid result raises ``CorpusValidationError`` and no file changes. The loader's
parse cache is keyed by file content, so an edit re-parses only the files that changed.

Files are replaced atomically (temporary file in the same folder, fsync, rename) while an exclusive
``flock`` on the corpus directory is held, so API workers editing at once serialise their
read-modify-write. ``CorpusWriter.apply(changes, commit=...)`` runs the caller's commit (the graph
transaction) under the same lock, after the files are written; if the commit raises, the files are
restored and the error propagates, so the files are never behind the graph.

Errors::

    CorpusError                  (corpus.errors)
     ├── CorpusValidationError   the change would make the corpus invalid (nothing written)
     └── CorpusWriteError        unknown kind, unsupported file layout, lock timeout, I/O failure
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from corpus.loader import LIST_DIRS, LIST_FILES, Corpus, corpus_files, corpus_version, load_corpus, parse_yaml
from corpus.models import (
    FAQ,
    Bundle,
    Department,
    Form,
    Material,
    Matter,
    Policy,
    Situation,
    Theme,
    Window,
)
from corpus.yaml_edit import CorpusWriteError, splice

# kind (singular, as the curation API names it) -> model; the loader maps the model to its file or folder.
KIND_MODELS: dict[str, type[BaseModel]] = {
    "department": Department,
    "window": Window,
    "theme": Theme,
    "bundle": Bundle,
    "material": Material,
    "situation": Situation,
    "form": Form,
    "matter": Matter,
    "faq": FAQ,
    "policy": Policy,
}
log = logging.getLogger(__name__)
CURATED_FILE = "curated.yaml"  # new records that fit no existing file


@dataclass(frozen=True)
class RecordChange:
    """Upsert (``record`` set) or delete (``record`` None) of one record."""

    kind: str
    record_id: str
    record: BaseModel | None = None
    # Delete only: also drop the id from other records' lists (see ``detach_changes``).
    detach: bool = False

    @classmethod
    def upsert(cls, kind: str, record: BaseModel) -> RecordChange:
        return cls(kind, str(record.id), record)  # type: ignore[attr-defined]

    @classmethod
    def delete(cls, kind: str, record_id: str, *, detach: bool = False) -> RecordChange:
        return cls(kind, record_id, None, detach)


@dataclass
class WriteResult:
    """What a write changed: files, record positions (citation sources) and corpus versions."""

    corpus: Corpus | None  # the validated corpus after the change (None when no file changed)
    files: list[str] = field(default_factory=list)  # relative paths written
    # record id -> "file.yaml#index" for the changed records and every record whose index moved
    sources: dict[str, str] = field(default_factory=dict)
    version_before: str = ""
    version_after: str = ""


# ------------------------------------------------------------------------------------------ checking
def check_corpus(root: Path, overrides: Mapping[str, str] | None = None) -> Corpus:
    """Validate the corpus directory with some files' text replaced (``load_corpus`` with overrides).

    Raises:
        CorpusValidationError: every problem found (file, record, line, message).
    """
    return load_corpus(Path(root), overrides)


def _text(root: Path, rel: str, overrides: Mapping[str, str]) -> str:
    return overrides[rel] if rel in overrides else (root / rel).read_text(encoding="utf-8")


def _kind_files(root: Path, kind: str, texts: Mapping[str, str]) -> list[str]:
    model = KIND_MODELS[kind]
    for name, m in LIST_FILES.items():
        if m is model:
            return [name]
    return [rel for rel, m in corpus_files(root, texts) if m is model]


def _records(root: Path, rel: str, texts: Mapping[str, str]) -> list[dict[str, Any]]:
    """Raw records of a file (empty when missing or unreadable: placing must not fail on a broken file)."""
    try:
        data, _ = parse_yaml(_text(root, rel, texts))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def _locate(root: Path, kind: str, record_id: str, texts: Mapping[str, str]) -> str | None:
    for rel in _kind_files(root, kind, texts):
        if any(str(r.get("id")) == record_id for r in _records(root, rel, texts)):
            return rel
    return None


def _most(counts: Mapping[str, int]) -> str | None:
    """The file with the highest count (the first in loader order on a tie), None when all are 0."""
    best = max(counts.items(), key=lambda kv: kv[1], default=None)
    return best[0] if best and best[1] > 0 else None


def place_new(root: Path, kind: str, record: BaseModel, texts: Mapping[str, str] | None = None) -> str:
    """The file a new record goes to: beside its closest relatives, else ``<folder>/curated.yaml``.

    Matters go to the file holding most matters of their department; FAQs and policies to the file
    holding most FAQs/policies about the same matters, else to the file named like those matters' file
    (``faqs/ga_hrss.yaml`` beside ``matters/ga_hrss.yaml``); other kinds to the file holding most ids with
    the same prefix (``hrss.mat.*``). Single-file kinds (windows, departments, ...) use their file.
    """
    texts = texts or {}
    files = _kind_files(root, kind, texts)
    if files and files[0] in LIST_FILES:
        return files[0]
    folder = next(f for f, m in LIST_DIRS.items() if m is KIND_MODELS[kind])
    counts: dict[str, int] = {}
    if isinstance(record, Matter):
        for rel in files:
            counts[rel] = sum(r.get("department") == record.department for r in _records(root, rel, texts))
    elif isinstance(record, FAQ | Policy):
        wanted = set(record.matters)
        for rel in files:
            counts[rel] = sum(bool(wanted & set(r.get("matters") or [])) for r in _records(root, rel, texts))
        if _most(counts) is None:
            home = next((m for m in record.matters if _locate(root, "matter", m, texts)), None)
            if home is not None:
                return f"{folder}/{Path(str(_locate(root, 'matter', home, texts))).name}"
    if _most(counts) is None:
        prefix = str(record.id).rpartition(".")[0] + "."  # type: ignore[attr-defined]
        for rel in files:
            counts[rel] = sum(str(r.get("id", "")).startswith(prefix) for r in _records(root, rel, texts))
    return _most(counts) or f"{folder}/{CURATED_FILE}"


# Lists that name a record of another kind and lose the name when that record goes (as the graph's
# DETACH DELETE drops the relationship): deleted kind -> [(kind holding the list, list field)].
DETACHABLE: dict[str, list[tuple[str, str]]] = {
    "matter": [("bundle", "matters"), ("faq", "matters"), ("policy", "matters")],
    "window": [("bundle", "windows")],
}


def detach_changes(
    root: Path, kind: str, record_id: str, texts: Mapping[str, str] | None = None
) -> list[RecordChange]:
    """Upserts that drop ``record_id`` from the lists of other records, to go with its deletion.

    A record the removal would leave invalid (an FAQ about that matter only, a bundle left with one
    matter) is not changed: the corpus check then refuses the deletion and names it.
    """
    out: list[RecordChange] = []
    for holder, list_field in DETACHABLE.get(kind, []):
        model = KIND_MODELS[holder]
        for rel in _kind_files(root, holder, texts or {}):
            for raw in _records(root, rel, texts or {}):
                names = raw.get(list_field)
                if not isinstance(names, list) or record_id not in names:
                    continue
                try:
                    rec = model.model_validate({**raw, list_field: [n for n in names if n != record_id]})
                except ValidationError:
                    continue
                out.append(RecordChange.upsert(holder, rec))
    return out


# ------------------------------------------------------------------------------------------ writing
def _atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: temporary file in the same folder, fsync, rename, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def corpus_writable(root: Path) -> bool:
    """Whether edits can be written back (the directory must allow creating the temporary files)."""
    root = Path(root)
    return root.is_dir() and os.access(root, os.W_OK | os.X_OK)


class CorpusWriter:
    """Applies record changes to a corpus directory (see the module docstring for the guarantees)."""

    def __init__(self, root: Path, *, lock_timeout_s: float = 30.0) -> None:
        self.root = Path(root)
        self.lock_timeout_s = lock_timeout_s

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive ``flock`` on the corpus directory (per open, so threads of one process exclude too).

        Raises:
            CorpusWriteError: not acquired within ``lock_timeout_s``, or the directory cannot be opened.
        """
        try:
            fd = os.open(self.root, os.O_RDONLY)
        except OSError as e:
            raise CorpusWriteError(f"cannot open corpus directory {self.root}: {e}") from e
        try:
            deadline = time.monotonic() + self.lock_timeout_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise CorpusWriteError(
                            f"corpus directory {self.root} is locked by another edit"
                            f" (waited {self.lock_timeout_s} s)"
                        ) from None
                    time.sleep(0.02)
            yield
        finally:
            os.close(fd)  # releases the lock

    def plan(self, changes: Sequence[RecordChange]) -> tuple[dict[str, str], dict[str, str | None]]:
        """New text of every file the changes touch, and each one's current text (None: no such file yet).

        Reads the files but writes nothing and takes no lock (``apply`` holds it around its call).

        Raises:
            CorpusWriteError: unknown kind or a file layout the splicer cannot edit.
        """
        new: dict[str, str] = {}
        old: dict[str, str | None] = {}
        todo = list(changes)
        for ch in todo:  # grows while iterating: a detaching delete appends its list edits
            if ch.kind not in KIND_MODELS:
                raise CorpusWriteError(f"unknown record kind {ch.kind!r} (one of {', '.join(KIND_MODELS)})")
            if ch.record is None and ch.detach:
                todo += detach_changes(self.root, ch.kind, ch.record_id, new)
            rel = _locate(self.root, ch.kind, ch.record_id, new)
            if rel is None and ch.record is None:
                continue  # not in the files (e.g. created while write-back was off): nothing to remove
            if rel is None:
                assert ch.record is not None
                rel = place_new(self.root, ch.kind, ch.record, new)
            if rel not in old:
                path = self.root / rel
                try:
                    old[rel] = path.read_text(encoding="utf-8") if path.exists() else None
                except (OSError, UnicodeDecodeError) as e:
                    raise CorpusWriteError(f"cannot read {rel}: {e}") from e
            try:
                new[rel] = splice(new.get(rel, old[rel] or ""), ch.record_id, ch.record, KIND_MODELS[ch.kind])
            except yaml.YAMLError as e:
                raise CorpusWriteError(f"{rel} is not valid YAML; fix it by hand first: {e}") from e
            except CorpusWriteError as e:
                raise CorpusWriteError(f"{rel}: {e}") from e
        return {r: t for r, t in new.items() if t != old[r]}, old

    def check(self, changes: Sequence[RecordChange]) -> Corpus:
        """Validate the corpus as it would be after the changes, writing nothing.

        Raises:
            CorpusValidationError, CorpusWriteError
        """
        new, _ = self.plan(changes)
        return check_corpus(self.root, new)

    def apply(
        self, changes: Sequence[RecordChange], commit: Callable[[WriteResult], None] | None = None
    ) -> WriteResult:
        """Validate, write the files, then run ``commit`` — all under the directory lock.

        If ``commit`` raises, every written file is restored (new files removed) and the error propagates.

        Raises:
            CorpusValidationError: the corpus would be invalid; nothing was written, commit not called.
            CorpusWriteError: see ``plan``; lock timeout; a file could not be written (files restored).
        """
        with self.locked():
            new, old = self.plan(changes)
            if not new:
                result = WriteResult(corpus=None)
                if commit is not None:
                    commit(result)
                return result
            corpus = check_corpus(self.root, new)
            result = WriteResult(corpus=corpus, files=sorted(new), version_before=corpus_version(self.root))
            result.sources = self._moved(new, old, corpus, changes)
            written: list[str] = []
            created_dirs = [d for d in {(self.root / r).parent for r in new} if not d.exists()]
            try:
                for rel in result.files:
                    written.append(rel)
                    _atomic_write(self.root / rel, new[rel])
                result.version_after = corpus_version(self.root)
            except OSError as e:
                self._restore(written, old, created_dirs)
                raise CorpusWriteError(f"cannot write the corpus files: {e}") from e
            try:
                if commit is not None:
                    commit(result)
            except BaseException:
                self._restore(written, old, created_dirs)
                raise
            return result

    def _moved(
        self,
        new: Mapping[str, str],
        old: Mapping[str, str | None],
        corpus: Corpus,
        changes: Sequence[RecordChange],
    ) -> dict[str, str]:
        targets = {c.record_id for c in changes if c.record is not None}
        out: dict[str, str] = {}
        for rel in new:
            before = {
                str(r.get("id")): i for i, r in enumerate(_records(self.root, rel, {rel: old[rel] or ""}))
            }
            for i, r in enumerate(_records(self.root, rel, new)):
                rid = str(r.get("id"))
                if rid in targets or before.get(rid) != i:
                    out[rid] = corpus.sources.get(rid, f"{rel}#{i}")
        return out

    def _restore(self, written: list[str], old: Mapping[str, str | None], created_dirs: list[Path]) -> None:
        """Put back the files as they were; a failure here is logged, the caller's error propagates."""
        for rel in written:
            text = old[rel]
            try:
                if text is None:
                    (self.root / rel).unlink(missing_ok=True)
                else:
                    _atomic_write(self.root / rel, text)
            except OSError as e:
                # The file keeps the edit the graph does not have: the next ingest would apply it.
                log.error("could not restore %s after a failed edit: %s", self.root / rel, e)
        for d in created_dirs:
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
