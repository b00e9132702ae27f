"""OpenLineage events into the audit log: each distinct event once, with who delivered it.

The store's generic :meth:`~governance.store.log.AuditLog.append_unique` does the work; this
module says what an event's entry is (``openlineage.event``), how a recorded one is found (its
canonical sha256 in the ``lineage_events`` projection) and what a delivery's receipt is
(``lineage.ingest``, :mod:`governance.lineage.provenance`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from governance.canonical import Canonical
from governance.lineage.projection import EVENT_KIND, known_event_hashes
from governance.lineage.provenance import INGEST_KIND
from governance.store.log import AuditLog
from governance.store.records import Entry

__all__ = ["append_event_groups", "append_events"]

Events = Sequence[Mapping[str, Any] | Canonical]


def append_events(
    store: AuditLog,
    events: Events,
    *,
    receipt: Mapping[str, Any] | None = None,
) -> list[Entry | None]:
    """Append OpenLineage events not recorded yet, in one transaction: all or none.

    An event counts as recorded when an ``openlineage.event`` entry with the same canonical
    JSON is in the log (its sha256 is the dedupe key), so appending the same event twice
    stores it once. Validate events first (:func:`governance.lineage.validate.parse_event`):
    an invalid one is refused here and then nothing is stored.

    Parameters
    ----------
    store
        The open store.
    events
        OpenLineage RunEvents, JobEvents or DatasetEvents as JSON objects (or
        :class:`~governance.canonical.Canonical` ones, whose text is reused).
    receipt
        Who delivered the events (``{"via": "api", "key": {...}}``): if given and an event
        is stored, a ``lineage.ingest`` entry with it, the stored events' seqs
        (``events``: ``[[first, last], ...]``) and counts (``stored``, ``duplicates``) is
        appended in the same transaction, after the events
        (:mod:`governance.lineage.provenance`).

    Returns
    -------
    list of Entry or None
        For each event, its new entry, or ``None`` if it was already recorded (or appears
        earlier in ``events``).

    Raises
    ------
    StoreError
        If an event is not JSON or not a valid OpenLineage event, or the database fails.
    """
    return append_event_groups(store, [(events, receipt)])[0]


def append_event_groups(
    store: AuditLog, groups: Sequence[tuple[Events, Mapping[str, Any] | None]]
) -> list[list[Entry | None]]:
    """Append several deliveries of events, each with its receipt, in one transaction.

    As :func:`append_events` for each ``(events, receipt)`` in turn (an event recorded by an
    earlier group counts as recorded); all are stored, or none. Groups with equal receipts
    share one ``lineage.ingest`` entry, appended after all the events.

    Returns
    -------
    list of list of Entry or None
        Per group, per event, its new entry or ``None``.
    """
    return store.append_unique(
        EVENT_KIND, groups, known=known_event_hashes, receipt_kind=INGEST_KIND
    )
