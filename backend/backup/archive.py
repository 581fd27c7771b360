"""The backup archive: a plain tar (stdlib ``tarfile``) whose first member is a manifest.

The manifest names every other member with its size and sha256. Reading an archive checks,
before anything is used, that each member is a regular file under a safe relative name (no
absolute path, no ``..``, no link or device), listed once in the manifest, and of the size
and hash the manifest gives; anything else raises ``InvalidBackup``. Nothing is ever
extracted to disk by name: members are read as bytes and handed to the caller.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.errors import InvalidInput

FORMAT = "coverscope-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CHUNK = 1024 * 1024


class InvalidBackup(InvalidInput):
    """An archive that is not a Coverscope backup, or was altered after it was written."""

    code = "invalid_backup"


def safe_name(name: str) -> str:
    """``name`` when it is a relative path of plain parts (no ``/`` prefix, ``..`` or ``\\``)."""
    parts = name.split("/")
    if not name or any(not SAFE_PART.match(part) or ".." in part for part in parts):
        raise InvalidBackup(f"unsafe member name {name!r} in the archive")
    return name


@dataclass(frozen=True)
class Entry:
    size: int
    sha256: str


class ArchiveWriter:
    """Write members to a tar, then the manifest (with their sizes and hashes) first.

    Members go to a temporary tar; ``close`` writes the final archive with the manifest
    first and renames it into place, so a failed export never leaves a half-written file.
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._body_path = self.out.with_name(f".{self.out.name}.body")
        self._body = tarfile.open(  # noqa: SIM115 - closed by close() / abort()
            self._body_path, "w", format=tarfile.PAX_FORMAT
        )
        self.entries: dict[str, Entry] = {}

    def add(self, name: str, data: bytes) -> None:
        if name in self.entries or name == MANIFEST:
            return
        self.entries[safe_name(name)] = Entry(len(data), hashlib.sha256(data).hexdigest())
        self._body.addfile(_info(name, len(data)), io.BytesIO(data))

    def close(self, header: dict[str, Any]) -> None:
        self._body.close()
        manifest = {
            **header,
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "members": {n: {"size": e.size, "sha256": e.sha256} for n, e in self.entries.items()},
        }
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        partial = self.out.with_name(f".{self.out.name}.partial")
        try:
            with (
                tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar,
                tarfile.open(self._body_path, "r") as body,
            ):
                tar.addfile(_info(MANIFEST, len(data)), io.BytesIO(data))
                for member in body:
                    tar.addfile(member, body.extractfile(member))
            partial.replace(self.out)
        finally:
            self._body_path.unlink(missing_ok=True)
            partial.unlink(missing_ok=True)

    def abort(self) -> None:
        self._body.close()
        self._body_path.unlink(missing_ok=True)


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    return info


class ArchiveReader:
    """A verified archive: ``manifest`` and ``read(name)``; construction checks everything."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._tar = tarfile.open(self.path, "r:")  # noqa: SIM115 - closed by __exit__
        except (OSError, tarfile.TarError) as exc:
            raise InvalidBackup(f"{self.path} is not a readable tar archive: {exc}") from exc
        try:
            self.manifest = self._verify()
        except BaseException:
            self._tar.close()
            raise

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._tar.close()

    def _verify(self) -> dict[str, Any]:
        try:
            members = self._tar.getmembers()
        except tarfile.TarError as exc:
            raise InvalidBackup(f"the archive is damaged: {exc}") from exc
        if not members or members[0].name != MANIFEST:
            raise InvalidBackup("not a Coverscope backup: it does not start with a manifest")
        seen: set[str] = set()
        for member in members:
            name = safe_name(member.name)
            if not member.isreg():
                raise InvalidBackup(f"member {name!r} is not a regular file (link or device)")
            if name in seen:
                raise InvalidBackup(f"member {name!r} appears twice")
            seen.add(name)
        manifest = self._manifest(members[0])
        listed: dict[str, Any] = manifest["members"]
        if seen - {MANIFEST} != set(listed):
            extra = sorted(seen - {MANIFEST} - set(listed))[:3]
            missing = sorted(set(listed) - seen)[:3]
            raise InvalidBackup(
                f"members differ from the manifest (extra {extra}, missing {missing})"
            )
        self.members = {m.name: m for m in members}
        for name, expected in listed.items():
            self._check(name, self.members[name], expected)
        return manifest

    def _manifest(self, member: tarfile.TarInfo) -> dict[str, Any]:
        if member.size > MAX_MANIFEST_BYTES:
            raise InvalidBackup("the manifest is implausibly large")
        handle = self._tar.extractfile(member)
        assert handle is not None  # a regular file
        try:
            manifest = json.loads(handle.read())
        except ValueError as exc:
            raise InvalidBackup(f"the manifest is not JSON: {exc}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise InvalidBackup("not a Coverscope backup (manifest format)")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise InvalidBackup(
                f"backup format version {manifest.get('format_version')!r}; "
                f"this Coverscope reads version {FORMAT_VERSION}"
            )
        if not isinstance(manifest.get("members"), dict):
            raise InvalidBackup("the manifest lists no members")
        return manifest

    def _check(self, name: str, member: tarfile.TarInfo, expected: Any) -> None:
        if not isinstance(expected, dict) or member.size != expected.get("size"):
            raise InvalidBackup(f"member {name!r} has a size the manifest does not give")
        digest = hashlib.sha256()
        for chunk in self._chunks(member):
            digest.update(chunk)
        if digest.hexdigest() != expected.get("sha256"):
            raise InvalidBackup(f"member {name!r} was altered (sha256 differs from the manifest)")

    def _chunks(self, member: tarfile.TarInfo) -> Iterator[bytes]:
        handle = self._tar.extractfile(member)
        assert handle is not None  # a regular file
        while chunk := handle.read(CHUNK):
            yield chunk

    def read(self, name: str) -> bytes:
        """A member's bytes, checked again against the manifest (the file may have changed)."""
        member = self.members[name]
        data = b"".join(self._chunks(member))
        expected = self.manifest["members"][name]
        if len(data) != expected["size"] or hashlib.sha256(data).hexdigest() != expected["sha256"]:
            raise InvalidBackup(f"member {name!r} changed while it was being imported")
        return data
