"""Who may use the API: the one API key, its file under the data folder, its fingerprint.

Every write needs the key (``X-API-Key``); no setting turns that off. ``coverscope serve``
without ``API_KEY`` creates a random key in ``<data-dir>/api-key`` (owner-only) on first start
and reuses it afterwards. The key reaches the browser in a sign-in link's URL fragment, which
browsers never send to the server, so it stays out of access logs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

KEY_FILE = "api-key"
KEY_BYTES = 32
FINGERPRINT_CHARS = 12


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def load_or_create_key(path: Path) -> SecretStr:
    """The key stored at ``path``; a new random one (32 bytes, URL-safe) written there with
    mode 0600 if the file does not exist yet."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if not key:
            raise ValueError(f"{path} is empty: delete it to have a new key created") from None
        return SecretStr(key)
    key = secrets.token_urlsafe(KEY_BYTES)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return SecretStr(key)


def keys_match(given: str, expected: SecretStr) -> bool:
    """Constant-time comparison of a presented key with the configured one."""
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


def fingerprint(key: SecretStr) -> str:
    """A short, non-reversible name for a key, for logs (``sha256:`` + 12 hex digits)."""
    digest = hashlib.sha256(key.get_secret_value().encode()).hexdigest()
    return f"sha256:{digest[:FINGERPRINT_CHARS]}"


def sign_in_link(host: str, port: int, key: SecretStr) -> str:
    """The web UI's address with the key in the fragment (never the query string)."""
    shown = f"[{host}]" if ":" in host else host
    if shown in ("0.0.0.0", "[::]"):
        shown = "127.0.0.1"
    return f"http://{shown}:{port}/#key={key.get_secret_value()}"
