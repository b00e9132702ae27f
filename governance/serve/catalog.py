"""Listings the API pages through: namespaces, jobs, datasets, events, job edges and reports.

Read-only SELECTs over the store's projection tables (``governance.store.tables``), through an
engine of the store's own kind (:func:`governance.store.engine.open_engine`). Graph traversals,
runs and facets are not here: they come from
:class:`governance.lineage.queries.LineageQueries`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, literal, select, union_all

from governance.errors import VerificationFailed
from governance.evaluations.tables import reports
from governance.lineage.tables import (
    lineage_datasets,
    lineage_events,
    lineage_job_inputs,
    lineage_job_outputs,
    lineage_jobs,
)
from governance.store.engine import StoreEngine, open_engine
from governance.store.tables import audit_log
from governance.store.walk import row_hash

__all__ = ["Catalog", "NamedRow", "ReportRow"]

CHUNK = 400
REPORT_OUT_OF_STEP = (
    "audit entry {seq} is not the report the reports table says it is, or does not match its "
    "hash: run `governance audit verify`"
)


@dataclass(frozen=True)
class NamedRow:
    """A job or dataset (or namespace) with the time the log first mentioned it."""

    id: int
    namespace: str
    name: str
    created_at: str


@dataclass(frozen=True)
class ReportRow:
    """A report recorded in the log."""

    entry_seq: int
    evaluation_id: str
    path: str
    digest: str | None
    signed: bool
    created_at: str


class Catalog:
    """Paged listings over one store's projections.

    Parameters
    ----------
    url
        The store URL (the store must exist).
    """

    def __init__(self, url: str) -> None:
        self._engine: StoreEngine = open_engine(url, create=False)

    def close(self) -> None:
        """Close the catalog's connections."""
        self._engine.dispose()

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

    def reports(self, evaluation_id: str | None = None) -> list[ReportRow]:
        """Recorded reports, newest first (of one evaluation, if given).

        The ``reports`` table finds the entries; what each row says comes from the ``report``
        entry itself, whose hash is checked.

        Raises
        ------
        VerificationFailed
            If a report entry does not match its hash, or the table points at an entry that is
            not that report.
        """
        query = (
            select(reports.c.evaluation_id.label("indexed_as"), audit_log)
            .join(audit_log, audit_log.c.seq == reports.c.entry_seq)
            .order_by(reports.c.entry_seq.desc())
        )
        if evaluation_id is not None:
            query = query.where(reports.c.evaluation_id == evaluation_id)
        with self._engine.read("read") as conn:
            rows = conn.execute(query).all()
        found = []
        for row in rows:
            payload = json.loads(row.payload) if row_hash(row) == row.entry_hash else None
            if (
                row.kind != "report"
                or not isinstance(payload, dict)
                or payload.get("evaluation_id") != row.indexed_as
                or not isinstance(payload.get("path"), str)
            ):
                raise VerificationFailed(REPORT_OUT_OF_STEP.format(seq=row.seq))
            digest = payload.get("digest")
            found.append(
                ReportRow(
                    row.seq,
                    str(payload["evaluation_id"]),
                    payload["path"],
                    digest if isinstance(digest, str) else None,
                    payload.get("signed") is True,
                    row.created_at,
                )
            )
        return found

    def entry_count(self) -> int:
        """How many entries the log holds."""
        with self._engine.read("read") as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())

    def ping(self) -> Any:
        """Run a trivial query (readiness)."""
        with self._engine.read("read") as conn:
            return conn.execute(select(literal(1))).scalar_one()
