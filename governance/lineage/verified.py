"""Lineage read from the log itself: tables rebuilt from hash-checked events.

What a decision reads (the gate's lineage checks, a report's lineage): never the store's own
lineage tables, which anyone who can write the database could edit.
:func:`verified_lineage` replays every ``openlineage.event`` entry, its hash checked, into a
scratch database (:func:`governance.store.replay.replay_into`) and queries that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from governance.lineage.projection import LineageProjector
from governance.lineage.provenance import Deliveries, load_deliveries
from governance.lineage.queries import LineageQueries
from governance.lineage.tables import lineage_events
from governance.lineage.validate import EventRejected, parse_event_time
from governance.store.chain import parse_time
from governance.store.engine import StoreEngine
from governance.store.log import AuditLog
from governance.store.projections import ProjectorRegistry
from governance.store.records import Entry
from governance.store.replay import replay_into, scratch_database
from governance.store.tables import audit_log

__all__ = ["EventOrigin", "RunOrigin", "VerifiedLineage", "event_filter", "verified_lineage"]

CHUNK = 400


@dataclass(frozen=True)
class EventOrigin:
    """Where a recorded event came from, for a filter to accept or refuse it."""

    seq: int
    recorded_at: datetime
    """When it was appended to the log (UTC)."""
    source: str
    """Who delivered it: ``cli``, ``api``, ``api-key:<id>`` or ``unrecorded``."""
    payload: Mapping[str, Any]
    """The event."""


@dataclass(frozen=True)
class RunOrigin:
    """Who delivered a run's events, and the longest wait between an eventTime and its append."""

    sources: tuple[str, ...]
    delay_seconds: float


@dataclass(frozen=True)
class VerifiedLineage:
    """Lineage queries over tables rebuilt from hash-checked log entries.

    Has the two members :func:`governance.lineage.snapshot.load_snapshot` reads: ``lineage``
    and ``head()``.
    """

    lineage: LineageQueries
    head_entry: Entry | None
    events: int
    """How many ``openlineage.event`` entries were replayed (accepted by the filter)."""
    refused: int
    """How many the filter left out."""
    deliveries: Deliveries
    scratch: StoreEngine

    def head(self) -> Entry | None:
        """The last entry of the store's log when it was replayed."""
        return self.head_entry

    def origins(self, run_ids: Iterable[str]) -> dict[str, RunOrigin]:
        """Who delivered each run's events, and how late the latest-recorded one was."""
        wanted = list(dict.fromkeys(run_ids))
        found: dict[str, tuple[set[str], float]] = {}
        with self.scratch.read("read") as conn:
            for start in range(0, len(wanted), CHUNK):
                rows = conn.execute(
                    select(
                        lineage_events.c.run_id,
                        lineage_events.c.entry_seq,
                        lineage_events.c.event_time,
                        audit_log.c.created_at,
                    )
                    .join(audit_log, audit_log.c.seq == lineage_events.c.entry_seq)
                    .where(lineage_events.c.run_id.in_(wanted[start : start + CHUNK]))
                )
                for run_id, seq, event_time, created_at in rows:
                    sources, delay = found.setdefault(run_id, (set(), 0.0))
                    late = (parse_time(created_at) - parse_time(event_time)).total_seconds()
                    sources.add(self.deliveries.source_of(seq))
                    found[run_id] = (sources, max(delay, late))
        return {
            run_id: RunOrigin(tuple(sorted(sources)), delay)
            for run_id, (sources, delay) in found.items()
        }


@contextmanager
def verified_lineage(
    store: AuditLog,
    *,
    accept: Callable[[EventOrigin], bool] | None = None,
) -> Iterator[VerifiedLineage]:
    """Lineage queries over the lineage tables rebuilt from the log's events.

    Every ``openlineage.event`` entry is read, its hash checked, and projected into a scratch
    database, in one read transaction of the store; the queries read that database, never the
    store's own lineage tables.

    Parameters
    ----------
    store
        The open store.
    accept
        If given, only the events it accepts are projected (a policy that counts only events
        from named deliverers or producers, or recorded soon enough after their eventTime).

    Yields
    ------
    VerifiedLineage
        The queries, valid until the block ends.

    Raises
    ------
    VerificationFailed
        If an event entry does not match its hash, or cannot be projected.
    """
    registry = ProjectorRegistry((LineageProjector(),))
    url = store.url
    with scratch_database(registry.tables) as scratch:
        with store.engine.read("read the lineage of") as conn:
            deliveries = load_deliveries(conn)
            keep = None
            if accept is not None:
                keep = _origin_filter(accept, deliveries)
            entries, head = replay_into(conn, scratch, registry, url=url, keep=keep)
        yield VerifiedLineage(
            lineage=LineageQueries(scratch),
            head_entry=head,
            events=entries.kept,
            refused=entries.refused,
            deliveries=deliveries,
            scratch=scratch,
        )


def _origin_filter(
    accept: Callable[[EventOrigin], bool], deliveries: Deliveries
) -> Callable[[Entry, Mapping[str, Any]], bool]:
    def keep(entry: Entry, payload: Mapping[str, Any]) -> bool:
        origin = EventOrigin(
            seq=entry.seq,
            recorded_at=entry.created_at,
            source=deliveries.source_of(entry.seq),
            payload=payload,
        )
        return accept(origin)

    return keep


def event_filter(
    *,
    delivered_by: Sequence[str] | None = None,
    producers: Sequence[str] | None = None,
    max_delay_hours: float | None = None,
) -> Callable[[EventOrigin], bool]:
    """A predicate over :class:`EventOrigin`: which recorded events a decision counts.

    An event is accepted when it was delivered by one of ``delivered_by``, names one of
    ``producers`` as its producer, and was recorded at most ``max_delay_hours`` after its
    ``eventTime`` (each condition applies when given; the values are compared exactly).
    """
    deliverers = None if delivered_by is None else frozenset(delivered_by)
    allowed = None if producers is None else frozenset(producers)

    def accept(origin: EventOrigin) -> bool:
        if deliverers is not None and origin.source not in deliverers:
            return False
        if allowed is not None and origin.payload.get("producer") not in allowed:
            return False
        if max_delay_hours is not None:
            try:
                text, _ = parse_event_time(str(origin.payload.get("eventTime")), assume_utc=True)
            except EventRejected:
                return False
            delay = (origin.recorded_at - parse_time(text)).total_seconds()
            if delay > max_delay_hours * 3600:
                return False
        return True

    return accept
