"""Paged listings of the lineage projections: namespaces, jobs, datasets, events, job edges.

What the Marquez-compatible API pages through (``governance serve``). Graph traversals, runs and
facets are :class:`~governance.lineage.queries.LineageQueries`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select, union_all

from governance.lineage.catalog import LineageCatalog
from governance.lineage.tables import (
    lineage_datasets,
    lineage_events,
    lineage_job_inputs,
    lineage_job_outputs,
    lineage_jobs,
)
from governance.store.engine import StoreEngine
from governance.store.tables import audit_log

__all__ = ["LineageListings", "NamedRow"]

CHUNK = 400


@dataclass(frozen=True)
class NamedRow:
    """A job or dataset (or namespace) with the time the log first mentioned it."""

    id: int
    namespace: str
    name: str
    created_at: str


class LineageListings:
    """Paged listings over one store's lineage projections.

    Parameters
    ----------
    engine
        The store's engine (``AuditStore.listings`` builds this).
    """

    def __init__(self, engine: StoreEngine) -> None:
        self._engine = engine

    @property
    def catalog(self) -> LineageCatalog:
        """Catalog reads: node times, dataset versions, search, run facets."""
        return LineageCatalog(self._engine)

    def namespaces(self) -> list[tuple[str, str]]:
        """Every namespace of a job or dataset, with the time it first appeared, by name."""
        both = union_all(
            select(lineage_jobs.c.namespace, lineage_jobs.c.first_seq),
            select(lineage_datasets.c.namespace, lineage_datasets.c.first_seq),
        ).subquery()
        firsts = (
            select(both.c.namespace, func.min(both.c.first_seq).label("seq"))
            .group_by(both.c.namespace)
            .subquery()
        )
        query = (
            select(firsts.c.namespace, audit_log.c.created_at)
            .join(audit_log, audit_log.c.seq == firsts.c.seq)
            .order_by(firsts.c.namespace)
        )
        with self._engine.read("read") as conn:
            return [(row[0], row[1]) for row in conn.execute(query)]

    def named(
        self, kind: Literal["job", "dataset"], namespace: str, *, limit: int, offset: int
    ) -> tuple[list[NamedRow], int]:
        """A page of the jobs or datasets of a namespace, by name, and how many there are."""
        table = lineage_jobs if kind == "job" else lineage_datasets
        id_column = table.c.job_id if kind == "job" else table.c.dataset_id
        query = (
            select(id_column, table.c.namespace, table.c.name, audit_log.c.created_at)
            .join(audit_log, audit_log.c.seq == table.c.first_seq)
            .where(table.c.namespace == namespace)
            .order_by(table.c.name)
            .limit(limit)
            .offset(offset)
        )
        count = select(func.count()).select_from(table).where(table.c.namespace == namespace)
        with self._engine.read("read") as conn:
            rows = [NamedRow(row[0], row[1], row[2], row[3]) for row in conn.execute(query)]
            total = int(conn.execute(count).scalar_one())
        return rows, total

    def job_edges(
        self, job_ids: Iterable[int]
    ) -> dict[int, tuple[list[tuple[str, str]], list[tuple[str, str]]]]:
        """The datasets each job reads and writes, as ``(namespace, name)``, sorted."""
        ids = list(dict.fromkeys(job_ids))
        found: dict[int, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
            job_id: ([], []) for job_id in ids
        }
        with self._engine.read("read") as conn:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                for side, table in ((0, lineage_job_inputs), (1, lineage_job_outputs)):
                    rows = conn.execute(
                        select(
                            table.c.job_id, lineage_datasets.c.namespace, lineage_datasets.c.name
                        )
                        .join(lineage_datasets, lineage_datasets.c.dataset_id == table.c.dataset_id)
                        .where(table.c.job_id.in_(chunk))
                    )
                    for job_id, namespace, name in rows:
                        found[job_id][side].append((namespace, name))
        for inputs, outputs in found.values():
            inputs.sort()
            outputs.sort()
        return found

    def events(
        self,
        *,
        after: str,
        before: str,
        descending: bool,
        limit: int,
        offset: int,
    ) -> tuple[list[str], int]:
        """A page of recorded events (canonical JSON text) by event time, and the total."""
        where = (lineage_events.c.event_time >= after, lineage_events.c.event_time <= before)
        order = lineage_events.c.event_time.desc() if descending else lineage_events.c.event_time
        seq_order = lineage_events.c.entry_seq.desc() if descending else lineage_events.c.entry_seq
        query = (
            select(audit_log.c.payload)
            .join(lineage_events, lineage_events.c.entry_seq == audit_log.c.seq)
            .where(*where)
            .order_by(order, seq_order)
            .limit(limit)
            .offset(offset)
        )
        count = select(func.count()).select_from(lineage_events).where(*where)
        with self._engine.read("read") as conn:
            payloads = [row[0] for row in conn.execute(query)]
            total = int(conn.execute(count).scalar_one())
        return payloads, total
