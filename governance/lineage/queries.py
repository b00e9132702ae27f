"""Queries over the lineage projections, for auditors and for lineage checks.

Every graph traversal is one recursive SQL statement (``WITH RECURSIVE``) over the indexed
job-level edge tables ``lineage_job_inputs`` and ``lineage_job_outputs``; no graph is walked in
Python. Depth counts jobs: depth 1 upstream of a dataset is the jobs that wrote it and the
datasets they read. ``as_of`` limits a query to the edges recorded in the log up to a point: the
graph as the store knew it then.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import Connection, func, select, text

from governance.errors import LineageError
from governance.lineage.model import (
    DatasetVersion,
    Edge,
    GraphNode,
    History,
    LineageGraph,
    Node,
    NodeKind,
    RunDetail,
    RunEvent,
    RunSummary,
    SchemaChange,
    node_name,
    split_node_name,
)
from governance.lineage.tables import (
    lineage_dataset_symlinks,
    lineage_dataset_versions,
    lineage_datasets,
    lineage_events,
    lineage_facets,
    lineage_jobs,
    lineage_run_io,
    lineage_runs,
)
from governance.store.bulk import select_in
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
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

Direction = Literal["upstream", "downstream", "both"]

# One traversal: {p} prefixes the CTE names so two can share a statement. The walk collects
# jobs with their distance in jobs; the edges are the inputs and outputs of those jobs that lie
# on the graph (for upstream: every input, and outputs that are the root or an input of a
# visited job; downstream mirrors it).
_UP = """
{p}walk(job_id, depth) AS (
    SELECT CAST(:root_job AS INTEGER), 0 WHERE CAST(:root_job AS INTEGER) IS NOT NULL
  UNION
    SELECT o.job_id, 1 FROM lineage_job_outputs o
    WHERE o.dataset_id = CAST(:root_dataset AS INTEGER) AND o.first_seq <= :cutoff
  UNION
    {up_step}
),
{p}jobs(job_id, depth) AS (SELECT job_id, MIN(depth) FROM {p}walk GROUP BY job_id),
{p}reads(job_id, dataset_id, depth) AS (
    SELECT i.job_id, i.dataset_id, j.depth FROM {p}jobs j
    JOIN lineage_job_inputs i ON i.job_id = j.job_id AND i.first_seq <= :cutoff
),
{p}edges(direction, job_id, dataset_id, depth) AS (
    SELECT 'input', job_id, dataset_id, depth FROM {p}reads
  UNION ALL
    SELECT 'output', o.job_id, o.dataset_id, j.depth FROM {p}jobs j
    JOIN lineage_job_outputs o ON o.job_id = j.job_id AND o.first_seq <= :cutoff
    WHERE j.depth > 0
      AND (o.dataset_id = CAST(:root_dataset AS INTEGER)
           OR o.dataset_id IN (SELECT dataset_id FROM {p}reads))
)"""

_DOWN = """
{p}walk(job_id, depth) AS (
    SELECT CAST(:root_job AS INTEGER), 0 WHERE CAST(:root_job AS INTEGER) IS NOT NULL
  UNION
    SELECT i.job_id, 1 FROM lineage_job_inputs i
    WHERE i.dataset_id = CAST(:root_dataset AS INTEGER) AND i.first_seq <= :cutoff
  UNION
    {down_step}
),
{p}jobs(job_id, depth) AS (SELECT job_id, MIN(depth) FROM {p}walk GROUP BY job_id),
{p}writes(job_id, dataset_id, depth) AS (
    SELECT o.job_id, o.dataset_id, j.depth FROM {p}jobs j
    JOIN lineage_job_outputs o ON o.job_id = j.job_id AND o.first_seq <= :cutoff
),
{p}edges(direction, job_id, dataset_id, depth) AS (
    SELECT 'output', job_id, dataset_id, depth FROM {p}writes
  UNION ALL
    SELECT 'input', i.job_id, i.dataset_id, j.depth FROM {p}jobs j
    JOIN lineage_job_inputs i ON i.job_id = j.job_id AND i.first_seq <= :cutoff
    WHERE j.depth > 0
      AND (i.dataset_id = CAST(:root_dataset AS INTEGER)
           OR i.dataset_id IN (SELECT dataset_id FROM {p}writes))
)"""

_SELECT = """
SELECT e.direction, e.job_id, jb.namespace, jb.name, e.dataset_id, ds.namespace, ds.name,
       e.depth, '{side}'
