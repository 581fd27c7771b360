"""Database documents -> the JSON objects of the API contract (docs/api.md)."""

from __future__ import annotations

from typing import Any

from backend.storage.db import iso


def song_out(doc: dict[str, Any]) -> dict[str, Any]:
    song_id = str(doc["_id"])
    return {
        "id": song_id,
        "title": doc.get("title", ""),
        "artist": doc.get("artist", ""),
        "source": doc.get("source"),
        "url": doc.get("url"),
        "video_id": doc.get("video_id"),
        "filename": doc.get("filename"),
        "duration": doc.get("duration"),
        "tags": list(doc.get("tags") or []),
        "notes": doc.get("notes", ""),
        "model_version": doc.get("model_version"),
        "created_at": iso(doc.get("created_at")),
        "updated_at": iso(doc.get("updated_at")),
        "audio_url": f"/api/songs/{song_id}/audio",
    }


def job_out(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(doc["_id"]),
        "kind": doc["kind"],
        "status": doc["status"],
        "stage": doc["stage"],
        "progress": int(doc.get("progress", 0)),
        "song_id": doc.get("song_id"),
        "error": doc.get("error"),
        "source": doc.get("source"),
        "attempts": int(doc.get("attempts", 0)),
        "created_at": iso(doc.get("created_at")),
        "updated_at": iso(doc.get("updated_at")),
    }
