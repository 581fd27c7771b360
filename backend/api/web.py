"""The built web UI (``frontend/dist``) at ``/``, with SPA fallback to ``index.html``."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory


def frontend_blueprint(root: Path) -> Blueprint:
    root = Path(root).resolve()
    bp = Blueprint("web", __name__)

    @bp.get("/", defaults={"path": ""})
    @bp.get("/<path:path>")
    def spa(path: str) -> Response:
        if path.startswith("api/") or path == "api":
            abort(404)
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
