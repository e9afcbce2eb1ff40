"""Errors of the API package and their JSON problem-details form (RFC 9457).

Exception tree::

    ApiError                 root; carries an HTTP status and a title
    ├── NotFound             404: unknown matter, session form, record, question
    ├── Conflict             409: the request cannot apply in the current state (form incomplete …)
    ├── Unauthorized         401: missing or invalid credentials
    ├── Forbidden            403: authenticated but the role does not allow it
    ├── PayloadTooLarge      413: body over the configured limit
    ├── RateLimited          429: too many requests from one client
    ├── Unavailable          503: a backend (graph, index, PDF renderer) is not available
    └── CurationError        422: a curator edit failed validation (nothing was written)

Handlers in ``api.app`` map these, the dialogue/graph/retrieval roots and any other exception to
``application/problem+json``; a stack trace never reaches the client.
"""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"


class ApiError(Exception):
    """Root of the API errors; ``status``/``title`` become the problem document."""

    status = 500
    title = "Internal Server Error"

    def __init__(self, detail: str = "", *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = dict(extra or {})


class NotFound(ApiError):
    status, title = 404, "Not Found"


class Conflict(ApiError):
    status, title = 409, "Conflict"


class Unauthorized(ApiError):
    status, title = 401, "Unauthorized"


class Forbidden(ApiError):
    status, title = 403, "Forbidden"


class PayloadTooLarge(ApiError):
    status, title = 413, "Payload Too Large"


class RateLimited(ApiError):
    status, title = 429, "Too Many Requests"


class Unavailable(ApiError):
    status, title = 503, "Service Unavailable"


class CurationError(ApiError):
    status, title = 422, "Invalid Curation Edit"


def problem(status: int, title: str, detail: str, instance: str = "", **extra: Any) -> dict[str, Any]:
    """A problem-details body; ``type`` stays about:blank (the status and title say it all)."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body
