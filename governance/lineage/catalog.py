"""Catalog reads of the lineage projections: node times, dataset versions, search, run facets.

What a catalog client (Marquez's API, ``governance serve``) asks beyond graphs and runs. Times
are the log's own (``audit_log.created_at`` of the entries), so they never depend on a
producer's clock: a node's ``created_at`` is the entry that first named it, ``updated_at`` the
last entry that named it (an event of it, a run reading or writing it, a facet, a version).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, func, select

from governance.lineage.query_rows import chunks, load_facets
from governance.lineage.tables import (
    lineage_dataset_versions,
    lineage_datasets,
    lineage_events,
    lineage_facets,
    lineage_job_inputs,
    lineage_job_outputs,
    lineage_jobs,
    lineage_run_io,
)
from governance.store.engine import StoreEngine
from governance.store.tables import audit_log

__all__ = ["DatasetVersionRow", "LineageCatalog", "NamedNode", "NodeTimes"]

NodeKind = Literal["job", "dataset"]
SEARCH_CAP = 10_000


@dataclass(frozen=True)
class NodeTimes:
    """When the log first and last named a node, and (datasets) its latest version entry."""

    created_at: str
    updated_at: str
    version_seq: int | None = None
    version_at: str | None = None


@dataclass(frozen=True)
class NamedNode:
    """A job or dataset found by name."""

    kind: NodeKind
    id: int
    namespace: str
    name: str


@dataclass(frozen=True)
class DatasetVersionRow:
    """One recorded version of a dataset: the entry that wrote or described it."""

    entry_seq: int
    created_at: str
    event_time: str
    run_id: str | None
    version: str | None
    fields: tuple[tuple[str, str | None], ...] | None


def _seq_sources(kind: NodeKind) -> list[tuple[Any, Any]]:
    """``(id column, seq column)`` of every table whose rows name a job or dataset."""
    if kind == "job":
        return [
            (lineage_jobs.c.job_id, lineage_jobs.c.first_seq),
            (lineage_events.c.job_id, lineage_events.c.entry_seq),
            (lineage_job_inputs.c.job_id, lineage_job_inputs.c.first_seq),
            (lineage_job_outputs.c.job_id, lineage_job_outputs.c.first_seq),
        ]
    return [
        (lineage_datasets.c.dataset_id, lineage_datasets.c.first_seq),
        (lineage_events.c.dataset_id, lineage_events.c.entry_seq),
        (lineage_run_io.c.dataset_id, lineage_run_io.c.first_seq),
        (lineage_dataset_versions.c.dataset_id, lineage_dataset_versions.c.entry_seq),
    ]


def _log_times(conn: Connection, seqs: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(seqs))
    found: dict[int, str] = {}
    for chunk in chunks(wanted):
        rows = conn.execute(
            select(audit_log.c.seq, audit_log.c.created_at).where(audit_log.c.seq.in_(chunk))
        )
        found.update({int(row[0]): row[1] for row in rows})
    return found


class LineageCatalog:
    """Catalog reads over one store's lineage projections.

    Parameters
    ----------
    engine
        The store's engine (``AuditStore.listings.catalog`` builds this).
    """

    def __init__(self, engine: StoreEngine) -> None:
        self._engine = engine

    def times(self, kind: NodeKind, ids: Iterable[int]) -> dict[int, NodeTimes]:
        """Return when each job or dataset was first and last named in the log."""
        wanted = list(dict.fromkeys(ids))
        spans: dict[int, list[int]] = {}

        def widen(node_id: int, low: int, high: int) -> None:
            span = spans.setdefault(node_id, [low, high])
            span[0], span[1] = min(span[0], low), max(span[1], high)

        latest: dict[int, int] = {}
        with self._engine.read("read") as conn:
            for chunk in chunks(wanted):
                for id_column, seq in _seq_sources(kind):
                    query = (
                        select(id_column, func.min(seq), func.max(seq))
                        .where(id_column.in_(chunk))
                        .group_by(id_column)
                    )
                    for node_id, low, high in conn.execute(query):
                        widen(int(node_id), int(low), int(high))
                facets = lineage_facets
                query = (
                    select(facets.c.subject_key, func.max(facets.c.entry_seq))
                    .where(
                        facets.c.subject_kind == kind,
                        facets.c.subject_key.in_([str(node_id) for node_id in chunk]),
                    )
                    .group_by(facets.c.subject_key)
                )
                for key, high in conn.execute(query):
                    if int(key) in spans:
                        widen(int(key), int(high), int(high))
                if kind == "dataset":
                    versions = lineage_dataset_versions
                    query = (
                        select(versions.c.dataset_id, func.max(versions.c.entry_seq))
                        .where(versions.c.dataset_id.in_(chunk))
                        .group_by(versions.c.dataset_id)
                    )
                    latest.update({int(row[0]): int(row[1]) for row in conn.execute(query)})
            seqs = [seq for span in spans.values() for seq in span] + list(latest.values())
            when = _log_times(conn, seqs)
        return {
            node_id: NodeTimes(
                created_at=when[low],
                updated_at=when[high],
                version_seq=latest.get(node_id),
                version_at=when[latest[node_id]] if node_id in latest else None,
            )
            for node_id, (low, high) in spans.items()
        }

    def namespace_times(self) -> list[tuple[str, str, str]]:
        """Every namespace of a job or dataset: ``(name, first named, last named)``, by name."""
        jobs, datasets = lineage_jobs, lineage_datasets
        queries = [
            select(jobs.c.namespace, func.min(jobs.c.first_seq), func.max(jobs.c.first_seq)),
            select(
                datasets.c.namespace, func.min(datasets.c.first_seq), func.max(datasets.c.first_seq)
            ),
            select(
                jobs.c.namespace,
                func.min(lineage_events.c.entry_seq),
                func.max(lineage_events.c.entry_seq),
            ).join(lineage_events, lineage_events.c.job_id == jobs.c.job_id),
            select(
                datasets.c.namespace,
                func.min(lineage_events.c.entry_seq),
                func.max(lineage_events.c.entry_seq),
            ).join(lineage_events, lineage_events.c.dataset_id == datasets.c.dataset_id),
            select(
                datasets.c.namespace,
                func.min(lineage_run_io.c.first_seq),
                func.max(lineage_run_io.c.first_seq),
            ).join(lineage_run_io, lineage_run_io.c.dataset_id == datasets.c.dataset_id),
        ]
        spans: dict[str, list[int]] = {}
        with self._engine.read("read") as conn:
            for query in queries:
                for namespace, low, high in conn.execute(query.group_by(query.selected_columns[0])):
                    span = spans.setdefault(namespace, [int(low), int(high)])
                    span[0], span[1] = min(span[0], int(low)), max(span[1], int(high))
            when = _log_times(conn, [seq for span in spans.values() for seq in span])
        return [(name, when[low], when[high]) for name, (low, high) in sorted(spans.items())]

    def dataset_namespaces(self) -> list[str]:
        """The namespaces that hold a dataset, by name."""
        query = (
            select(lineage_datasets.c.namespace).distinct().order_by(lineage_datasets.c.namespace)
        )
        with self._engine.read("read") as conn:
            return [row[0] for row in conn.execute(query)]

    def dataset_versions(self, dataset_id: int) -> list[DatasetVersionRow]:
        """Every recorded version of a dataset, newest first."""
        versions = lineage_dataset_versions
        query = (
            select(
                versions.c.entry_seq,
                audit_log.c.created_at,
                versions.c.event_time,
                versions.c.run_id,
                versions.c.version,
                versions.c.schema_fields,
            )
            .join(audit_log, audit_log.c.seq == versions.c.entry_seq)
            .where(versions.c.dataset_id == dataset_id)
            .order_by(versions.c.entry_seq.desc())
        )
        with self._engine.read("read") as conn:
            return [
                DatasetVersionRow(
                    entry_seq=int(row[0]),
                    created_at=row[1],
                    event_time=row[2],
                    run_id=row[3],
                    version=row[4],
                    fields=_fields(row[5]),
                )
                for row in conn.execute(query)
            ]

    def search(self, text: str, *, namespace: str | None = None) -> list[NamedNode]:
        """Return the jobs and datasets whose name contains ``text``, by name.

        Case-insensitive; ``%`` and ``_`` are wildcards, as in Marquez; at most
        :data:`SEARCH_CAP`.
        """
        pattern = f"%{text.lower()}%"
        found: list[NamedNode] = []
        with self._engine.read("read") as conn:
            sides: tuple[tuple[NodeKind, Any, Any], ...] = (
                ("job", lineage_jobs, lineage_jobs.c.job_id),
                ("dataset", lineage_datasets, lineage_datasets.c.dataset_id),
            )
            for kind, table, id_column in sides:
                query = select(id_column, table.c.namespace, table.c.name).where(
                    func.lower(table.c.name).like(pattern)
                )
                if namespace is not None:
                    query = query.where(table.c.namespace == namespace)
                query = query.order_by(table.c.name, table.c.namespace).limit(SEARCH_CAP)
                found += [NamedNode(kind, int(r[0]), r[1], r[2]) for r in conn.execute(query)]
        found.sort(key=lambda node: (node.name, node.namespace, node.kind))
        return found[:SEARCH_CAP]

    def run_facets(self, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The latest facets of each run, by run id (deleted facets left out)."""
        with self._engine.read("read") as conn:
            found = load_facets(conn, [("run", run_id) for run_id in dict.fromkeys(run_ids)])
        return {key: facets for (_, key), facets in found.items()}

    def facet_everywhere(self, name: str) -> list[tuple[str, str, Any]]:
        """The latest facet ``name`` of every job, dataset and run that has one.

        ``(subject kind, subject key, value)`` by kind and key; deleted facets left out. One
        query on the facet name (``GET /api/v1/tags`` reads every ``tags`` facet so).
        """
        query = (
            select(
                lineage_facets.c.subject_kind, lineage_facets.c.subject_key, lineage_facets.c.value
            )
            .where(lineage_facets.c.name == name)
            .order_by(lineage_facets.c.subject_kind, lineage_facets.c.subject_key)
        )
        found = []
        with self._engine.read("read") as conn:
            for kind, key, text in conn.execute(query):
                value = json.loads(text)
                if not (isinstance(value, dict) and value.get("_deleted") is True):
                    found.append((str(kind), str(key), value))
        return found


def _fields(text_value: str | None) -> tuple[tuple[str, str | None], ...] | None:
    if text_value is None:
        return None
    found = []
    for item in json.loads(text_value):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            kind = item.get("type")
            found.append((item["name"], kind if isinstance(kind, str) else None))
    return tuple(found)
