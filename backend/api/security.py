"""The API's access rules, audit log and security headers, as the app's request hooks.

- Every write (POST/PUT/PATCH/DELETE) under ``/api`` needs ``X-API-Key``; with
  ``PRIVATE_READS`` every read does too, except the health check and the API docs. The web UI's
  ``<audio>`` elements cannot send a header, so reads also accept the key in the
  ``coverscope_key`` cookie the UI sets (``SameSite=Strict``; writes take the header only).
- Each write leaves one JSON line in ``<data-dir>/audit.log``: when, method, path, client
  address, status and the fingerprint of the key used (never the key).
- Every response carries a Content-Security-Policy, ``nosniff``, ``DENY`` framing and
  ``no-referrer``.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, g, request
from pydantic import SecretStr

from backend.access import fingerprint, keys_match
from backend.settings import Settings
from model.errors import Misconfigured, Unauthorized

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_HEADER = "X-API-Key"
KEY_COOKIE = "coverscope_key"
PUBLIC_PATHS = ("/api/health", "/api/openapi.json", "/api/docs")
"""Open to anyone even with private reads (each with what lies under it)."""

CSP = {
    # The built React app: its own scripts only; inline style attributes (charts), media and
    # images from the API or generated in the page.
    "app": "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob:",
            "connect-src 'self'",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    ),
    # Swagger UI (served locally): its page starts the bundle with an inline script.
    "docs": "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    ),
}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def needs_key(method: str, path: str, *, private_reads: bool) -> bool:
    """Whether a request needs the API key (the one rule, for every route)."""
    if path != "/api" and not path.startswith("/api/"):
        return False
    if method in WRITE_METHODS:
        return True
    return private_reads and not any(
        path == public or path.startswith(public + "/") for public in PUBLIC_PATHS
    )


class AuditLog:
    """Appends one JSON line per write to ``path`` (owner-only; each line one ``write``, so
    several API processes can share the file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, entry: dict[str, object]) -> None:
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as exc:
            log.warning("audit log %s not writable (%s): %s", self.path, exc, line.decode())


def configured_key(settings: Settings) -> SecretStr:
    """The API key; raises ``Misconfigured`` when there is none (no setting allows that)."""
    key = settings.api_key
    if key is None or not key.get_secret_value():
        raise Misconfigured(
            "API_KEY is not set: the API will not start without a key for writes. Set API_KEY, "
            "or run `coverscope serve`, which creates one in <data-dir>/api-key."
        )
    return key


def register(app: Flask, settings: Settings) -> None:
    """Install the hooks on ``app``. Refuses an app without an API key."""
    key = configured_key(settings)
    key_fingerprint = fingerprint(key)
    audit = AuditLog(settings.audit_log)

    @app.before_request
    def require_key() -> None:
        given = request.headers.get(KEY_HEADER)
        if given is None and request.method not in WRITE_METHODS:
            given = request.cookies.get(KEY_COOKIE)
        g.key_fingerprint = key_fingerprint if given and keys_match(given, key) else None
        if g.key_fingerprint is None and needs_key(
            request.method, request.path, private_reads=settings.private_reads
        ):
            raise Unauthorized(f"This operation needs a valid {KEY_HEADER} header.")

    @app.after_request
    def audit_and_protect(response: Response) -> Response:
        if request.method in WRITE_METHODS and request.path.startswith("/api"):
            audit.record(
                {
                    "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "method": request.method,
                    "path": request.path,
                    "client": request.remote_addr,
                    "status": response.status_code,
                    "key": g.get("key_fingerprint"),
                }
            )
        docs = request.path == "/api/docs" or request.path.startswith("/api/docs/")
        response.headers.setdefault("Content-Security-Policy", CSP["docs" if docs else "app"])
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
