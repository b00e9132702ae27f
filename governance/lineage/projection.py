"""The lineage projection: jobs, datasets, versions, runs, edges and facets from OpenLineage events.

Every ``openlineage.event`` entry (a RunEvent, JobEvent or DatasetEvent, stored verbatim) is
projected here, a batch of entries at a time, into:

- ``lineage_events``: one row per distinct event, keyed by the sha256 of its canonical JSON, so
  the same event recorded twice is projected once (and ingest can skip it);
- ``lineage_jobs`` and ``lineage_datasets``: one row per name, with a numeric id the edges use;
  ``lineage_dataset_symlinks`` maps the names of a ``symlinks`` facet to their dataset;
- ``lineage_runs``: the state of each run (the event with the latest time wins; at equal times a
  terminal state beats RUNNING, which beats START; ``OTHER`` does not change the state);
- ``lineage_run_io`` (per run) and ``lineage_job_inputs`` / ``lineage_job_outputs`` (per job, the
  union over every run and JobEvent): the edges, each with the first entry that recorded it, so a
  query can ask for the graph as known at an earlier point of the log;
- ``lineage_dataset_versions``: one row each time a dataset is written (an output) or described
  (a DatasetEvent), with its ``version`` facet and a digest of its ``schema`` facet;
- ``lineage_facets``: the latest value of each facet of each job, dataset and run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select

from governance.canonical import sha256_hex
from governance.lineage.projection_batch import MAX_REMEMBERED, Batch, ProjectedEvent
from governance.lineage.tables import (
    lineage_dataset_symlinks,
    lineage_dataset_versions,
    lineage_datasets,
    lineage_events,
    lineage_facets,
    lineage_job_inputs,
    lineage_job_outputs,
    lineage_jobs,
    lineage_run_io,
    lineage_runs,
)
from governance.lineage.validate import (
    EventRejected,
    ValidatedEvent,
    parse_event,
)
from governance.store.bulk import select_in
from governance.store.records import Entry
from governance.store.tables import audit_log

__all__ = ["EVENT_KIND", "LineageProjector", "known_event_hashes"]

EVENT_KIND = "openlineage.event"

Item = tuple[Entry, Mapping[str, Any]]
Key = tuple[str, str]


def known_event_hashes(conn: Connection, hashes: Iterable[str]) -> set[str]:
    """Return which of these event hashes are already projected (so already in the log).

    Parameters
    ----------
    conn
        A connection inside the store's write transaction.
    hashes
        sha256 hex digests of events' canonical JSON.

    Returns
    -------
    set of str
        The known ones.
    """
    wanted = [(digest,) for digest in dict.fromkeys(hashes)]
    return {
        row[0] for row in select_in(conn, lineage_events, ("event_hash",), ("event_hash",), wanted)
    }


class LineageProjector:
    """Projects ``openlineage.event`` entries into the lineage tables.

    It remembers the ids of the jobs and datasets it has looked up, and those it inserted once
    their transaction is known to be committed (a rollback undoes them): the next batch finds
    the last log entry of the batch that inserted them stored. Ids are assigned in log order, so
    a rebuild, here or in another process, gives every name the same id again. :meth:`reset`
    forgets them; so does remembering more than :data:`MAX_REMEMBERED` of a kind.
    """

    kinds: tuple[str, ...] = (EVENT_KIND,)
    tables: tuple[Table, ...] = (
        lineage_facets,
        lineage_dataset_versions,
        lineage_job_outputs,
        lineage_job_inputs,
        lineage_run_io,
        lineage_runs,
        lineage_dataset_symlinks,
        lineage_events,
        lineage_datasets,
        lineage_jobs,
    )

    def __init__(self) -> None:
        self._known_ids: dict[str, dict[Key, int]] = {"job": {}, "dataset": {}}
        self._inserted: tuple[int, str, dict[str, dict[Key, int]]] | None = None
        """The ids the last batch inserted, with the seq and hash of its last log entry."""

    def reset(self) -> None:
        """Forget the remembered ids (the tables are being cleared, or a rebuild failed)."""
        for ids in self._known_ids.values():
            ids.clear()
        self._inserted = None

    def _learn_committed(self, conn: Connection, first_seq: int) -> None:
        """Remember the ids the last batch inserted if its transaction was committed.

        It was if its last entry is in the log, before the entries being projected now (a
        rolled back batch's seq is written again by the next append).
        """
        inserted, self._inserted = self._inserted, None
        if inserted is None:
            return
        seq, digest, ids = inserted
        if seq >= first_seq:
            return
        stored = conn.execute(
            select(audit_log.c.entry_hash).where(audit_log.c.seq == seq)
        ).scalar_one_or_none()
        if stored != digest:
            return
        for kind, found in ids.items():
            known = self._known_ids[kind]
            if len(known) + len(found) > MAX_REMEMBERED:
                known.clear()
            known.update(found)

    def project_many(self, conn: Connection, items: Sequence[Item]) -> None:
        """Project a batch of events; events already projected are skipped.

        Raises
        ------
        ProjectionError
            If an event is not a valid OpenLineage event (an event without a time zone is
            read as UTC here: ingest decides whether to accept it).
        """
        from governance.store.projections import ProjectionError

        if not items:
            return
        self._learn_committed(conn, items[0][0].seq)
        parsed: list[ProjectedEvent] = []
        for entry, payload in items:
            if isinstance(payload, ValidatedEvent):
                event = payload.parsed
                floats = payload.floats
            else:
                try:
                    event = parse_event(payload, assume_utc=True, text=entry.payload_json)
                except EventRejected as exc:
                    raise ProjectionError(f"not a valid OpenLineage event: {exc}", entry) from None
                floats = True
            parsed.append(ProjectedEvent(entry.seq, sha256_hex(entry.payload_json), event, floats))
        known = known_event_hashes(conn, (item.digest for item in parsed))
        fresh = []
        for item in parsed:
            if item.digest not in known:
                known.add(item.digest)
                fresh.append(item)
        if fresh:
            batch = Batch(conn, fresh, self._known_ids)
            batch.write()
            last = items[-1][0]
            self._inserted = (last.seq, last.entry_hash, batch.inserted)
