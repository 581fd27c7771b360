"""Every error leaves the API as ``{"error": {"code", "message"}}`` with its HTTP status.

``model.errors`` defines the classes and their codes; this is the one place they meet HTTP.
"""

from __future__ import annotations

import logging
from typing import Any

from apiflask import APIFlask, HTTPError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from model.errors import (
    Conflict,
    CoverscopeError,
    InvalidInput,
    ModelError,
    NotFound,
    Overloaded,
    SourceUnavailable,
    StorageUnavailable,
    TooLarge,
    Unauthorized,
    UndecodableAudio,
)

log = logging.getLogger(__name__)

STATUS: dict[type[CoverscopeError], int] = {
    CoverscopeError: 500,
    InvalidInput: 400,
    UndecodableAudio: 422,
    SourceUnavailable: 422,
    TooLarge: 413,
    NotFound: 404,
    Conflict: 409,
    Unauthorized: 401,
    Overloaded: 429,
    StorageUnavailable: 503,
    ModelError: 500,
}
"""The HTTP status of each error class; a subclass not listed takes its nearest parent's."""


def http_status(exc: CoverscopeError) -> int:
    return next(STATUS[cls] for cls in type(exc).__mro__ if cls in STATUS)


HTTP_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "invalid_input",
    422: "invalid_input",
    429: "overloaded",
    503: "storage_unavailable",
}


INTERNAL = "internal_error"


def error_codes() -> list[str]:
    """Every ``code`` an error body can carry: each ``CoverscopeError`` class's (subclasses
    included), the plain HTTP errors' and the unexpected error's."""
    codes = set(HTTP_CODES.values()) | {INTERNAL, "error"}
    pending: list[type[CoverscopeError]] = [CoverscopeError]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    return sorted(codes)


def body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


LOCATIONS = {"json", "query", "form", "files", "form_and_files", "headers"}


def _validation_message(detail: Any) -> str:
    """Flatten marshmallow's nested error dict into one readable sentence."""
    parts: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                name = "" if key in LOCATIONS else str(key)
                walk(sub, f"{path}.{name}" if path and name else path or name)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            parts.append(f"{path}: {' '.join(value)}" if path else " ".join(value))
        else:
            parts.append(f"{path}: {value}" if path else str(value))

    walk(detail, "")
    return "; ".join(parts) or "Invalid input."


def register(app: APIFlask) -> None:
    @app.errorhandler(CoverscopeError)
    def coverscope_error(exc: CoverscopeError) -> tuple[dict[str, Any], int, dict[str, str]]:
        status = http_status(exc)
        if status >= 500:
            log.warning("%s: %s", exc.code, exc.message)
        headers = {}
        if isinstance(exc, Overloaded):
            headers["Retry-After"] = str(exc.retry_after)
        return body(exc.code, exc.message), status, headers

    @app.errorhandler(ValidationError)
    def invalid(exc: ValidationError) -> tuple[dict[str, Any], int]:
        return body("invalid_input", _validation_message(exc.messages)), 400

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> tuple[dict[str, Any], int]:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        return body("too_large", f"The request is larger than the {limit}-byte limit."), 413

    @app.error_processor
    def http_error(error: HTTPError) -> tuple[dict[str, Any], int, Any]:
        code = HTTP_CODES.get(error.status_code, "error")
        message = error.message or "Error"
        if error.detail:
            message = _validation_message(error.detail)
        return body(code, message), error.status_code, error.headers

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return exc
        log.exception("unhandled error")
        return body(INTERNAL, "Something went wrong on our side."), 500
