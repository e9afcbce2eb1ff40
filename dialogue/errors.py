"""Errors of the dialogue package.

Exception tree::

    DialogueError
    ├── FieldValidationError   a form value failed its validator (carries a citizen-facing message)
    ├── StoreError             the session/draft/case database failed
    ├── UnknownMatterError     a matter id not in the knowledge base
    └── LLMError               the configured chat model failed or timed out (the engine falls back)
"""

from __future__ import annotations


class DialogueError(Exception):
    """Root of every error raised by ``dialogue``."""


class FieldValidationError(DialogueError):
    """A value failed a form-field validator; ``message`` is shown to the citizen."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StoreError(DialogueError):
    """The dialogue database failed (wraps SQLAlchemy errors)."""


class UnknownMatterError(DialogueError):
    """A matter id that the knowledge base does not hold."""


class LLMError(DialogueError):
    """The chat model failed, timed out or returned nothing usable."""
