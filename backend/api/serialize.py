"""Database documents -> the JSON objects of the API contract (docs/api.md)."""

from __future__ import annotations

from typing import TypedDict

from backend.storage.db import iso
from backend.storage.documents import Job, JobResult, Song


class SongOut(TypedDict):
    id: str
    title: str
    artist: str
    source: str | None
    url: str | None
    video_id: str | None
    filename: str | None
    duration: float | None
    tags: list[str]
    notes: str
    model_version: str | None
    created_at: str | None
    updated_at: str | None
    audio_url: str


class JobOut(TypedDict):
    id: str
    kind: str
    status: str
    stage: str
    progress: int
    song_id: str | None
    error: str | None
    source: str | None
    attempts: int
    created_at: str | None
    updated_at: str | None
    result: JobResult | None


def song_out(doc: Song) -> SongOut:
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


def job_out(doc: Job) -> JobOut:
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
        "result": doc.get("result"),
    }
