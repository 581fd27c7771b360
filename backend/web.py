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
