"""One blueprint per resource under ``/api``; handlers stay a few lines and call domain code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apiflask import APIBlueprint
from flask import current_app

if TYPE_CHECKING:
    from backend.compare import ChromaCache
    from backend.services import Services

EXTENSION = "coverscope"


def services() -> Services:
    """The services of the app handling this request."""
    found: Services = current_app.extensions[EXTENSION]["services"]
    return found


def chroma_cache() -> ChromaCache:
    cache: ChromaCache = current_app.extensions[EXTENSION]["chroma"]
    return cache


def blueprints() -> list[APIBlueprint]:
    from backend.api import check, health, jobs, map, model, rank, songs

    return [health.bp, songs.bp, jobs.bp, check.bp, rank.bp, model.bp, map.bp]
