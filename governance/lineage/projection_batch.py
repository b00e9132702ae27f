"""The rows one batch of ``openlineage.event`` entries adds to the lineage tables.

:class:`~governance.lineage.projection.LineageProjector` parses a batch of entries into
:class:`ProjectedEvent` items and has a :class:`Batch` write them, a table at a time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, func, select

from governance.canonical import sha256_hex, sorted_json
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
    TERMINAL_EVENT_TYPES,
    DatasetRef,
    ParsedEvent,
)
from governance.store.bulk import insert_rows, select_in, update_rows
from governance.store.records import Entry

__all__ = ["Batch", "ProjectedEvent", "facet_value"]

MAX_REMEMBERED = 500_000
"""Job or dataset ids a projector keeps in memory at most (then it starts again)."""

MAX_VERSION_CHARS = 255
# Facet values and schema fields are written as sorted compact JSON (canonical.sorted_json).
# Projections are not hashed: sorted keys keep schema digests stable, no canonical check needed.
# Which of two events at the same time sets a run's state.
STATE_RANK = {"START": 0, "RUNNING": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}
RUN_COLUMNS = (
    "run_id",
    "job_id",
    "state",
    "state_time",
    "first_time",
    "started_at",
    "ended_at",
    "parent_run_id",
    "first_seq",
    "last_seq",
)
# What a later event may change in a run's row: all but its identity and first entry.
RUN_UPDATED = tuple(c for c in RUN_COLUMNS if c not in ("run_id", "job_id", "first_seq"))
VERSION_COLUMNS = (
    "dataset_id",
    "entry_seq",
    "event_time",
    "run_id",
    "version",
    "schema_digest",
    "schema_fields",
)

Item = tuple[Entry, Mapping[str, Any]]
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ProjectedEvent:
    """One new event of a batch: its entry's seq, its canonical sha256 and its parsed form."""

    seq: int
    digest: str
    parsed: ParsedEvent
    floats: bool
    """Whether the event may hold a float (its facets are then written by the exact encoder)."""


