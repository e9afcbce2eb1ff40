"""Corpus errors.

CorpusError
 └── CorpusValidationError   malformed file, schema violation or dangling reference (carries problems)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CorpusProblem:
    """One problem found in a corpus file."""

    file: str
    record: int | None  # index of the record in the file's list
    record_id: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.record is not None:
            where += f" [record {self.record}"
            where += f" {self.record_id}]" if self.record_id else "]"
        elif self.record_id:
            where += f" [{self.record_id}]"
        return f"{where}: {self.message}"


class CorpusError(Exception):
    """Root of corpus errors."""


class CorpusValidationError(CorpusError):
    """The corpus is invalid; nothing was written anywhere."""

    def __init__(self, problems: list[CorpusProblem]):
        self.problems = problems
        head = f"{len(problems)} problem(s) in the corpus"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in problems[:50]))
