"""Retrieval errors.

RetrievalError
 ├── ModelBuildError          the embedding model could not be built or loaded
 ├── VectorIndexError         the vector index is missing, corrupt or cannot be written
 │    └── IndexVersionMismatch  the persisted index was built from another corpus version / model
 └── UnknownRecordError       an incremental edit names a record the graph does not hold
"""

from __future__ import annotations


class RetrievalError(Exception):
    """Root of retrieval errors."""


class ModelBuildError(RetrievalError):
    """The embedding model could not be built from the installed package or loaded from its directory."""


class VectorIndexError(RetrievalError):
    """The vector index is missing, corrupt or cannot be written."""


class IndexVersionMismatch(VectorIndexError):
    """The persisted index does not match the corpus version or the embedding model."""

    def __init__(self, expected: dict[str, object], found: dict[str, object]):
        self.expected = expected
        self.found = found
        super().__init__(f"index manifest mismatch: expected {expected}, found {found}")


class UnknownRecordError(RetrievalError):
    """An incremental edit names a record kind or id that the catalogue does not hold."""