class Batch:
    """The rows of a batch of new events, written a table at a time."""

    def __init__(
        self, conn: Connection, events: list[ProjectedEvent], known_ids: dict[str, dict[Key, int]]
    ) -> None:
        self.known_ids = known_ids
        self.conn = conn
        self.events = events
        self.job_ids: dict[Key, int] = {}
        self.dataset_ids: dict[Key, int] = {}
        self.inserted: dict[str, dict[Key, int]] = {"job": {}, "dataset": {}}
        self.earlier_runs: set[str] = set()
        """Runs of this batch with events in earlier batches (their versions may exist)."""

    def write(self) -> None:
        """Write the batch's rows, a table at a time (ids first, then what refers to them)."""
        jobs: dict[Key, int] = {}
        datasets: dict[Key, int] = {}
        for item in self.events:
            event = item.parsed
            if event.job is not None and event.job not in jobs:
                jobs[event.job] = item.seq
            for ref in _dataset_refs(event):
                key = (ref.namespace, ref.name)
                if key not in datasets:
                    datasets[key] = item.seq
        self.job_ids = _ensure_ids(
            self.conn,
            lineage_jobs,
            lineage_jobs.c.job_id,
            jobs,
            self.known_ids["job"],
            self.inserted["job"],
        )
        self.dataset_ids = _ensure_ids(
            self.conn,
            lineage_datasets,
            lineage_datasets.c.dataset_id,
            datasets,
            self.known_ids["dataset"],
            self.inserted["dataset"],
        )
        self._events()
        self._runs()
        self._edges()
        self._versions()
        self._facets()
        self._symlinks()

    def _events(self) -> None:
        job_ids, dataset_ids = self.job_ids, self.dataset_ids
        rows = []
        for item in self.events:
            event = item.parsed
            dataset = event.dataset
            rows.append(
                (
                    item.digest,
                    item.seq,
                    event.event_class,
                    event.event_type,
                    event.event_time,
                    event.time_assumed_utc,
                    event.run_id,
                    None if event.job is None else job_ids[event.job],
                    None if dataset is None else dataset_ids[(dataset.namespace, dataset.name)],
                )
            )
        insert_rows(
            self.conn,
            lineage_events,
            rows,
            columns=(
                "event_hash",
                "entry_seq",
                "event_class",
                "event_type",
                "event_time",
                "time_assumed_utc",
                "run_id",
                "job_id",
                "dataset_id",
            ),
        )

    def _runs(self) -> None:
        runs: dict[str, dict[str, Any]] = {}
        run_events = [item for item in self.events if item.parsed.run_id is not None]
        if not run_events:
            return
        ids = dict.fromkeys(item.parsed.run_id for item in run_events if item.parsed.run_id)
        existing: set[str] = set()
        wanted = [(run_id,) for run_id in ids]
        for values in select_in(self.conn, lineage_runs, RUN_COLUMNS, ("run_id",), wanted):
            runs[values[0]] = dict(zip(RUN_COLUMNS, values, strict=True))
            existing.add(values[0])
        self.earlier_runs = existing
        for item in run_events:
            event = item.parsed
            assert event.run_id is not None and event.job is not None
            run = runs.get(event.run_id)
            if run is None:
                runs[event.run_id] = run = {
                    "run_id": event.run_id,
                    "job_id": self.job_ids[event.job],
                    "state": None,
                    "state_time": None,
                    "first_time": event.event_time,
                    "started_at": None,
                    "ended_at": None,
                    "parent_run_id": None,
                    "first_seq": item.seq,
                    "last_seq": item.seq,
                }
            _merge_run(run, event, item.seq)
        new = [run for run_id, run in runs.items() if run_id not in existing]
        old = [run for run_id, run in runs.items() if run_id in existing]
        insert_rows(
            self.conn,
            lineage_runs,
            [tuple([run[column] for column in RUN_COLUMNS]) for run in new],
            columns=RUN_COLUMNS,
        )
        update_rows(
            self.conn,
            lineage_runs,
            old,
            keys=("run_id",),
            columns=RUN_UPDATED,
        )

    def _edges(self) -> None:
        run_io: dict[tuple[str, str, int], tuple[Any, ...]] = {}
        inputs: dict[tuple[int, int], tuple[int, int, int]] = {}
        outputs: dict[tuple[int, int], tuple[int, int, int]] = {}
        job_ids, dataset_ids = self.job_ids, self.dataset_ids
        for item in self.events:
            event = item.parsed
            if event.job is None:
                continue
            job_id = job_ids[event.job]
            run_id = event.run_id
            seq = item.seq
            for direction, refs, edges in (
                ("input", event.inputs, inputs),
                ("output", event.outputs, outputs),
            ):
                for ref in refs:
                    dataset_id = dataset_ids[(ref.namespace, ref.name)]
                    if (job_id, dataset_id) not in edges:
                        edges[(job_id, dataset_id)] = (job_id, dataset_id, seq)
                    if run_id is not None and (run_id, direction, dataset_id) not in run_io:
                        run_io[(run_id, direction, dataset_id)] = (
                            run_id,
                            direction,
                            dataset_id,
                            seq,
                            event.event_time,
                        )
        insert_rows(
            self.conn,
            lineage_run_io,
            list(run_io.values()),
            columns=("run_id", "direction", "dataset_id", "first_seq", "event_time"),
            on_conflict="ON CONFLICT (run_id, direction, dataset_id) DO NOTHING",
        )
        for table, edges in ((lineage_job_inputs, inputs), (lineage_job_outputs, outputs)):
            insert_rows(
                self.conn,
                table,
                list(edges.values()),
                columns=("job_id", "dataset_id", "first_seq"),
                on_conflict="ON CONFLICT (job_id, dataset_id) DO NOTHING",
            )

    def _versions(self) -> None:
        """One version per run that wrote a dataset (its events merged), one per DatasetEvent."""
        by_run: dict[tuple[int, str], dict[str, Any]] = {}
        # without a run (JobEvent outputs, DatasetEvent): one version per dataset and entry, even
        # when an event lists the same dataset twice
        static: dict[tuple[int, int], dict[str, Any]] = {}
        for item in self.events:
            event = item.parsed
            written = event.outputs
            if event.dataset is not None:
                written = (*written, event.dataset)
            for ref in written:
                row = _version_row(self.dataset_ids[(ref.namespace, ref.name)], item, ref)
                if event.run_id is None:
                    at = (row["dataset_id"], item.seq)
                    static[at] = _merge_version(static[at], row) if at in static else row
                    continue
                key = (row["dataset_id"], event.run_id)
                by_run[key] = _merge_version(by_run[key], row) if key in by_run else row
        existing: dict[tuple[int, str], dict[str, Any]] = {}
        earlier = [key for key in by_run if key[1] in self.earlier_runs]
        columns = [column.name for column in lineage_dataset_versions.c]
        for values in select_in(
            self.conn, lineage_dataset_versions, columns, ("dataset_id", "run_id"), earlier
        ):
            found = dict(zip(columns, values, strict=True))
            existing[(int(found["dataset_id"]), str(found["run_id"]))] = found
        updates = []
        inserts = list(static.values())
        for key, row in by_run.items():
            if key in existing:
                merged = _merge_version(existing[key], row)
                updates.append(
                    {**merged, "b_dataset_id": key[0], "b_entry_seq": merged["entry_seq"]}
                )
            else:
                inserts.append(row)
        insert_rows(
            self.conn,
            lineage_dataset_versions,
            [tuple([row[column] for column in VERSION_COLUMNS]) for row in inserts],
            columns=VERSION_COLUMNS,
        )
        update_rows(
            self.conn,
            lineage_dataset_versions,
            updates,
            keys=("dataset_id", "entry_seq"),
            columns=("event_time", "version", "schema_digest", "schema_fields"),
        )

    def _facets(self) -> None:
        # (kind, key, name) -> (entry_seq, event_time, value, floats): the latest by event time,
        # the later entry at equal times. Only the winners are written as JSON.
        latest: dict[tuple[str, str, str], tuple[int, str, Any, bool]] = {}
        job_ids, dataset_ids = self.job_ids, self.dataset_ids
        for item in self.events:
            event = item.parsed
            time = event.event_time
            offered: list[tuple[str, str, Mapping[str, Any]]] = []
            if event.job is not None and event.job_facets:
                offered.append(("job", str(job_ids[event.job]), event.job_facets))
            if event.run_id is not None and event.run_facets:
                offered.append(("run", event.run_id, event.run_facets))
            for ref in _dataset_refs(event):
                if ref.facets:
                    key = str(dataset_ids[(ref.namespace, ref.name)])
                    offered.append(("dataset", key, ref.facets))
            for kind, key, facets in offered:
                for name, value in facets.items():
                    current = latest.get((kind, key, name))
                    if current is None or current[1] <= time:
                        latest[(kind, key, name)] = (item.seq, time, value, item.floats)
        if not latest:
            return
        _upsert_latest(
            self.conn,
            [
                (kind, key, name, seq, time, sorted_json(value, floats=floats))
                for (kind, key, name), (seq, time, value, floats) in latest.items()
            ],
        )

    def _symlinks(self) -> None:
        rows: dict[tuple[str, str, int], tuple[str, str, int, int]] = {}
        for item in self.events:
            for ref in _dataset_refs(item.parsed):
                if "symlinks" not in ref.facets:
                    continue
                dataset_id = self.dataset_ids[(ref.namespace, ref.name)]
                for namespace, name in _symlink_names(ref.facets):
                    if (namespace, name, dataset_id) not in rows:
                        rows[(namespace, name, dataset_id)] = (
                            namespace,
                            name,
                            dataset_id,
                            item.seq,
                        )
        insert_rows(
            self.conn,
            lineage_dataset_symlinks,
            list(rows.values()),
            columns=("namespace", "name", "dataset_id", "first_seq"),
            on_conflict="ON CONFLICT (namespace, name, dataset_id) DO NOTHING",
        )


