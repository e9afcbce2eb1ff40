"""The FastAPI app factory: ``create_app(settings=None, *, runtime=None, engine=None)``.

No app exists at import time. With neither ``runtime`` nor ``engine`` the production runtime is built
from settings when the server starts (lifespan) and closed when it stops. ``serve`` is what
``govguide serve`` calls.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.db import ApiDatabase
from api.errors import PROBLEM_JSON, ApiError, problem
from api.limits import BodySizeLimit, RateLimit, RateLimiter
from api.routes import admin, chat, forms, identity, matters
from api.runtime import Runtime, build_runtime, runtime_for_engine
from api.sync import ChangeFollower
from dialogue.engine import Engine
from dialogue.errors import DialogueError, FieldValidationError, UnknownMatterError
from govguide import __version__
from govguide.config import Settings

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")

DESCRIPTION = """GovGuide answers citizens' questions about government services from the knowledge graph
(grounded, with citations), fills forms in conversation, and lets knowledge staff curate the catalogue.

Errors are `application/problem+json` documents (RFC 9457). Citizens' endpoints need no credentials;
`/admin/*` needs a bearer token from `/auth/token` (roles: curator, admin)."""


def _problem_response(request: Request, status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    headers = extra.pop("headers", None)
    return JSONResponse(
        problem(status, title, detail, str(request.url.path), **extra),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _problem_response(request, exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return _problem_response(
            request, 422, "Unprocessable Content", "the request is invalid", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "HTTP Error")
        return _problem_response(request, exc.status_code, title, str(exc.detail))

    @app.exception_handler(UnknownMatterError)
    async def unknown_matter(request: Request, exc: UnknownMatterError) -> JSONResponse:
        return _problem_response(request, 404, "Not Found", f"matter {exc} not found")

    @app.exception_handler(FieldValidationError)
    async def field_error(request: Request, exc: FieldValidationError) -> JSONResponse:
        return _problem_response(request, 422, "Unprocessable Content", exc.message)

    @app.exception_handler(DialogueError)
    async def dialogue_error(request: Request, exc: DialogueError) -> JSONResponse:
        log.warning("dialogue error on %s: %s", request.url.path, type(exc).__name__)
        return _problem_response(
            request, 503, "Service Unavailable", "the assistant is temporarily unavailable"
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)  # the trace stays in the server log
        return _problem_response(request, 500, "Internal Server Error", "an unexpected error occurred")


def start_change_feed(rt: Runtime) -> ChangeFollower | None:
    """Follow curator edits made by other workers (only when this runtime serves curation)."""
    if rt.graph is None:
        return None
    from api.curation import Curator

    def apply(kind: str, record_id: str, deleted: bool) -> bool:
        return Curator(rt).apply_change(kind, record_id, deleted=deleted, persist=False)

    rt.follower = ChangeFollower(rt.db, apply, rt.settings.api.sync_interval_s)
    rt.follower.start()
    return rt.follower


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, engine: Engine | None = None
) -> FastAPI:
    """Build the app.

    Args:
        settings: defaults to ``Settings()`` (environment ``GOVGUIDE_*``).
        runtime: a ready runtime (tests, embedding); the caller closes it.
        engine: shortcut for a runtime around this engine with an in-memory API database.
    """
    settings = settings or Settings()
    if runtime is None and engine is not None:
        runtime = runtime_for_engine(engine, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "runtime", None) is None:
            app.state.runtime = build_runtime(settings)
            follower = start_change_feed(app.state.runtime)
            try:
                yield
            finally:
                if follower is not None:
                    follower.stop()
                app.state.runtime.close()
        else:
            yield

    app = FastAPI(title="GovGuide API", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.settings = settings
    limiter = RateLimiter(settings.api.rate_limit_per_minute)
    app.state.limiter = limiter
    _install_handlers(app)

    for r in (chat.router, identity.router, matters.router, forms.router, admin.router):
        app.include_router(r)

    @app.get("/health", tags=["ops"], summary="Liveness")
    def health() -> dict[str, Any]:
        # ``worker`` tells the server processes of one deployment apart (``api.workers``).
        return {"status": "ok", "version": __version__, "worker": os.getpid()}

    @app.get("/ready", tags=["ops"], summary="Readiness of every component")
    def ready(request: Request) -> JSONResponse:
        rt: Runtime | None = request.app.state.runtime
        checks = rt.readiness() if rt is not None else {"runtime": False}
        ok = all(v is not False for v in checks.values())
        return JSONResponse(
            {"ready": ok, "checks": checks, "worker": os.getpid()}, status_code=200 if ok else 503
        )

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/static/chat.html")

    @app.get("/console", include_in_schema=False)
    def console() -> RedirectResponse:
        return RedirectResponse("/static/console.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Middleware: last added runs first. Rate limit → body size → CORS → app.
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            allow_credentials="*" not in settings.api.cors_origins,
        )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.api.max_body_bytes,
        upload_bytes=settings.api.max_upload_bytes,
        upload_prefixes=("/admin/import",),
    )
    app.add_middleware(RateLimit, limiter=limiter, exempt_prefixes=("/static", "/health"))
    return app


def prepare_shared(settings: Settings) -> Callable[[], None]:
    """Start what all workers share, once, before they start: the embedded graph server, the embedding
    model directory and the persisted vector index (workers then reuse them instead of racing to build
    them). Returns the function that stops what was started here."""
    from dialogue.factory import build_store
    from graph.factory import build_graph_store

    # Tables first: workers creating them at the same moment can trip over each other.
    build_store(settings).close()
    ApiDatabase(settings.dialogue.db_url(settings.data_dir)).close()
    graph = build_graph_store(settings)
    server = getattr(graph, "server", None)
    try:
        if settings.api.finder == "hybrid":
            from retrieval.service import RetrievalService

            RetrievalService.from_graph(graph, settings)  # opens the saved index or builds and saves it
    finally:
        graph.close()
    return server.stop if server is not None else (lambda: None)


def serve(
    settings: Settings | None = None,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
) -> None:
    """Run the API with uvicorn (blocking); what ``govguide serve`` calls.

    With several workers (``api.workers`` or ``workers``) each process builds its own app from the
    environment (``GOVGUIDE_*``), so ``settings`` must be the environment's: that is what the CLI passes.
    """
    import uvicorn

    settings = settings or Settings()
    workers = workers or settings.api.workers
    common: dict[str, Any] = {
        "host": host or settings.api.host,
        "port": port or settings.api.port,
        "log_level": settings.log_level.lower(),
        "ws_max_size": settings.api.max_body_bytes,
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **common)
        return
    stop_shared = prepare_shared(settings)
    try:
        uvicorn.run("api.app:create_app", factory=True, workers=workers, **common)
    finally:
        stop_shared()
