"""MongoDB connection and the helpers every repository shares (no client is built on import)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import numpy as np
from bson import Binary, ObjectId
from bson.errors import InvalidId
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    NetworkTimeout,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from backend.settings import Settings
from backend.storage.documents import PackedArray
from model.errors import NotFound, StorageUnavailable

P = ParamSpec("P")
T = TypeVar("T")

UNREACHABLE = (
    AutoReconnect,
    ConnectionFailure,
    ServerSelectionTimeoutError,
    NetworkTimeout,
    ExecutionTimeout,
    WTimeoutError,
)


def connect(uri: str, settings: Settings) -> Database[Any]:
    """A pymongo database handle; fails fast (``mongodb_timeout_ms``) when the server is gone.

    Every write waits for the server's journal (``j=True``): the API acknowledges a write only
    once the database has made it durable (SecantusDB fsyncs its log for such a write; MongoDB
    waits for its journal), so a database crash right after a 200 or 202 loses nothing."""
    client: MongoClient[Any] = MongoClient(
        uri,
        journal=True,
        serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
        connectTimeoutMS=settings.mongodb_timeout_ms,
        socketTimeoutMS=max(settings.mongodb_timeout_ms * 5, 10_000),
        tz_aware=True,
        appname="coverscope",
    )
    return client[settings.mongodb_db]


def guarded(fn: Callable[P, T]) -> Callable[P, T]:
    """Turn "the database is unreachable" driver errors into ``StorageUnavailable``."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except UNREACHABLE as exc:
            raise StorageUnavailable("The database is unreachable; try again shortly.") from exc

    return wrapper


def now() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def object_id(raw: str, what: str = "song") -> ObjectId:
    """Parse an id from a URL; an ill-formed one is simply an unknown id."""
    try:
        return ObjectId(raw)
    except (InvalidId, TypeError) as exc:
        raise NotFound(f"No {what} with id {raw!r}.") from exc


def pack_array(array: np.ndarray) -> PackedArray:
    """A float32 array as BSON binary with its shape and dtype (never pickle)."""
    array = np.ascontiguousarray(array, dtype="<f4")
    return {"data": Binary(array.tobytes()), "shape": list(array.shape), "dtype": "float32"}


def unpack_array(doc: PackedArray) -> np.ndarray:
    if doc.get("dtype") != "float32":
        raise ValueError(f"unsupported stored dtype {doc.get('dtype')!r}")
    return np.frombuffer(bytes(doc["data"]), dtype="<f4").reshape(doc["shape"])