def _merge_run(run: dict[str, Any], event: ParsedEvent, seq: int) -> None:
    """Fold one event into a run's row (order-independent but for equal times)."""
    time = event.event_time
    kind = event.event_type
    run["last_seq"] = max(run["last_seq"], seq)
    run["first_time"] = min(run["first_time"], time)
    if event.parent_run_id and not run["parent_run_id"]:
        run["parent_run_id"] = event.parent_run_id
    if kind == "START" and (run["started_at"] is None or time < run["started_at"]):
        run["started_at"] = time
    if kind in TERMINAL_EVENT_TYPES and (run["ended_at"] is None or time >= run["ended_at"]):
        run["ended_at"] = time
    if kind in STATE_RANK:
        current = (run["state_time"] or "", STATE_RANK.get(run["state"] or "", -1))
        if (time, STATE_RANK[kind]) >= current:
            run["state"] = kind
            run["state_time"] = time


def _version_row(dataset_id: int, item: ProjectedEvent, ref: DatasetRef) -> dict[str, Any]:
    fields = _schema_fields(ref.facets, floats=item.floats)
    return {
        "dataset_id": dataset_id,
        "entry_seq": item.seq,
        "event_time": item.parsed.event_time,
        "run_id": item.parsed.run_id,
        "version": _version(ref.facets),
        "schema_digest": None if fields is None else sha256_hex(fields),
        "schema_fields": fields,
    }


