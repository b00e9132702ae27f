"""Row-level helpers of :class:`~governance.lineage.queries.LineageQueries`.

Finding nodes by name, building a graph from traversal rows, facets, run summaries, dataset
versions and schema changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from governance.lineage.model import (
    DatasetVersion,
    Edge,
    Node,
    NodeKind,
    RunSummary,
    SchemaChange,
    node_name,
)
from governance.lineage.tables import (
    lineage_dataset_symlinks,
    lineage_dataset_versions,
    lineage_datasets,
    lineage_facets,
    lineage_jobs,
    lineage_run_io,
    lineage_runs,
)
from governance.store.bulk import select_in

__all__ = [
    "build_graph",
    "chunks",
    "dataset_versions",
    "facet_names",
    "find_nodes",
    "find_symlinked",
    "load_facets",
    "run_summaries",
    "schema_change",
    "schema_of",
]

CHUNK = 400


def find_nodes(conn: Connection, kind: NodeKind, keys: list[tuple[str, str]]) -> list[Node]:
    """The jobs or datasets with these ``(namespace, name)`` keys."""
    table = lineage_jobs if kind == "job" else lineage_datasets
    id_name = "job_id" if kind == "job" else "dataset_id"
    rows = select_in(conn, table, (id_name, "namespace", "name"), ("namespace", "name"), keys)
    return sorted((Node(kind, row[0], row[1], row[2]) for row in rows), key=lambda n: n.key)


def find_symlinked(conn: Connection, keys: list[tuple[str, str]]) -> list[Node]:
    """The datasets that these ``(namespace, name)`` keys are symlinks of."""
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


def build_graph(
    root: Node, rows: Sequence[Any]
) -> tuple[dict[tuple[str, int], tuple[Node, int]], set[Edge]]:
    """The nodes (with their depth) and edges of a traversal's rows, from ``root``."""
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


def facet_names(
    conn: Connection, nodes: Mapping[tuple[str, int], tuple[Node, int]]
) -> dict[tuple[str, int], tuple[str, ...]]:
    """The names of the facets each node of a graph has."""
    facets = load_facets(conn, [(kind, str(node_id)) for kind, node_id in nodes])
    return {(kind, int(key)): tuple(sorted(values)) for (kind, key), values in facets.items()}


def load_facets(
    conn: Connection, subjects: list[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The facets of these ``(kind, key)`` subjects, by subject and facet name."""
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


def run_summaries(
    conn: Connection, run_ids: Sequence[str], *, with_job_id: bool = False
) -> list[Any]:
    """Summaries of these runs (with their datasets); pairs ``(summary, job_id)`` if asked."""
    ids = list(dict.fromkeys(run_ids))
    runs: dict[str, Any] = {}
    io: dict[tuple[str, str], list[str]] = {}
    for chunk in chunks(ids):
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


def dataset_versions(
    conn: Connection, dataset_id: int, low: str, high: str
) -> tuple[DatasetVersion, ...]:
    """The versions of a dataset recorded between ``low`` and ``high`` (event times)."""
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
    previous = schema_of(before.schema_fields) if before is not None else None
    found = []
    for row in rows:
        fields = schema_of(row.schema_fields)
        change = None
        if fields is not None:
            change = None if previous is None else schema_change(previous, fields)
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


def schema_of(text_value: str | None) -> dict[str, str] | None:
    """A schema facet's fields as ``{name: type}``, or None."""
    if text_value is None:
        return None
    fields = json.loads(text_value)
    found: dict[str, str] = {}
    for item in fields:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            found[item["name"]] = str(item.get("type", ""))
    return found


def schema_change(old: Mapping[str, str], new: Mapping[str, str]) -> SchemaChange:
    """The fields added, removed and retyped from ``old`` to ``new``."""
    return SchemaChange(
        added=tuple(name for name in new if name not in old),
        removed=tuple(name for name in old if name not in new),
        retyped=tuple(
            f"{name}: {old[name]} -> {new[name]}"
            for name in new
            if name in old and old[name] != new[name]
        ),
    )


def chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    """``values`` in lists of at most :data:`CHUNK` (the bound parameters of one IN)."""
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])
