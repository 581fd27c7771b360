"""The library: add (URL, upload, bulk), list and search, edit, delete, stream audio."""

from __future__ import annotations

import io
from typing import Any

from apiflask import APIBlueprint
from flask import Response, jsonify, request, send_file
from werkzeug.http import parse_range_header
from werkzeug.routing import BaseConverter

from backend.api import schemas
from backend.api.components import components
from backend.api.contract import documents
from backend.api.serialize import SongOut, job_out, song_out
from backend.ingest.intake import Added, urls_from_csv
from backend.search.graph_rank import pair_verdict
from backend.search.versions import song_versions, version_counts
from backend.storage.documents import SongEdit
from backend.storage.removal import delete_songs
from model.errors import InvalidInput, NotFound
from model.score import component_table

bp = APIBlueprint("songs", __name__, url_prefix="/api/songs", tag="Songs")


class SongId(BaseConverter):
    """A song id (an ObjectId's 24 hex digits): ``/api/songs/upload`` is never a song."""

    regex = "[0-9a-fA-F]{24}"


CONVERTERS = {"song_id": SongId}
EXISTING = {200: (schemas.ExistingSong, "Already in the library: that song, nothing queued")}
AUDIO = ("audio/*", "application/octet-stream")


def _added(added: Added) -> tuple[dict[str, Any], int] | Response:
    """A queued job (202, through the route's ``JobOut``) or the song already there (200,
    through ``ExistingSong``: the route's output schema is the job's)."""
    if added.song is not None:
        existing = schemas.ExistingSong().dump({"song": song_out(added.song), "existing": True})
        response: Response = jsonify(existing)  # a Response: APIFlask sends it as it is
        return response
    assert added.job is not None
    return {"job": job_out(added.job)}, 202


@bp.post("")
@documents(responses=EXISTING)
@bp.input(schemas.AddSong, arg_name="body")
@bp.output(schemas.JobOut, status_code=202, description="Queued: the job that adds the song")
@bp.doc(responses={400: "Bad or refused URL"})
def add_song(body: dict[str, Any]) -> tuple[dict[str, Any], int] | Response:
    added = components().intake.add_url(
        body["url"], title=body.get("title", ""), artist=body.get("artist", "")
    )
    return _added(added)


def _file() -> tuple[bytes, str]:
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("Send the audio as a multipart form field named 'file'.")
    limit = components().settings.max_upload_bytes
    data = upload.stream.read(limit + 1)
    return data, upload.filename or "upload"


@bp.post("/upload")
@documents(body={"multipart/form-data": schemas.UploadForm}, responses=EXISTING)
@bp.output(schemas.JobOut, status_code=202, description="Queued: the job that adds the song")
@bp.doc(
    summary="Upload an audio file (multipart field 'file', optional 'title', 'artist')",
    responses={413: "File over the size cap", 422: "Not decodable audio"},
)
def upload_song() -> tuple[dict[str, Any], int] | Response:
    data, name = _file()
    added = components().intake.add_upload(
        data,
        name,
        title=request.form.get("title", ""),
        artist=request.form.get("artist", ""),
    )
    return _added(added)


@bp.post("/bulk")
@documents(body={"application/json": schemas.BulkIn, "multipart/form-data": schemas.BulkCsv})
@bp.output(schemas.BulkOut, status_code=202)
@bp.doc(
    summary="Add many: JSON {urls: [...]} or {playlist: url}, or a CSV file (field 'file')",
    description="A job per URL; a playlist gets one `expand_playlist` job that lists its "
    "videos in the background and queues a job for each (its `note` says what it queued).",
)
def bulk_add() -> tuple[dict[str, Any], int]:
    if "file" in request.files:
        urls, playlist = urls_from_csv(request.files["file"].read()), None
    else:
        body = schemas.BulkIn().load(request.get_json(silent=True) or {})
        urls, playlist = list(body.get("urls") or []), body.get("playlist")
    result = components().intake.add_many(urls, playlist=playlist)
    return {
        "jobs": [job_out(j) for j in result.jobs],
        "existing": [song_out(s) for s in result.existing],
        "errors": result.errors,
    }, 202


