"""An uploaded file before it is queued: its name vetted, its bytes probed as audio, its title.

A song upload and a clip uploaded to rank against go through the same checks: the name may not
carry control characters, and the bytes must decode as one of the accepted audio containers
(``model.containers``) within the first ``PROBE_SECONDS``.
"""

from __future__ import annotations

import re
from pathlib import Path

from backend.ingest.scratch import scratch_folder
from backend.settings import Settings
from model.audio import Tags, decode, read_tags
from model.errors import InvalidInput, UndecodableAudio

UPLOADS = "uploads/"
"""The feature-store prefix under which an upload is parked until its ingest job reads it."""
PROBE_SECONDS = 5.0
MAX_TITLE = 200
"""Titles taken from a file's name or tags are cut to this many characters."""
MAX_SUFFIX = 8
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def upload_name(filename: str | None, *, default: str) -> str:
    """The name a client gave its file (``default`` if none); refuses control characters."""
    if not filename:
        return default
    if CONTROL.search(filename):
        raise InvalidInput("The file name contains control characters (a NUL byte, say).")
    return filename


def upload_suffix(filename: str) -> str:
    """The name's lower-cased suffix, short, for the temporary copy (ffmpeg ignores it)."""
    return Path(filename).suffix.lower()[:MAX_SUFFIX]


def title_from_filename(filename: str) -> str:
    return Path(filename).stem[:MAX_TITLE]


def probe_upload(data: bytes, filename: str, *, settings: Settings) -> Tags:
    """Check that ``data`` decodes as audio (``UndecodableAudio`` if not) and read its tags."""
    with scratch_folder(settings, prefix="coverscope-probe-") as tmp:
        probe = Path(tmp) / f"probe{upload_suffix(filename)}"
        probe.write_bytes(data)
        try:
            decode(probe, max_seconds=PROBE_SECONDS)
            tags = read_tags(probe)
        except UndecodableAudio as exc:  # it names the scratch copy; the client knows its own
            raise UndecodableAudio(exc.message.replace(probe.name, filename, 1)) from None
    return Tags(title=tags.title[:MAX_TITLE], artist=tags.artist[:MAX_TITLE], album=tags.album)