FROM {p}edges e
JOIN lineage_jobs jb ON jb.job_id = e.job_id
JOIN lineage_datasets ds ON ds.dataset_id = e.dataset_id"""


# The recursive step, joined (PostgreSQL plans it as index lookups) or through an IN subquery
# (SQLite: with a join it builds a Bloom filter over a whole edge table at every step, which
# made depth-20 queries 20 times slower; PostgreSQL runs the subquery form 300 times slower).
_STEPS = {
    "join": {
        "up_step": """SELECT o.job_id, w.depth + 1
    FROM {p}walk w
    JOIN lineage_job_inputs i ON i.job_id = w.job_id AND i.first_seq <= :cutoff
    JOIN lineage_job_outputs o ON o.dataset_id = i.dataset_id AND o.first_seq <= :cutoff
    WHERE w.depth < :depth""",
        "down_step": """SELECT i.job_id, w.depth + 1
    FROM {p}walk w
    JOIN lineage_job_outputs o ON o.job_id = w.job_id AND o.first_seq <= :cutoff
    JOIN lineage_job_inputs i ON i.dataset_id = o.dataset_id AND i.first_seq <= :cutoff
    WHERE w.depth < :depth""",
    },
    "subquery": {
        "up_step": """SELECT o.job_id, w.depth + 1
    FROM {p}walk w
    JOIN lineage_job_outputs o ON o.first_seq <= :cutoff AND o.dataset_id IN (
        SELECT i.dataset_id FROM lineage_job_inputs i
        WHERE i.job_id = w.job_id AND i.first_seq <= :cutoff
    )
    WHERE w.depth < :depth""",
        "down_step": """SELECT i.job_id, w.depth + 1
    FROM {p}walk w
    JOIN lineage_job_inputs i ON i.first_seq <= :cutoff AND i.dataset_id IN (
        SELECT o.dataset_id FROM lineage_job_outputs o
        WHERE o.job_id = w.job_id AND o.first_seq <= :cutoff
    )
    WHERE w.depth < :depth""",
    },
}


def _traversal_sql(direction: Direction, step: str) -> str:
    """The one statement of a traversal: upstream, downstream, or both at once."""
    parts: list[tuple[str, str, str]] = []
    if direction in ("upstream", "both"):
        parts.append(("u_", _UP, "upstream"))
    if direction in ("downstream", "both"):
        parts.append(("d_", _DOWN, "downstream"))
    steps = _STEPS[step]
    ctes = ",".join(
        template.replace("{up_step}", steps["up_step"])
        .replace("{down_step}", steps["down_step"])
        .format(p=prefix)
        for prefix, template, _ in parts
    )
    selects = "\nUNION ALL".join(_SELECT.format(p=prefix, side=side) for prefix, _, side in parts)
    return f"WITH RECURSIVE {ctes}{selects}"


_SQL = {
    (step, direction): text(_traversal_sql(direction, step))
    for step in _STEPS
    for direction in ("upstream", "downstream", "both")
}


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
            found = _find(conn, kind, candidates)
            if not found and kind == "dataset":
                found = _find_symlinked(conn, candidates)
        if not found:
            namespace, short = candidates[0]
            raise LineageError(
                NOT_FOUND.format(kind=kind, namespace=namespace, name=short), hint=NOT_FOUND_HINT
            )
        if len(found) > 1:
            names = ", ".join(node.key for node in found)
            raise LineageError(AMBIGUOUS.format(text=name, kind=kind, found=names))
        return found[0]

    def find_datasets(self, keys: Sequence[tuple[str, str]]) -> list[Node]:
        """Return the datasets with these ``(namespace, name)`` that the store knows."""
        with self._engine.read("read") as conn:
            return _find(conn, "dataset", list(keys))

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
            rows = conn.execute(_SQL[(step, direction)], params).all()
            nodes, edges = _graph(root, rows)
            names = _facet_names(conn, nodes) if facets else {}
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
            summaries = _run_summaries(conn, [key])
            if not summaries:
                raise LineageError(NO_RUN.format(run_id=run_id))
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
            facets = _facets(conn, [("run", key), ("job", str(job_id))])
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
            for chunk in _chunks(ids):
                run_ids = [
                    row[0]
                    for row in conn.execute(
                        select(lineage_runs.c.run_id).where(lineage_runs.c.job_id.in_(chunk))
                    )
                ]
                for summary, job_id in _run_summaries(conn, run_ids, with_job_id=True):
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
            for chunk in _chunks(ids):
                pairs += [
                    (row.dataset_id, row.run_id)
                    for row in conn.execute(
                        select(lineage_run_io.c.dataset_id, lineage_run_io.c.run_id).where(
                            lineage_run_io.c.dataset_id.in_(chunk),
                            lineage_run_io.c.direction == "output",
                        )
                    )
                ]
            summaries = {s.run_id: s for s in _run_summaries(conn, [run for _, run in pairs])}
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

    def facets(self, nodes: Iterable[Node]) -> dict[str, dict[str, Any]]:
        """Return the latest facets of each node, by node name (deleted facets left out)."""
        wanted: dict[tuple[str, str], str] = {(node.kind, str(node.id)): node.key for node in nodes}
        with self._engine.read("read") as conn:
            found = _facets(conn, list(wanted))
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
                versions = _versions(conn, node.id, low, high)
            runs = sorted(_run_summaries(conn, run_ids), key=lambda r: (r.first_time, r.run_id))
        return History(node=node, since=since, until=until, runs=tuple(runs), versions=versions)


def _find(conn: Connection, kind: NodeKind, keys: list[tuple[str, str]]) -> list[Node]:
    table = lineage_jobs if kind == "job" else lineage_datasets
    id_name = "job_id" if kind == "job" else "dataset_id"
    rows = select_in(conn, table, (id_name, "namespace", "name"), ("namespace", "name"), keys)
    return sorted((Node(kind, row[0], row[1], row[2]) for row in rows), key=lambda n: n.key)


def _find_symlinked(conn: Connection, keys: list[tuple[str, str]]) -> list[Node]:
    linked = select_in(conn, lineage_dataset_symlinks, ("dataset_id",), ("namespace", "name"), keys)
    ids = sorted({row[0] for row in linked})
    if not ids:
        return []
    datasets = lineage_datasets
    rows = conn.execute(
        select(datasets.c.dataset_id, datasets.c.namespace, datasets.c.name).where(
            datasets.c.dataset_id.in_(ids)
        )
    )
    return sorted((Node("dataset", row[0], row[1], row[2]) for row in rows), key=lambda n: n.key)


def _graph(
    root: Node, rows: Sequence[Any]
) -> tuple[dict[tuple[str, int], tuple[Node, int]], set[Edge]]:
    nodes: dict[tuple[str, int], tuple[Node, int]] = {(root.kind, root.id): (root, 0)}
    edges: set[Edge] = set()

    def add(node: Node, level: int) -> None:
        key = (node.kind, node.id)
        if key not in nodes or nodes[key][1] > level:
            nodes[key] = (node, level)

    for direction, job_id, job_ns, job_name, dataset_id, ds_ns, ds_name, level, _side in rows:
        job = Node("job", job_id, job_ns, job_name)
        dataset = Node("dataset", dataset_id, ds_ns, ds_name)
        add(job, level)
        add(dataset, level)
        if direction == "input":
            edges.add(Edge(dataset.key, job.key))
        else:
            edges.add(Edge(job.key, dataset.key))
    nodes[(root.kind, root.id)] = (root, 0)
    return nodes, edges


def _facet_names(
    conn: Connection, nodes: Mapping[tuple[str, int], tuple[Node, int]]
) -> dict[tuple[str, int], tuple[str, ...]]:
    facets = _facets(conn, [(kind, str(node_id)) for kind, node_id in nodes])
    return {(kind, int(key)): tuple(sorted(values)) for (kind, key), values in facets.items()}


def _facets(
    conn: Connection, subjects: list[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    rows = select_in(
        conn,
        lineage_facets,
        ("subject_kind", "subject_key", "name", "value"),
        ("subject_kind", "subject_key"),
        subjects,
    )
    for kind, key, name, value in rows:
        facet = json.loads(value)
        if isinstance(facet, dict) and facet.get("_deleted") is True:
            continue
        found.setdefault((kind, key), {})[name] = facet
    return found


def _run_summaries(
    conn: Connection, run_ids: Sequence[str], *, with_job_id: bool = False
) -> list[Any]:
    """Summaries of these runs (with their datasets); pairs ``(summary, job_id)`` if asked."""
    ids = list(dict.fromkeys(run_ids))
    runs: dict[str, Any] = {}
    io: dict[tuple[str, str], list[str]] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(
            select(lineage_runs, lineage_jobs.c.namespace, lineage_jobs.c.name)
            .join(lineage_jobs, lineage_jobs.c.job_id == lineage_runs.c.job_id)
            .where(lineage_runs.c.run_id.in_(chunk))
        ):
            runs[row.run_id] = row
        for row in conn.execute(
            select(
                lineage_run_io.c.run_id,
                lineage_run_io.c.direction,
                lineage_datasets.c.namespace,
                lineage_datasets.c.name,
            )
            .join(lineage_datasets, lineage_datasets.c.dataset_id == lineage_run_io.c.dataset_id)
            .where(lineage_run_io.c.run_id.in_(chunk))
        ):
            io.setdefault((row.run_id, row.direction), []).append(
                node_name("dataset", row.namespace, row.name)
            )
    result: list[Any] = []
    for run_id in ids:
        if run_id not in runs:
            continue
        row = runs[run_id]
        summary = RunSummary(
            run_id=run_id,
            job=node_name("job", row.namespace, row.name),
            state=row.state,
            started_at=row.started_at,
            ended_at=row.ended_at,
            first_time=row.first_time,
            parent_run_id=row.parent_run_id,
            inputs=tuple(sorted(io.get((run_id, "input"), []))),
            outputs=tuple(sorted(io.get((run_id, "output"), []))),
        )
        result.append((summary, row.job_id) if with_job_id else summary)
    return result


def _versions(conn: Connection, dataset_id: int, low: str, high: str) -> tuple[DatasetVersion, ...]:
    versions = lineage_dataset_versions
    columns = (
        versions.c.entry_seq,
        versions.c.event_time,
        versions.c.run_id,
        versions.c.version,
        versions.c.schema_digest,
        versions.c.schema_fields,
        lineage_runs.c.state,
        lineage_jobs.c.namespace,
        lineage_jobs.c.name,
    )
    base = (
        select(*columns)
        .outerjoin(lineage_runs, lineage_runs.c.run_id == versions.c.run_id)
        .outerjoin(lineage_jobs, lineage_jobs.c.job_id == lineage_runs.c.job_id)
        .where(versions.c.dataset_id == dataset_id)
    )
    before = conn.execute(
        base.where(versions.c.event_time < low, versions.c.schema_fields.is_not(None))
        .order_by(versions.c.event_time.desc(), versions.c.entry_seq.desc())
        .limit(1)
    ).first()
    rows = conn.execute(
        base.where(versions.c.event_time >= low, versions.c.event_time <= high).order_by(
            versions.c.event_time, versions.c.entry_seq
        )
    ).all()
    previous = _fields(before.schema_fields) if before is not None else None
    found = []
    for row in rows:
        fields = _fields(row.schema_fields)
        change = None
        if fields is not None:
            change = None if previous is None else _schema_change(previous, fields)
            previous = fields
        found.append(
            DatasetVersion(
                entry_seq=row.entry_seq,
                event_time=row.event_time,
                run_id=row.run_id,
                job=None if row.namespace is None else node_name("job", row.namespace, row.name),
                run_state=row.state,
                version=row.version,
                schema_digest=row.schema_digest,
                schema_change=change,
                fields=None if fields is None else len(fields),
            )
        )
    return tuple(found)


def _fields(text_value: str | None) -> dict[str, str] | None:
    if text_value is None:
        return None
    fields = json.loads(text_value)
    found: dict[str, str] = {}
    for item in fields:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            found[item["name"]] = str(item.get("type", ""))
    return found


def _schema_change(old: Mapping[str, str], new: Mapping[str, str]) -> SchemaChange:
    return SchemaChange(
        added=tuple(name for name in new if name not in old),
        removed=tuple(name for name in old if name not in new),
        retyped=tuple(
            f"{name}: {old[name]} -> {new[name]}"
            for name in new
            if name in old and old[name] != new[name]
        ),
    )


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])
