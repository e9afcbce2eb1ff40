"""The FastAPI app factory: ``create_app(settings=None, *, runtime=None, engine=None)``.

No app exists at import time. With neither ``runtime`` nor ``engine`` the production runtime is built
from settings when the server starts (lifespan) and closed when it stops. ``serve`` is what
``govguide serve`` calls.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import PROBLEM_JSON, ApiError, problem
from api.limits import BodySizeLimit, RateLimit, RateLimiter
from api.routes import admin, chat, forms, matters
from api.runtime import Runtime, build_runtime, runtime_for_engine
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
            try:
                yield
            finally:
                app.state.runtime.close()
        else:
            yield

    app = FastAPI(title="GovGuide API", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.settings = settings
    limiter = RateLimiter(settings.api.rate_limit_per_minute)
    app.state.limiter = limiter
    _install_handlers(app)

    for r in (chat.router, matters.router, forms.router, admin.router):
        app.include_router(r)

    @app.get("/health", tags=["ops"], summary="Liveness")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/ready", tags=["ops"], summary="Readiness of every component")
    def ready(request: Request) -> JSONResponse:
        rt: Runtime | None = request.app.state.runtime
        checks = rt.readiness() if rt is not None else {"runtime": False}
        ok = all(v is not False for v in checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

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


def serve(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> None:
    """Run the API with uvicorn (blocking); what ``govguide serve`` calls."""
    import uvicorn

    settings = settings or Settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_level=settings.log_level.lower(),
        ws_max_size=settings.api.max_body_bytes,
    )
