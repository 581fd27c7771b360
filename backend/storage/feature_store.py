"""The feature store: HPCP arrays and audio under content-addressed keys, in a folder or a bucket.

Keys look like ``hpcp/<sha256>.npy``; the same bytes always land under the same key, so a
re-run after a crash rewrites identical objects and never leaves a song half-written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from model.errors import NotFound, StorageUnavailable

log = logging.getLogger(__name__)


def content_key(kind: str, data: bytes, suffix: str) -> str:
    """``<kind>/<sha256 of data><suffix>``."""
    return f"{kind}/{hashlib.sha256(data).hexdigest()}{suffix}"


def array_bytes(array: np.ndarray) -> bytes:
    """A numpy array as .npy bytes (read back without pickle)."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def bytes_array(data: bytes) -> np.ndarray:
    array: np.ndarray = np.load(io.BytesIO(data), allow_pickle=False)
    return array


class FeatureStore(Protocol):
    """The few operations the app needs from a blob store."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def written_before(self, prefix: str, cutoff: float) -> list[str]:
        """Keys under ``prefix`` last written before ``cutoff`` (Unix seconds)."""
        ...

    def ping(self) -> None: ...


def _fsync_folder(folder: Path) -> None:
    """Make a rename into ``folder`` durable (POSIX: fsync the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStore:
    """Blobs as files under ``root``; writes are atomic (temp file + rename) and durable (the
    file and its folder are fsynced before ``put`` returns, so a song document written after
    its features never points at a file a power cut took back)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise NotFound(f"bad feature key {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
            _fsync_folder(path.parent)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write to the feature folder: {exc}") from exc

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"feature {key} is missing from the store") from exc
        except OSError as exc:
            raise StorageUnavailable(f"cannot read the feature folder: {exc}") from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def written_before(self, prefix: str, cutoff: float) -> list[str]:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return []
        keys = []
        for path in folder.rglob("*"):
            try:
                written = path.stat().st_mtime if path.is_file() else cutoff
                if written < cutoff and not path.name.startswith(".tmp-"):
                    keys.append(path.relative_to(self.root.resolve()).as_posix())
            except FileNotFoundError:
                continue  # removed meanwhile
        return keys

    def ping(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"feature folder unusable: {exc}") from exc


class GCSStore:
    """Blobs in a Google Cloud Storage bucket (or an emulator via ``STORAGE_EMULATOR_HOST``)."""

    def __init__(self, bucket: str, prefix: str = "", *, timeout: float = 10.0) -> None:
        from google.api_core.retry import Retry
        from google.auth import exceptions as auth_exc
        from google.cloud import storage

        try:
            if os.environ.get("STORAGE_EMULATOR_HOST"):
                from google.auth.credentials import AnonymousCredentials

                anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call, unused-ignore]
                self._client = storage.Client(project="coverscope", credentials=anonymous)
            else:
                self._client = storage.Client()
        except auth_exc.GoogleAuthError as exc:
            raise StorageUnavailable(f"no credentials for the feature bucket: {exc}") from exc
        self._bucket = self._client.bucket(bucket)
        self.prefix = prefix.strip("/")
        self.timeout = timeout
        self._retry = Retry(initial=0.2, maximum=2.0, timeout=timeout)

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from google.api_core import exceptions as gexc
        from google.auth import exceptions as auth_exc
        from requests import exceptions as rexc

        try:
            return fn(*args, timeout=self.timeout, retry=self._retry, **kwargs)
        except gexc.NotFound as exc:
            raise NotFound(f"{what}: not found in the bucket") from exc
        except (
            gexc.GoogleAPIError,
            auth_exc.GoogleAuthError,
            rexc.RequestException,
            OSError,
        ) as exc:
            raise StorageUnavailable(f"feature bucket unreachable ({what}): {exc}") from exc

    def put(self, key: str, data: bytes) -> None:
        blob = self._bucket.blob(self._name(key))
        self._call(key, blob.upload_from_string, data, content_type="application/octet-stream")

    def get(self, key: str) -> bytes:
        blob = self._bucket.blob(self._name(key))
        data: bytes = self._call(key, blob.download_as_bytes)
        return data

    def delete(self, key: str) -> None:
        blob = self._bucket.blob(self._name(key))
        with contextlib.suppress(NotFound):
            self._call(key, blob.delete)

    def written_before(self, prefix: str, cutoff: float) -> list[str]:
        def listing(**kwargs: Any) -> list[str]:
            blobs = self._client.list_blobs(self._bucket, prefix=self._name(prefix), **kwargs)
            skip = len(self._name(""))
            return [b.name[skip:] for b in blobs if b.updated and b.updated.timestamp() < cutoff]

        found: list[str] = self._call(prefix, listing)
        return found

    def ping(self) -> None:
        self._call("bucket", self._bucket.reload)

    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (for emulators; real buckets are made by ops)."""
        try:
            self.ping()
        except NotFound:
            self._call("bucket", self._client.create_bucket, self._bucket.name)


def open_store(spec: str | None, *, default_root: Path, timeout: float = 10.0) -> FeatureStore:
    """``gs://bucket/prefix`` -> GCSStore; a path -> LocalStore; ``None`` -> ``default_root``."""
    if spec and spec.startswith("gs://"):
        bucket, _, prefix = spec[len("gs://") :].partition("/")
        return GCSStore(bucket, prefix, timeout=timeout)
    return LocalStore(Path(spec) if spec else default_root)
