"""API keys of ``governance serve``: bearer tokens with scopes, kept hashed in a JSON file.

A key is ``gov_<id>_<secret>``: ``id`` (8 hex digits) names it in listings and logs, ``secret``
is 32 random bytes (URL-safe base64). The file keeps only the sha256 of the whole key: a key has
256 bits of entropy, so a fast hash is as strong as a slow one here, and it lets every request be
checked in microseconds. The key itself is shown once, when it is created.

The file (default ``.governance/serve-keys.json``, mode 0600)::

    {"version": 1, "keys": [{"id": "1a2b3c4d", "name": "airflow", "scopes": ["ingest"],
      "sha256": "<64 hex>", "created_at": "2026-11-27T14:00:00Z"}]}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from governance.errors import ConfigError
from governance.files import write_atomic

__all__ = [
    "SCOPES",
    "ApiKey",
    "KeyRing",
    "add_key",
    "load_keys",
    "revoke_key",
]

SCOPES = ("ingest", "read")
PREFIX = "gov_"
FILE_VERSION = 1

BAD_FILE = "not a keys file of governance serve: {reason}"
UNKNOWN_SCOPE = "unknown scope {scope!r} (known: ingest, read)"
NO_SUCH_KEY = "no API key {key_id} in {path}"


@dataclass(frozen=True)
class ApiKey:
    """One stored key: its public id, a name, its scopes and the sha256 of the key."""

    id: str
    name: str
    scopes: tuple[str, ...]
    sha256: str
    created_at: str

    def as_dict(self) -> dict[str, Any]:
        """The key as stored in the file."""
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "sha256": self.sha256,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class KeyRing:
    """The keys a server accepts; empty means no key is configured."""

    keys: tuple[ApiKey, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.keys)

    def match(self, token: str) -> ApiKey | None:
        """Return the key ``token`` is, or ``None``; compared in constant time."""
        digest = _digest(token)
        found = None
        for key in self.keys:
            if hmac.compare_digest(key.sha256, digest):
                found = key
        return found


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(scopes))
    for scope in chosen:
        if scope not in SCOPES:
            raise ConfigError(UNKNOWN_SCOPE.format(scope=scope))
    if not chosen:
        raise ConfigError("a key needs at least one scope (ingest, read)")
    return chosen


def load_keys(path: Path) -> KeyRing:
    """Read the keys file; a missing file is an empty ring.

    Raises
    ------
    ConfigError
        If the file cannot be read or is not a keys file.
    """
    if not path.exists():
        return KeyRing()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the keys file: {exc}", path=path) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            BAD_FILE.format(reason=exc.msg), path=path, line=exc.lineno, column=exc.colno
        ) from None
    if not isinstance(data, Mapping) or data.get("version") != FILE_VERSION:
        raise ConfigError(BAD_FILE.format(reason="expected version 1"), path=path)
    items = data.get("keys")
    if not isinstance(items, list):
        raise ConfigError(BAD_FILE.format(reason="keys must be a list"), path=path)
    keys = []
    for index, item in enumerate(items):
        try:
            keys.append(
                ApiKey(
                    id=str(item["id"]),
                    name=str(item.get("name", "")),
                    scopes=_check_scopes(item["scopes"]),
                    sha256=str(item["sha256"]),
                    created_at=str(item.get("created_at", "")),
                )
            )
        except (KeyError, TypeError) as exc:
            reason = f"keys[{index}] lacks {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ConfigError(BAD_FILE.format(reason=reason), path=path) from None
    return KeyRing(tuple(keys))


def _write(path: Path, keys: Sequence[ApiKey]) -> None:
    """Write the file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": FILE_VERSION, "keys": [key.as_dict() for key in keys]}, indent=2)
    write_atomic([(path, (text + "\n").encode("utf-8"))], mode=0o600)


def add_key(path: Path, scopes: Iterable[str], *, name: str = "") -> tuple[str, ApiKey]:
    """Create a key with these scopes and store its hash.

    Parameters
    ----------
    path
        The keys file (created if missing).
    scopes
        ``ingest`` and/or ``read``.
    name
        A label for listings (who uses the key).

    Returns
    -------
    tuple of (str, ApiKey)
        The key itself (shown once, never stored) and its stored record.
    """
    chosen = _check_scopes(scopes)
    ring = load_keys(path)
    taken = {key.id for key in ring.keys}
    key_id = secrets.token_hex(4)
    while key_id in taken:
        key_id = secrets.token_hex(4)
    token = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    record = ApiKey(id=key_id, name=name, scopes=chosen, sha256=_digest(token), created_at=stamp)
    _write(path, [*ring.keys, record])
    return token, record


def revoke_key(path: Path, key_id: str) -> ApiKey:
    """Remove the key ``key_id`` from the file and return it.

    Raises
    ------
    ConfigError
        If there is no such key.
    """
    ring = load_keys(path)
    kept = [key for key in ring.keys if key.id != key_id]
    if len(kept) == len(ring.keys):
        raise ConfigError(NO_SUCH_KEY.format(key_id=key_id, path=path))
    _write(path, kept)
    return next(key for key in ring.keys if key.id == key_id)
