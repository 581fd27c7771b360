"""Export a library to a backup archive and import one back (``backend.backup.archive``).

Members: ``songs.jsonl`` (one song document a line, MongoDB canonical extended JSON, so ids,
dates and the embedding's bytes (base64) come back exactly), ``settings.json`` (the
operator's threshold, when one is stored) and ``features/<key>`` (every feature-store object
a song refers to: HPCP, audio, scorer analysis). Never pickle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from bson import ObjectId, json_util
from bson.json_util import JSONMode, JSONOptions

import coverscope
from backend.backup.archive import ArchiveReader, ArchiveWriter, InvalidBackup, safe_name
from backend.storage.documents import ModelSettings, Song
from backend.storage.feature_store import FeatureStore
from backend.storage.song_repository import SongRepository

SONGS = "songs.jsonl"
SETTINGS = "settings.json"
FEATURE_FIELDS = ("hpcp_key", "audio_key", "analysis_key")
JSON = JSONOptions(json_mode=JSONMode.CANONICAL, tz_aware=True, tzinfo=UTC)


@dataclass(frozen=True)
class ExportReport:
    songs: int
    features: int
    threshold: bool
    """Whether an operator's threshold was stored (and so exported)."""


@dataclass(frozen=True)
class ImportReport:
    songs: int
    """Songs added."""
    skipped: int
    """Songs already present (same id, audio or source video), left as they were."""
    features: int
    """Feature objects written for the added songs."""
    threshold: bool
    """Whether the backup's threshold was restored (never over one already set here)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def feature_keys(doc: Song) -> list[str]:
    """The feature-store keys a song document refers to."""
    found = (doc.get(field) for field in FEATURE_FIELDS)
    return [key for key in found if isinstance(key, str) and key]


def export_library(
    *, songs: SongRepository, store: FeatureStore, out: Path, scorer_version: str
) -> ExportReport:
    """Write every song, the objects it refers to and the stored threshold to ``out``."""
    writer = ArchiveWriter(out)
    try:
        lines: list[str] = []
        model_versions: set[str] = set()
        analysis_versions: set[str] = set()
        for doc in songs.documents():
            for key in feature_keys(doc):
                writer.add(f"features/{key}", store.get(key))
            model_versions.add(doc["model_version"])
            if "analysis_version" in doc:
                analysis_versions.add(doc["analysis_version"])
            lines.append(json_util.dumps(doc, json_options=JSON))
        writer.add(SONGS, "".join(f"{line}\n" for line in lines).encode())
        settings = songs.model_settings()
        if settings:
            writer.add(SETTINGS, json_util.dumps(settings, json_options=JSON).encode())
        report = ExportReport(
            songs=len(lines),
            features=sum(name.startswith("features/") for name in writer.entries),
            threshold="threshold" in settings,
        )
        writer.close(
            {
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "coverscope_version": coverscope.__version__,
                "model_versions": sorted(model_versions),
                "analysis_versions": sorted(analysis_versions),
                "scorer_version": scorer_version,
                "counts": {
                    "songs": report.songs,
                    "features": report.features,
                    "threshold": int(report.threshold),
                },
            }
        )
    except BaseException:
        writer.abort()
        raise
    return report


def _songs(archive: ArchiveReader) -> list[Song]:
    docs: list[Song] = []
    for number, line in enumerate(archive.read(SONGS).decode().splitlines(), start=1):
        try:
            doc = json_util.loads(line, json_options=JSON)
        except ValueError as exc:
            raise InvalidBackup(f"{SONGS} line {number} is not a song document: {exc}") from exc
        if (
            not isinstance(doc, dict)
            or not isinstance(doc.get("_id"), ObjectId)
            or not isinstance(doc.get("audio_key"), str)
            or not isinstance(doc.get("hpcp_key"), str)
        ):
            raise InvalidBackup(f"{SONGS} line {number} is not a song document")
        for key in feature_keys(cast(Song, doc)):
            if f"features/{safe_name(key)}" not in archive.members:
                raise InvalidBackup(f"song {doc['_id']} refers to {key}, absent from the archive")
        docs.append(cast(Song, doc))
    counted = archive.manifest.get("counts", {}).get("songs")
    if counted != len(docs):
        raise InvalidBackup(f"the manifest counts {counted} songs, {SONGS} holds {len(docs)}")
    return docs


def _settings(archive: ArchiveReader) -> ModelSettings | None:
    if SETTINGS not in archive.members:
        return None
    try:
        settings = json_util.loads(archive.read(SETTINGS), json_options=JSON)
    except ValueError as exc:
        raise InvalidBackup(f"{SETTINGS} is not JSON: {exc}") from exc
    if not isinstance(settings, dict) or not isinstance(settings.get("threshold"), float):
        raise InvalidBackup(f"{SETTINGS} holds no threshold")
    return cast(ModelSettings, settings)


def import_library(*, songs: SongRepository, store: FeatureStore, path: Path) -> ImportReport:
    """Add the archive's songs that the library lacks, with their objects and the threshold.

    The whole archive is verified first (``ArchiveReader``): a damaged or altered one raises
    ``InvalidBackup`` and imports nothing. Objects are written before the documents that
    refer to them, so an interrupted import never leaves a song without its features.
    """
    with ArchiveReader(path) as archive:
        docs = _songs(archive)
        settings = _settings(archive)
        new = [doc for doc in docs if not songs.holds(doc)]
        keys = sorted({key for doc in new for key in feature_keys(doc)})
        for key in keys:
            store.put(key, archive.read(f"features/{key}"))
        for doc in new:
            songs.restore(doc)
        restored = settings is not None and songs.restore_model_settings(settings)
    return ImportReport(
        songs=len(new), skipped=len(docs) - len(new), features=len(keys), threshold=restored
    )