def _merge_version(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A run's version: the first entry, the latest time, and the latest facets given."""
    merged = dict(old)
    later = new["event_time"] >= old["event_time"]
    merged["event_time"] = max(old["event_time"], new["event_time"])
    merged["entry_seq"] = min(old["entry_seq"], new["entry_seq"])
    if new["version"] is not None and (later or old["version"] is None):
        merged["version"] = new["version"]
    if new["schema_fields"] is not None and (later or old["schema_fields"] is None):
        merged["schema_fields"] = new["schema_fields"]
        merged["schema_digest"] = new["schema_digest"]
    return merged


def _dataset_refs(event: ParsedEvent) -> list[DatasetRef]:
    refs = [*event.inputs, *event.outputs]
    if event.dataset is not None:
        refs.append(event.dataset)
    return refs


def _schema_fields(facets: Mapping[str, Any], *, floats: bool = True) -> str | None:
    schema = facets.get("schema")
    if not isinstance(schema, Mapping) or schema.get("_deleted") is True:
        return None
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return None
    return sorted_json(fields, floats=floats)


def _version(facets: Mapping[str, Any]) -> str | None:
    facet = facets.get("version")
    if not isinstance(facet, Mapping):
        return None
    value = facet.get("datasetVersion")
    if isinstance(value, str) and 0 < len(value) <= MAX_VERSION_CHARS:
        return value
    return None


def _symlink_names(facets: Mapping[str, Any]) -> list[Key]:
    facet = facets.get("symlinks")
    if not isinstance(facet, Mapping):
        return []
    identifiers = facet.get("identifiers")
    if not isinstance(identifiers, list):
        return []
    names = []
    for identifier in identifiers:
        if not isinstance(identifier, Mapping):
            continue
        namespace, name = identifier.get("namespace"), identifier.get("name")
        if (
            isinstance(namespace, str)
            and isinstance(name, str)
            and namespace
            and name
            and len(namespace.encode()) <= 255
            and len(name.encode()) <= 1024
        ):
            names.append((namespace, name))
    return names


def _ensure_ids(
    conn: Connection,
    table: Table,
    id_column: Any,
    keys: Mapping[Key, int],
    known: dict[Key, int],
    inserted: dict[Key, int],
) -> dict[Key, int]:
    """Ids of these (namespace, name) keys, adding the missing ones (first seen at ``seq``).

    New ids continue from the largest one, in order of first appearance: writes are serialised,
    so the ids a replay of the log assigns are the ones the appends assigned. ``known`` holds
    ids looked up before (and learns the ones looked up now); ``inserted`` receives the new ones.
    """
    ids: dict[Key, int] = {}
    unknown = []
    for key in keys:
        found = known.get(key)
        if found is None:
            unknown.append(key)
        else:
            ids[key] = found
    if not unknown:
        return ids
    looked_up = _lookup_ids(conn, table, id_column, unknown)
    if len(known) + len(looked_up) > MAX_REMEMBERED:
        known.clear()
    known.update(looked_up)
    ids.update(looked_up)
    missing = [key for key in unknown if key not in looked_up]
    if missing:
        start = conn.execute(select(func.coalesce(func.max(id_column), 0))).scalar_one() + 1
        rows = []
        for new_id, key in enumerate(missing, start=start):
            ids[key] = inserted[key] = new_id
            rows.append((new_id, key[0], key[1], keys[key]))
        insert_rows(conn, table, rows, columns=(id_column.name, "namespace", "name", "first_seq"))
    return ids


def _lookup_ids(conn: Connection, table: Table, id_column: Any, keys: list[Key]) -> dict[Key, int]:
    rows = select_in(
        conn, table, ("namespace", "name", id_column.name), ("namespace", "name"), keys
    )
    return {(namespace, name): found for namespace, name, found in rows}


def _upsert_latest(conn: Connection, rows: list[tuple[str, str, str, int, str, str]]) -> None:
    """Insert facets, replacing a stored value only with one at least as recent."""
    insert_rows(
        conn,
        lineage_facets,
        rows,
        columns=("subject_kind", "subject_key", "name", "entry_seq", "event_time", "value"),
        on_conflict=(
            "ON CONFLICT (subject_kind, subject_key, name) DO UPDATE SET "
            "entry_seq = excluded.entry_seq, event_time = excluded.event_time, "
            "value = excluded.value WHERE excluded.event_time >= lineage_facets.event_time"
        ),
    )


def facet_value(text: str) -> Any:
    """Read a stored facet value (canonical JSON)."""
    return json.loads(text)