@bp.get("")
@bp.input(schemas.ListQuery, location="query", arg_name="query")
@bp.output(schemas.ListedSongPage)
def list_songs(query: dict[str, Any]) -> dict[str, Any]:
    s = components()
    items, total = s.listing.page(
        query["q"],
        page=query["page"],
        per_page=query["per_page"],
        sort=query["sort"],
        order=query["order"],
    )
    threshold = s.scorer_config().threshold
    ids = [str(doc["_id"]) for doc in items]
    counts = version_counts(ids, graph=s.graph, threshold=threshold)
    groups = s.maps.groups(s.graph, threshold=threshold).of
    return {
        "items": [
            {**song_out(doc), "versions": counts[i], "group": groups.get(i)}
            for doc, i in zip(items, ids, strict=True)
        ],
        "total": total,
        "page": query["page"],
        "per_page": query["per_page"],
    }


@bp.get("/<song_id:song_id>")
@bp.output(schemas.Song)
@bp.doc(responses={404: "Unknown song id"})
def get_song(song_id: str) -> SongOut:
    return song_out(components().songs.get(song_id))


@bp.get("/<song_id:song_id>/versions")
@bp.output(schemas.SongVersions)
@bp.doc(
    summary="The song's versions in the library: its confirmed edges in the neighbour graph",
    responses={404: "Unknown song id"},
)
def get_versions(song_id: str) -> dict[str, Any]:
    c = components()
    song = c.songs.get(song_id)
    config = c.scorer_config()
    found = song_versions(str(song["_id"]), graph=c.graph, threshold=config.threshold)
    snap = c.index.snapshot()
    versions = []
    for other, edge in found:
        pos = snap.positions.get(other)
        doc = snap.songs[pos] if pos is not None else None
        if doc is None:
            continue
        verdict = pair_verdict(edge.components, edge.fused, config=config)
        versions.append(
            {
                "song": song_out(doc),
                "fused": round(edge.fused, 4),
                "probability": round(verdict.probability, 4),
                "components": component_table(verdict, config=config),
            }
        )
    groups = c.maps.groups(c.graph, threshold=config.threshold)
    number = groups.of.get(str(song["_id"]))
    return {
        "song": song_out(song),
        "versions": versions,
        "fused_threshold": config.threshold,
        "group": [] if number is None else groups.groups[number],
    }


@bp.patch("/<song_id:song_id>")
@bp.input(schemas.SongPatch, arg_name="body")
@bp.output(schemas.Song)
def update_song(song_id: str, body: SongEdit) -> SongOut:
    return song_out(components().songs.update(song_id, body))


@bp.delete("/<song_id:song_id>")
@bp.doc(responses={204: "Deleted, with its stored audio and features"})
def delete_song(song_id: str) -> tuple[str, int]:
    c = components()
    c.songs.get(song_id)  # 404 for an unknown id
    delete_songs([song_id], songs=c.songs, jobs=c.jobs, store=c.store, edges=c.edges)
    return "", 204


@bp.post("/delete")
@bp.input(schemas.DeleteMany, arg_name="body")
@bp.output(schemas.Deleted)
def delete_many(body: dict[str, Any]) -> dict[str, Any]:
    c = components()
    deleted = delete_songs(body["ids"], songs=c.songs, jobs=c.jobs, store=c.store, edges=c.edges)
    return {"deleted": deleted}


@bp.get("/<song_id:song_id>/audio")
@documents(
    files={
        200: (AUDIO, "The stored audio"),
        206: (AUDIO, "The byte range asked for"),
        304: ((), "Not modified (If-None-Match)"),
    }
)
@bp.doc(
    summary="The stored audio; HTTP Range requests are supported",
    responses={404: "Unknown song id, or no stored audio", 416: "Range not satisfiable"},
)
def song_audio(song_id: str) -> Response:
    s = components()
    song = s.songs.get(song_id)
    if not song.get("audio_key"):
        raise NotFound(f"Song {song_id} has no stored audio.")
    data = s.store.get(song["audio_key"])
    _ignore_unservable_range()
    return send_file(
        io.BytesIO(data),
        mimetype=song.get("audio_mime") or "application/octet-stream",
        conditional=True,
        etag=song["audio_key"].split("/")[-1],
        max_age=3600,
    )


def _ignore_unservable_range() -> None:
    """Drop a Range header that is not one byte range: HTTP lets a server ignore a range it
    will not serve and send the whole file (200), where werkzeug would answer 416."""
    header = request.headers.get("Range")
    if header is None:
        return
    parsed = parse_range_header(header)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        request.environ.pop("HTTP_RANGE", None)
