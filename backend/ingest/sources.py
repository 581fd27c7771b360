"""Which URLs we fetch, and fetching them with yt-dlp's Python API.

Only listed sources are accepted (YouTube by default). Local, private and link-local hosts are
always refused so the downloader can never be used as an open proxy; tests allow exactly one
loopback ``host:port`` through ``Settings.test_source``, fetched with yt-dlp's generic extractor.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from backend.settings import Settings
from model.errors import InvalidSource, SourceUnavailable, TooLarge

log = logging.getLogger(__name__)

YOUTUBE_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "music.youtube.com",
    "youtu.be",
    "www.youtube-nocookie.com",
}
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
MAX_URL = 2048


@dataclass(frozen=True)
class Source:
    """A validated URL: which source, the canonical URL to fetch, and the dedupe key."""

    kind: str
    url: str
    video_id: str
    playlist: bool = False


def _refuse_private(host: str) -> None:
    if host in {"localhost", "localhost.localdomain"} or host.endswith(".localhost"):
        raise InvalidSource("Local addresses are not allowed.")
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not ip.is_global:
        raise InvalidSource("Private, loopback and link-local addresses are not allowed.")


def _youtube(parts: Any, url: str) -> Source:
    host = parts.hostname
    query = parse_qs(parts.query)
    if host == "youtu.be":
        vid = parts.path.strip("/").split("/")[0]
    elif parts.path == "/watch":
        vid = (query.get("v") or [""])[0]
    elif parts.path.startswith(("/shorts/", "/embed/", "/live/", "/v/")):
        vid = parts.path.split("/")[2]
    elif parts.path == "/playlist" and query.get("list"):
        playlist = query["list"][0]
        if not re.fullmatch(r"[A-Za-z0-9_-]{10,64}", playlist):
            raise InvalidSource("That YouTube playlist id is malformed.")
        return Source(
            "youtube", f"https://www.youtube.com/playlist?list={playlist}", playlist, True
        )
    else:
        raise InvalidSource("That YouTube URL does not point to a video.")
    if not VIDEO_ID.fullmatch(vid):
        raise InvalidSource("That YouTube URL has no valid video id.")
    return Source("youtube", f"https://www.youtube.com/watch?v={vid}", vid)


def validate_url(url: str, settings: Settings) -> Source:
    """Parse and vet a user-supplied URL; raises ``InvalidSource`` with a readable reason."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidSource("A URL is required.")
    url = url.strip()
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        raise InvalidSource("That does not look like a URL.")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError as exc:
        raise InvalidSource(f"That URL is malformed ({exc}).") from exc
    if parts.scheme not in {"http", "https"} or not host:
        raise InvalidSource("Only http(s) URLs are accepted.")
    if parts.username or parts.password:
        raise InvalidSource("URLs with credentials are not accepted.")
    if settings.test_source and f"{host}:{port}" == settings.test_source and parts.scheme == "http":
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        return Source("web", url, f"web:{digest}")
    _refuse_private(host)
    if host in YOUTUBE_HOSTS and "youtube" in settings.allowed_sources:
        return _youtube(parts, url)
    allowed = ", ".join(settings.allowed_sources) or "none"
    raise InvalidSource(f"Only URLs from these sources are accepted: {allowed}.")


@dataclass
class Download:
    path: Path
    title: str
    artist: str
    duration: float | None


class _YdlLog:
    """Route yt-dlp's messages to logging instead of the terminal."""

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)


def _ydl_options(source: Source, settings: Settings, out: Path, hook: Any) -> dict[str, Any]:
    return {
        "format": "bestaudio/best",
        # A unique template per download: parallel workers never share a file.
        "outtmpl": str(out / f"{uuid.uuid4().hex}.%(ext)s"),
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "socket_timeout": 20,
        "retries": 2,
        "max_filesize": settings.max_download_bytes,
        "progress_hooks": [hook],
        "allowed_extractors": ["generic"] if source.kind == "web" else ["youtube"],
        "match_filter": _duration_filter(settings.max_duration_s),
        "cachedir": False,
        "logger": _YdlLog(),
    }


def _duration_filter(cap: float) -> Callable[..., str | None]:
    def check(info: dict[str, Any], *, incomplete: bool = False) -> str | None:
        duration = info.get("duration")
        if duration and duration > cap:
            return f"too long: {duration:.0f} s (the limit is {cap:.0f} s)"
        return None

    return check


def download(
    source: Source,
    settings: Settings,
    out: Path,
    *,
    progress: Callable[[float], None] | None = None,
) -> Download:
    """Fetch ``source``'s audio into ``out``; ``progress`` gets 0..1 as bytes arrive."""
    import yt_dlp

    def hook(state: dict[str, Any]) -> None:
        total = state.get("total_bytes") or state.get("total_bytes_estimate")
        if total and total > settings.max_download_bytes:
            raise TooLarge(f"The download is larger than {settings.max_download_bytes} bytes.")
        if progress and total and state.get("status") == "downloading":
            progress(min(1.0, float(state.get("downloaded_bytes", 0)) / float(total)))

    out.mkdir(parents=True, exist_ok=True)
    try:
        with yt_dlp.YoutubeDL(_ydl_options(source, settings, out, hook)) as ydl:
            info = ydl.extract_info(source.url, download=True)
    except yt_dlp.utils.DownloadError as exc:
        raise SourceUnavailable(_reason(str(exc))) from exc
    if not info:
        raise SourceUnavailable("The source returned nothing to download.")
    if "requested_downloads" not in info and info.get("duration", 0) > settings.max_duration_s:
        raise TooLarge(
            f"The video is {info['duration']:.0f} s long; the limit is {settings.max_duration_s:.0f} s."
        )
    files = [Path(d["filepath"]) for d in info.get("requested_downloads", []) if d.get("filepath")]
    if not files or not files[0].is_file():
        raise SourceUnavailable("The download produced no audio file.")
    if files[0].stat().st_size > settings.max_download_bytes:
        raise TooLarge(f"The download is larger than {settings.max_download_bytes} bytes.")
    return Download(
        path=files[0],
        title=str(info.get("track") or info.get("title") or ""),
        artist=str(info.get("artist") or info.get("uploader") or ""),
        duration=info.get("duration"),
    )


def playlist_urls(source: Source, settings: Settings, *, limit: int = 500) -> list[str]:
    """The video URLs of a playlist, without downloading anything."""
    import yt_dlp

    options = {
        "extract_flat": "in_playlist",
        "quiet": True,
        "playlistend": limit,
        # A test source's page (an RSS feed, say) is read by the generic extractor.
        "allowed_extractors": ["generic"] if source.kind == "web" else ["youtube.*"],
        "cachedir": False,
        "logger": _YdlLog(),
    }
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(source.url, download=False)
    except yt_dlp.utils.DownloadError as exc:
        raise SourceUnavailable(_reason(str(exc))) from exc
    entries = (info or {}).get("entries") or []
    return [str(e.get("url") or f"https://www.youtube.com/watch?v={e['id']}") for e in entries if e]


def _reason(message: str) -> str:
    text = message.removeprefix("ERROR: ").strip()
    text = re.sub(r"\s*\(caused by .*\)\s*$", "", text, flags=re.S)
    lower = text.lower()
    if "private" in lower:
        return "The video is private."
    if "too long" in lower or "does not pass filter" in lower:
        return f"The video is longer than allowed ({text})."
    if "404" in lower or "not found" in lower or "unavailable" in lower:
        return f"The video is unavailable ({text})."
    return f"The source could not be fetched ({text})."
