"""The hash chain: how one audit entry is hashed and linked to the one before it.

The hash of entry ``seq`` is the sha256, as 64 lowercase hex digits, of the UTF-8 bytes of::

    governance.audit.v1 LF <seq> LF <kind> LF <created_at> LF <prev_hash> LF <payload>

where ``LF`` is one newline (0x0A), ``seq`` is the decimal entry number (1, 2, ...), ``kind``
matches :data:`KIND_PATTERN` (so it holds no newline), ``created_at`` is the UTC time as
``YYYY-MM-DDTHH:MM:SS.ffffffZ``, ``prev_hash`` is the previous entry's hash (:data:`GENESIS_HASH`
for entry 1), and ``payload`` is the canonical JSON text of the payload exactly as stored. Only the
payload may hold newlines (escaped inside JSON strings, so in practice it holds none), and it
comes last, so the encoding is unambiguous.

This module imports only the standard library: an auditor can reuse it without a database.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from governance.canonical import sha256_hex

__all__ = [
    "ENCODING_TAG",
    "GENESIS_HASH",
    "KIND_PATTERN",
    "entry_hash",
    "format_time",
    "parse_time",
]

ENCODING_TAG = "governance.audit.v1"
GENESIS_HASH = "0" * 64
KIND_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
HASH_PATTERN = re.compile(r"[0-9a-f]{64}")
TIME_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def entry_hash(seq: int, kind: str, created_at: str, payload: str, prev_hash: str) -> str:
    """Return the hash of one audit entry.

    Parameters
    ----------
    seq
        The entry number, from 1.
    kind
        The entry kind, matching :data:`KIND_PATTERN`.
    created_at
        The entry time as stored (:func:`format_time`).
    payload
        The canonical JSON text of the payload, as stored.
    prev_hash
        The hash of entry ``seq - 1``, or :data:`GENESIS_HASH` for entry 1.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    return sha256_hex(f"{ENCODING_TAG}\n{seq}\n{kind}\n{created_at}\n{prev_hash}\n{payload}")


def format_time(moment: datetime) -> str:
    """Return ``moment`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (fixed width, sortable).

    Parameters
    ----------
    moment
        A timezone-aware time.

    Returns
    -------
    str
        The UTC time with microseconds and a ``Z`` suffix.
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the audit store records UTC times only")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> datetime:
    """Read an ISO 8601 time (``Z`` or an offset) as an aware UTC datetime.

    Parameters
    ----------
    text
        For example ``2026-11-27T14:00:00.123456Z``.

    Returns
    -------
    datetime
        The same instant in UTC.

    Raises
    ------
    ValueError
        Not ISO 8601, without a time zone, or outside years 1-9999 in UTC.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no timezone (expected a 'Z' suffix)")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        raise ValueError(f"time {text!r} is out of range in UTC") from None
