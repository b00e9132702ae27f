"""Queries over the lineage projections, for auditors and for lineage checks.

Every graph traversal is one recursive SQL statement (``WITH RECURSIVE``) over the indexed
job-level edge tables ``lineage_job_inputs`` and ``lineage_job_outputs``; no graph is walked in
Python. Depth counts jobs: depth 1 upstream of a dataset is the jobs that wrote it and the
datasets they read. ``as_of`` limits a query to the edges recorded in the log up to a point: the
graph as the store knew it then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from governance.errors import LineageError, LineageNotFound
from governance.lineage.graph_sql import SQL, Direction
from governance.lineage.model import (
    DatasetVersion,
    GraphNode,
    History,
    LineageGraph,
    Node,
    RunDetail,
    RunEvent,
    RunSummary,
    split_node_name,
)
from governance.lineage.naming import JOB_SUFFIX
from governance.lineage.query_rows import (
    build_graph,
    chunks,
    dataset_versions,
    facet_names,
    find_nodes,
    find_symlinked,
    load_facets,
    run_summaries,
)
from governance.lineage.tables import (
    lineage_dataset_versions,
    lineage_datasets,
    lineage_events,
    lineage_facets,
    lineage_jobs,
    lineage_run_io,
    lineage_runs,
)
from governance.store.engine import StoreEngine
from governance.store.tables import audit_log

__all__ = ["LineageQueries"]

NO_LIMIT = 2**62
CHUNK = 400

NOT_FOUND = "no {kind} {namespace}:{name} in the audit store"
NOT_FOUND_HINT = "`governance lineage ingest` records events; node names are case-sensitive"
AMBIGUOUS = "{text!r} names several {kind}s: {found}"
NO_RUN = "no run {run_id} in the audit store"
NOT_A_RUN_ID = "{run_id!r} is not a run id: run ids are UUIDs such as {example}"
RUN_ID_EXAMPLE = "01936f6a-0000-7000-8000-00000000a002"
NOT_YET_RECORDED = "{node} was not yet recorded at {as_of} (first recorded at {first})"
DIGEST_PREFIX = "sha256:"
NOT_A_FILE_TARGET = (
    "{target!r} is not a file: name a dataset (dataset:<namespace>:<name>) or a digest "
    "(sha256:<hex>)"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class LineageQueries:
    """Read-only queries over the lineage projections of one store.

    Parameters
    ----------
    engine
        The store's engine (``AuditStore.lineage`` builds this).
    """

    def __init__(self, engine: StoreEngine) -> None:
        self._engine = engine

    # -- nodes -----------------------------------------------------------------------------

    def resolve(self, name: str) -> Node:
        """Find the node a ``dataset:<namespace>:<name>`` or ``job:<namespace>:<name>`` names.

        A dataset may also be named by one of its symlinks (the ``symlinks`` facet).

        Parameters
        ----------
        name
            The node name.

        Returns
        -------
        Node
            The job or dataset.

        Raises
        ------
        LineageError
            If the name is malformed, names nothing in the store, or is ambiguous.
        """
        try:
            kind, candidates = split_node_name(name)
        except ValueError as exc:
            raise LineageError(str(exc)) from None
        with self._engine.read("read") as conn:
            found = find_nodes(conn, kind, candidates)
            if not found and kind == "dataset":
                found = find_symlinked(conn, candidates)
        if not found:
            namespace, short = candidates[0]
            raise LineageNotFound(
                NOT_FOUND.format(kind=kind, namespace=namespace, name=short), hint=NOT_FOUND_HINT
            )
        if len(found) > 1:
            names = ", ".join(node.key for node in found)
            raise LineageError(AMBIGUOUS.format(text=name, kind=kind, found=names))
        return found[0]

    def find_datasets(self, keys: Sequence[tuple[str, str]]) -> list[Node]:
        """Return the datasets with these ``(namespace, name)`` that the store knows."""
        with self._engine.read("read") as conn:
            return find_nodes(conn, "dataset", list(keys))

    def cutoff(self, as_of: str) -> int:
        """Return the last log entry appended at or before ``as_of`` (0 if none).

        Parameters
        ----------
        as_of
            A UTC time as the log stores them (``YYYY-MM-DDTHH:MM:SS.ffffffZ``).

        Returns
        -------
        int
            The entry's ``seq``.
        """
        with self._engine.read("read") as conn:
            seq = conn.execute(
                select(func.max(audit_log.c.seq)).where(audit_log.c.created_at <= as_of)
            ).scalar_one_or_none()
        return int(seq or 0)

    # -- graphs ----------------------------------------------------------------------------

    def traverse(
        self,
        root: Node,
        direction: Direction,
        *,
        depth: int,
        as_of: str | None = None,
        facets: bool = False,
    ) -> LineageGraph:
        """Return the graph around ``root``, in one recursive query.

        Parameters
        ----------
        root
            The starting job or dataset.
        direction
            ``upstream`` (where it came from), ``downstream`` (what it feeds) or ``both``.
        depth
            How many jobs away from the root to go (at least 1).
        as_of
            Only edges recorded by this time (UTC, as the log stores times).
        facets
            Also list the names of each node's facets.

        Returns
        -------
        LineageGraph
            The nodes (with their distance in jobs) and edges.

        Raises
        ------
        LineageError
            If ``as_of`` is before the root was first recorded.
        """
        cutoff = NO_LIMIT if as_of is None else self.cutoff(as_of)
        if as_of is not None:
            self._check_recorded(root, as_of, cutoff)
        params = {
            "root_job": root.id if root.kind == "job" else None,
            "root_dataset": root.id if root.kind == "dataset" else None,
            "depth": depth,
            "cutoff": cutoff,
        }
        with self._engine.read("query the lineage of") as conn:
            step = "subquery" if conn.dialect.name == "sqlite" else "join"
            rows = conn.execute(SQL[(step, direction)], params).all()
            nodes, edges = build_graph(root, rows)
            names = facet_names(conn, nodes) if facets else {}
        graph_nodes = tuple(
            GraphNode(node=node, depth=level, facets=names.get((node.kind, node.id), ()))
            for node, level in sorted(nodes.values(), key=lambda item: (item[1], item[0].key))
        )
        return LineageGraph(
            root=root,
            direction=direction,
            depth=depth,
            nodes=graph_nodes,
            edges=tuple(sorted(edges, key=lambda edge: (edge.source, edge.target))),
            as_of=as_of,
            as_of_seq=None if as_of is None else cutoff,
        )

    def _check_recorded(self, node: Node, as_of: str, cutoff: int) -> None:
        """Raise if the store had not recorded ``node`` by log entry ``cutoff``."""
        table = lineage_jobs if node.kind == "job" else lineage_datasets
        id_column = table.c.job_id if node.kind == "job" else table.c.dataset_id
        with self._engine.read("read") as conn:
            first = conn.execute(
                select(audit_log.c.created_at)
                .join(table, table.c.first_seq == audit_log.c.seq)
                .where(id_column == node.id, table.c.first_seq > cutoff)
            ).scalar_one_or_none()
        if first is not None:
            raise LineageError(NOT_YET_RECORDED.format(node=node.key, as_of=as_of, first=first))

    # -- runs ------------------------------------------------------------------------------

    def run(self, run_id: str) -> RunDetail:
        """Return one run with its events, datasets, facets and child runs.

        Raises
        ------
        LineageError
            If ``run_id`` is not a UUID or the store has no such run.
        """
        if not _UUID.fullmatch(run_id):
            raise LineageError(NOT_A_RUN_ID.format(run_id=run_id, example=RUN_ID_EXAMPLE))
        key = run_id.lower()
        with self._engine.read("read") as conn:
            summaries = run_summaries(conn, [key])
            if not summaries:
                raise LineageNotFound(NO_RUN.format(run_id=run_id))
            summary = summaries[0]
            events = tuple(
                RunEvent(row.entry_seq, row.event_type, row.event_time, bool(row.time_assumed_utc))
                for row in conn.execute(
                    select(lineage_events)
                    .where(lineage_events.c.run_id == key)
                    .order_by(lineage_events.c.event_time, lineage_events.c.entry_seq)
                )
            )
            job_id = conn.execute(
                select(lineage_runs.c.job_id).where(lineage_runs.c.run_id == key)
            ).scalar_one()
            facets = load_facets(conn, [("run", key), ("job", str(job_id))])
            children = tuple(
                row[0]
                for row in conn.execute(
                    select(lineage_runs.c.run_id)
                    .where(lineage_runs.c.parent_run_id == key)
                    .order_by(lineage_runs.c.first_time)
                )
            )
        return RunDetail(
            summary=summary,
            events=events,
            run_facets=facets.get(("run", key), {}),
            job_facets=facets.get(("job", str(job_id)), {}),
            children=children,
        )

    def runs_of_jobs(self, job_ids: Iterable[int]) -> dict[int, list[RunSummary]]:
        """Return every run of these jobs, oldest first, by job id."""
        ids = list(dict.fromkeys(job_ids))
        found: dict[int, list[RunSummary]] = {job_id: [] for job_id in ids}
        with self._engine.read("read") as conn:
            for chunk in chunks(ids):
                run_ids = [
                    row[0]
                    for row in conn.execute(
                        select(lineage_runs.c.run_id).where(lineage_runs.c.job_id.in_(chunk))
                    )
                ]
                for summary, job_id in run_summaries(conn, run_ids, with_job_id=True):
                    found[job_id].append(summary)
        for runs in found.values():
            runs.sort(key=lambda run: (run.first_time, run.run_id))
        return found

    def writers(self, dataset_ids: Iterable[int]) -> dict[int, list[RunSummary]]:
        """Return the runs that wrote each dataset (as an output), oldest first."""
        ids = list(dict.fromkeys(dataset_ids))
        found: dict[int, list[RunSummary]] = {dataset_id: [] for dataset_id in ids}
        with self._engine.read("read") as conn:
            pairs: list[tuple[int, str]] = []
            for chunk in chunks(ids):
                pairs += [
                    (row.dataset_id, row.run_id)
                    for row in conn.execute(
                        select(lineage_run_io.c.dataset_id, lineage_run_io.c.run_id).where(
                            lineage_run_io.c.dataset_id.in_(chunk),
                            lineage_run_io.c.direction == "output",
                        )
                    )
                ]
            summaries = {s.run_id: s for s in run_summaries(conn, [run for _, run in pairs])}
        for dataset_id, run_id in pairs:
            found[dataset_id].append(summaries[run_id])
        for runs in found.values():
            runs.sort(key=lambda run: (run.first_time, run.run_id))
        return found

    def datasets_with_version(self, version: str) -> list[tuple[Node, str | None]]:
        """Return datasets that had this ``version`` facet value, with the run that wrote it."""
        query = (
            select(
                lineage_datasets.c.dataset_id,
                lineage_datasets.c.namespace,
                lineage_datasets.c.name,
                lineage_dataset_versions.c.run_id,
            )
            .join(
                lineage_datasets,
                lineage_datasets.c.dataset_id == lineage_dataset_versions.c.dataset_id,
            )
            .where(lineage_dataset_versions.c.version == version)
            .order_by(lineage_dataset_versions.c.entry_seq)
        )
        with self._engine.read("read") as conn:
            return [
                (Node("dataset", row.dataset_id, row.namespace, row.name), row.run_id)
                for row in conn.execute(query)
            ]

    def evaluations(self, target: str) -> list[RunSummary]:
        """Return the governance checks that read one file: by its node, or by its digest.

        The lineage graph is job-level: downstream of a model file are all the runs of the
        checks' job, whichever model each read. This is run-level: only the checks whose own
        inputs are the file, under its name or under another name with the same bytes (a
        check that named it by an absolute path, before names were portable).

        Parameters
        ----------
        target
            ``dataset:<namespace>:<name>`` (that file, and any file with a digest it had), or
            ``sha256:<hex>`` (any file with those bytes: its ``version`` facet, as written by
            its producer or read by a check).

        Returns
        -------
        list of RunSummary
            The checks (runs of ``<model>.governance_check`` jobs), oldest first.

        Raises
        ------
        LineageError
            If ``target`` is neither, or names a job; LineageNotFound if no such dataset.
        """
        named: set[int] = set()
        digests = {target} if target.startswith(DIGEST_PREFIX) else set()
        if not digests:
            node = self.resolve(target)
            if node.kind != "dataset":
                raise LineageError(NOT_A_FILE_TARGET.format(target=target))
            named.add(node.id)
        with self._engine.read("read") as conn:
            if named:
                digests |= _digests_of(conn, named)
            datasets = named | _datasets_with(conn, digests)
            read = select(lineage_run_io.c.run_id).where(lineage_run_io.c.direction == "input")
            run_ids: list[str] = []
            for chunk in chunks(sorted(datasets)):
                run_ids += [
                    row[0]
                    for row in conn.execute(read.where(lineage_run_io.c.dataset_id.in_(chunk)))
                ]
            found: list[RunSummary] = run_summaries(conn, run_ids)
        checks = [run for run in found if run.job.endswith(JOB_SUFFIX)]
        return sorted(checks, key=lambda run: (run.first_time, run.run_id))

    def facets(self, nodes: Iterable[Node]) -> dict[str, dict[str, Any]]:
        """Return the latest facets of each node, by node name (deleted facets left out)."""
        wanted: dict[tuple[str, str], str] = {(node.kind, str(node.id)): node.key for node in nodes}
        with self._engine.read("read") as conn:
            found = load_facets(conn, list(wanted))
        return {wanted[key]: facets for key, facets in found.items()}

    # -- history ---------------------------------------------------------------------------

    def history(self, node: Node, *, since: str | None = None, until: str | None = None) -> History:
        """Return the runs and (for a dataset) the versions of a node between two times.

        For a job: its runs. For a dataset: the runs that read or wrote it, and each version
        (write or description) with its schema change from the version before.

        Parameters
        ----------
        node
            The job or dataset.
        since, until
            UTC bounds on event times (inclusive), as the log writes them.

        Returns
        -------
        History
            Oldest first.
        """
        low, high = since or "", until or "9999"
        with self._engine.read("read") as conn:
            if node.kind == "job":
                run_ids = [
                    row[0]
                    for row in conn.execute(
                        select(lineage_runs.c.run_id).where(
                            lineage_runs.c.job_id == node.id,
                            lineage_runs.c.first_time >= low,
                            lineage_runs.c.first_time <= high,
                        )
                    )
                ]
                versions: tuple[DatasetVersion, ...] = ()
            else:
                run_ids = [
                    row[0]
                    for row in conn.execute(
                        select(lineage_run_io.c.run_id)
                        .where(
                            lineage_run_io.c.dataset_id == node.id,
                            lineage_run_io.c.event_time >= low,
                            lineage_run_io.c.event_time <= high,
                        )
                        .distinct()
                    )
                ]
                versions = dataset_versions(conn, node.id, low, high)
            runs = sorted(run_summaries(conn, run_ids), key=lambda r: (r.first_time, r.run_id))
        return History(node=node, since=since, until=until, runs=tuple(runs), versions=versions)


def _digests_of(conn: Any, dataset_ids: set[int]) -> set[str]:
    """Every digest these datasets had: written by a run, or in their latest ``version`` facet."""
    written = select(lineage_dataset_versions.c.version).where(
        lineage_dataset_versions.c.dataset_id.in_(dataset_ids),
        lineage_dataset_versions.c.version.is_not(None),
    )
    found = {str(row[0]) for row in conn.execute(written)}
    facets = select(lineage_facets.c.value).where(
        lineage_facets.c.subject_kind == "dataset",
        lineage_facets.c.subject_key.in_([str(i) for i in dataset_ids]),
        lineage_facets.c.name == "version",
    )
    for (value,) in conn.execute(facets):
        version = _facet_version(value)
        if version is not None:
            found.add(version)
    return found


def _datasets_with(conn: Any, digests: set[str]) -> set[int]:
    """The datasets that had one of these digests (with or without ``sha256:``)."""
    versions = {v for d in digests for v in (d, d.removeprefix(DIGEST_PREFIX))}
    found: set[int] = set()
    for chunk in chunks(sorted(versions)):
        written = select(lineage_dataset_versions.c.dataset_id).where(
            lineage_dataset_versions.c.version.in_(chunk)
        )
        found |= {int(row[0]) for row in conn.execute(written)}
    for version in versions:
        facets = select(lineage_facets.c.subject_key, lineage_facets.c.value).where(
            lineage_facets.c.subject_kind == "dataset",
            lineage_facets.c.name == "version",
            lineage_facets.c.value.contains(version, autoescape=True),
        )
        found |= {
            int(key) for key, value in conn.execute(facets) if _facet_version(value) in versions
        }
    return found


def _facet_version(value: str) -> str | None:
    import json

    facet = json.loads(value)
    version = facet.get("datasetVersion") if isinstance(facet, dict) else None
    return None if version is None else str(version)
