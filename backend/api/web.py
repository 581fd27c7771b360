"""The built web UI (``frontend/dist``) at ``/``, with SPA fallback to ``index.html``."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory
from werkzeug.routing import PathConverter


class PagePath(PathConverter):
    """A path of the web UI: anything outside ``/api``, which the API's routes alone answer (so
    ``OPTIONS /api/...`` never advertises the UI's GET)."""

    regex = r"(?!api(?:/|$))[^/].*?"


def frontend_blueprint(root: Path) -> Blueprint:
    root = Path(root).resolve()
    bp = Blueprint("web", __name__)

    @bp.get("/", defaults={"path": ""})
    @bp.get("/<page:path>")
    def spa(path: str) -> Response:
        target = (root / path).resolve()
        if path and root in target.parents and target.is_file():
            return send_from_directory(root, path)
        response = send_from_directory(root, "index.html")
        response.headers["Cache-Control"] = "no-cache"
        return response

    return bp


def docs_assets_blueprint() -> Blueprint | None:
    """Swagger UI's files from the ``swagger-ui-bundle`` package, for ``/api/docs`` offline."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    bp = Blueprint("docs_assets", __name__, url_prefix="/api/docs/assets")

    @bp.get("/<path:name>")
    def asset(name: str) -> Response:
        return send_from_directory(swagger_ui_path, name, max_age=86400)

    return bp
