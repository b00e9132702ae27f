"""Who delivered each recorded event: the ``lineage.ingest`` receipts of the log.

``governance lineage ingest`` and ``governance serve`` append a ``lineage.ingest`` entry for each
delivery, naming the entries it stored (``events``: ``[[first, last], ...]`` seq ranges) and who
delivered them (``via``: ``cli`` or ``api``, and for the API the key's ``id`` and ``name``).
Events with no receipt were appended some other way: by ``governance check`` itself (its own
run's events), by a Python caller, or by someone writing the database directly.

A receipt vouches only for entries before it, and the first receipt to name an entry wins.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from governance.errors import VerificationFailed
from governance.store.tables import audit_log
from governance.store.walk import row_hash

__all__ = [
    "CLI",
    "INGEST_KIND",
    "UNRECORDED",
    "Deliveries",
    "delivery_source",
    "load_deliveries",
]

INGEST_KIND = "lineage.ingest"
CLI = "cli"
API = "api"
UNRECORDED = "unrecorded"
TAMPERED = "audit entry {seq} ({kind}) does not match its hash"
TAMPERED_HINT = "run `governance audit verify` to check the whole log"


def delivery_source(payload: Mapping[str, Any]) -> str:
    """``cli``, ``api`` (a server without keys) or ``api-key:<id>``, from a receipt's payload."""
    via = payload.get("via", CLI)  # receipts written before 'via' existed came from the CLI
    if via != API:
        return CLI
    key = payload.get("key")
    if isinstance(key, Mapping) and isinstance(key.get("id"), str):
        return f"api-key:{key['id']}"
    return API


@dataclass(frozen=True)
class Deliveries:
    """Seq ranges of the log and who delivered them, from the receipts."""

    starts: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()

    def source_of(self, seq: int) -> str:
        """Who delivered entry ``seq``, or ``unrecorded``."""
        index = bisect.bisect_right(self.starts, seq) - 1
        if index >= 0 and seq <= self.ends[index]:
            return self.sources[index]
        return UNRECORDED


def load_deliveries(conn: Connection) -> Deliveries:
    """Read every receipt of the log (hash-checked) into :class:`Deliveries`.

    Raises
    ------
    VerificationFailed
        If a receipt does not match its hash.
    """
    claimed: list[tuple[int, int, str]] = []
    rows = conn.execute(
        select(audit_log).where(audit_log.c.kind == INGEST_KIND).order_by(audit_log.c.seq)
    )
    for row in rows:
        if row_hash(row) != row.entry_hash:
            problem = TAMPERED.format(seq=row.seq, kind=row.kind)
            raise VerificationFailed(problem, hint=TAMPERED_HINT)
        try:
            payload = json.loads(row.payload)
        except ValueError:
            continue
        if not isinstance(payload, dict):
            continue
        source = delivery_source(payload)
        for first, last in _ranges(payload):
            last = min(last, row.seq - 1)  # a receipt vouches only for entries before it
            if first <= last:
                claimed.append((first, last, source))
    return _disjoint(claimed)


def _ranges(payload: Mapping[str, Any]) -> list[tuple[int, int]]:
    events = payload.get("events")
    if isinstance(events, list):
        return [
            (item[0], item[1])
            for item in events
            if isinstance(item, list)
            and len(item) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in item)
        ]
    first, last = payload.get("first_seq"), payload.get("last_seq")
    if isinstance(first, int) and isinstance(last, int):
        return [(first, last)]
    return []


def _disjoint(claimed: list[tuple[int, int, str]]) -> Deliveries:
    """The claims as disjoint ranges, an earlier receipt's claim winning over a later one's.

    Genuine receipts never overlap and mostly come in seq order, so each claim is placed with
    a binary search and usually appended at the end.
    """
    starts: list[int] = []
    ends: list[int] = []
    sources: list[str] = []
    for first, last, source in claimed:
        pieces = [(first, last)]
        index = max(bisect.bisect_right(starts, first) - 1, 0)
        while index < len(starts) and starts[index] <= last and pieces:
            low, high = starts[index], ends[index]
            pieces = [
                part
                for a, b in pieces
                for part in ((a, min(b, low - 1)), (max(a, high + 1), b))
                if part[0] <= part[1]
            ]
            index += 1
        for a, b in pieces:
            at = bisect.bisect_left(starts, a)
            starts.insert(at, a)
            ends.insert(at, b)
            sources.insert(at, source)
    return Deliveries(starts=tuple(starts), ends=tuple(ends), sources=tuple(sources))
