"""Log entries on their way in and out: kind and payload checked, rows turned into entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, select

from governance.canonical import Canonical, CanonicalJSONError, canonical_json
from governance.errors import StoreError
from governance.store.chain import GENESIS_HASH, KIND_PATTERN, parse_time
from governance.store.records import Entry
from governance.store.tables import audit_log

__all__ = ["head_of", "prepare", "row_entry", "seq_ranges", "value_of"]

BAD_KIND = "invalid audit entry kind {kind!r}: use 1-64 of a-z 0-9 . _ - (starting a-z or 0-9)"
BAD_PAYLOAD = "audit entry {index} ({kind}) payload must be a JSON object, not {type}"
NOT_CANONICAL = "audit entry {index} ({kind}) payload cannot be stored: {reason}"


def seq_ranges(seqs: Sequence[int]) -> list[list[int]]:
    """``[[first, last], ...]``: ascending ``seqs`` as runs of consecutive numbers."""
    ranges: list[list[int]] = []
    for seq in seqs:
        if ranges and ranges[-1][1] + 1 == seq:
            ranges[-1][1] = seq
        else:
            ranges.append([seq, seq])
    return ranges


def value_of(payload: Mapping[str, Any] | Canonical) -> Mapping[str, Any]:
    """The JSON object of a payload (a :class:`Canonical` one's value)."""
    return payload.value if isinstance(payload, Canonical) else payload


def head_of(conn: Connection) -> tuple[int, str]:
    """``(seq, entry_hash)`` of the log's last entry; ``(0, GENESIS_HASH)`` when empty."""
    head = conn.execute(
        select(audit_log.c.seq, audit_log.c.entry_hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    return (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)


def prepare(index: int, kind: str, payload: Mapping[str, Any] | Canonical) -> tuple[str, str]:
    """``(kind, canonical text)`` of item ``index``; a bad kind or payload is a StoreError."""
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind):
        raise StoreError(BAD_KIND.format(kind=kind))
    if isinstance(payload, Canonical):
        return kind, payload.text
    if not isinstance(payload, Mapping):
        raise StoreError(BAD_PAYLOAD.format(index=index, kind=kind, type=type(payload).__name__))
    try:
        return kind, canonical_json(payload)
    except CanonicalJSONError as exc:
        raise StoreError(NOT_CANONICAL.format(index=index, kind=kind, reason=exc)) from None
    except RecursionError:
        reason = "it is nested too deeply or contains itself"
        raise StoreError(NOT_CANONICAL.format(index=index, kind=kind, reason=reason)) from None


def row_entry(row: Row[Any]) -> Entry:
    """The :class:`Entry` of an ``audit_log`` row."""
    return Entry(
        seq=row.seq,
        kind=row.kind,
        created_at=parse_time(row.created_at),
        payload_json=row.payload,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )
