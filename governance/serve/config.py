"""What one ``governance serve`` process serves, and where it may listen."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from governance.errors import ConfigError
from governance.serve.keys import KeyRing

__all__ = ["DEFAULT_MAX_BODY", "ServeConfig", "check_bind", "is_loopback", "parse_size"]

DEFAULT_MAX_BODY = 8 * 1024 * 1024
MIN_MAX_BODY = 1024

PUBLIC_WITHOUT_KEYS = (
    "refusing to listen on {host} without API keys: anyone who can reach it could read the "
    "audit trail and write to it"
)
PUBLIC_HINT = "create a key with `governance serve keys add --scope ingest --scope read`"
BAD_SIZE = "{value!r} is not a size in bytes (e.g. 8388608, 512k, 8M)"


@dataclass(frozen=True)
class ServeConfig:
    """The store, keys and limits of one server.

    Attributes
    ----------
    store_url
        The audit store (opened once, when the server starts).
    keys
        Accepted API keys; empty means no authentication (loopback only).
    keys_file
        Where the keys came from, for messages.
    max_body
        Largest request body, in bytes, after decompression.
    assume_utc
        Accept events whose ``eventTime`` has no time zone, read as UTC.
    """

    store_url: str
    keys: KeyRing = field(default_factory=KeyRing)
    keys_file: Path | None = None
    max_body: int = DEFAULT_MAX_BODY
    assume_utc: bool = False

    def __post_init__(self) -> None:
        from governance.store.engine import check_store_url

        check_store_url(self.store_url)  # a lasting SQLite or PostgreSQL store (StoreError)
        if self.max_body < MIN_MAX_BODY:
            raise ConfigError(f"the request size limit must be at least {MIN_MAX_BODY} bytes")


def parse_size(value: str) -> int:
    """Read ``8388608``, ``512k`` or ``8M`` (binary multiples) as bytes."""
    text = value.strip().lower().removesuffix("b").removesuffix("i")
    factor = {"k": 1024, "m": 1024**2, "g": 1024**3}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    if not number.isdigit():
        raise ConfigError(BAD_SIZE.format(value=value))
    return int(number) * factor


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, keys: KeyRing) -> None:
    """Refuse a non-loopback address when no API key is configured.

    Raises
    ------
    ConfigError
        If ``host`` is not loopback and ``keys`` is empty.
    """
    if not keys and not is_loopback(host):
        raise ConfigError(PUBLIC_WITHOUT_KEYS.format(host=host), hint=PUBLIC_HINT)
