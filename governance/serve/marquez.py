"""Lineage answers in Marquez's shapes, built from the store's lineage queries.

The graph comes from one :meth:`LineageQueries.traverse` (``both`` directions, as Marquez's
``/api/v1/lineage``); facets from :meth:`LineageQueries.facets`; runs from
:meth:`LineageQueries.runs_of_jobs` and :meth:`LineageQueries.run`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from governance.lineage.catalog import LineageCatalog, NodeTimes
from governance.lineage.model import Node, RunDetail, RunSummary, node_name
from governance.lineage.queries import LineageQueries
from governance.serve.marquez_ids import dataset_version_id, job_version_id
from governance.serve.marquez_tags import dataset_tags, field_tags

__all__ = ["compact", "dataset_data", "graph", "job_data", "run_data", "run_state", "split"]

DEFAULT_OWNER = "anonymous"
"""The owner of every namespace (the store records none; Marquez's own default)."""

STATES = {
    "START": "RUNNING",
    "RUNNING": "RUNNING",
    "COMPLETE": "COMPLETED",
    "FAIL": "FAILED",
    "ABORT": "ABORTED",
}


def run_state(state: str | None) -> str:
    """Marquez's run state for the OpenLineage event type that set it."""
    return STATES.get(state or "", "NEW")


def _duration_ms(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    try:
        begin = datetime.fromisoformat(start.replace("Z", "+00:00"))
        finish = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int((finish - begin).total_seconds() * 1000)


_PORT = re.compile(r":\d+(?=:)")


def split(node_key: str) -> dict[str, str]:
    """``dataset:ns:name`` -> ``{"namespace": ns, "name": name}``.

    A namespace may hold colons (``postgres://host:5432``): after ``scheme://`` the authority
    (with its port) belongs to the namespace; otherwise the namespace ends at the first colon.
    """
    _, _, rest = node_key.partition(":")
    start = 0
    scheme = rest.find("://")
    if scheme > 0 and ":" not in rest[:scheme]:
        start = scheme + 3
        port = _PORT.match(rest, rest.find(":", start)) if ":" in rest[start:] else None
        if port is not None:
            start = port.end()
    cut = rest.find(":", start)
    if cut < 0:
        return {"namespace": rest, "name": ""}
    return {"namespace": rest[:cut], "name": rest[cut + 1 :]}


def compact(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without the keys whose value is None (Marquez's OpenAPI has no nullable field)."""
    return {key: value for key, value in data.items() if value is not None}


def run_data(run: RunSummary, facets: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A run in Marquez's shape; ``facets`` are the run's (its nominal times come from them)."""
    job = split(run.job)
    version = job_version_id(run.job, run.inputs, run.outputs)
    return compact(
        {
            "id": run.run_id,
            "createdAt": run.first_time,
            "updatedAt": run.ended_at or run.started_at or run.first_time,
            "nominalStartTime": _nominal(facets, "nominalStartTime"),
            "nominalEndTime": _nominal(facets, "nominalEndTime"),
            "state": run_state(run.state),
            "startedAt": run.started_at,
            "endedAt": run.ended_at,
            "durationMs": _duration_ms(run.started_at, run.ended_at),
            "args": {},
            "jobName": job["name"],
            "jobNamespace": job["namespace"],
            "jobVersion": {**job, "version": version},
            "parentRunId": run.parent_run_id,
            "inputVersions": [split(name) for name in run.inputs],
            "outputVersions": [split(name) for name in run.outputs],
            "facets": dict(facets or {}),
        }
    )


def run_detail_data(detail: RunDetail) -> dict[str, Any]:
    """A run with its facets in Marquez's shape."""
    return run_data(detail.summary, detail.run_facets)


def _nominal(facets: Mapping[str, Any] | None, key: str) -> str | None:
    nominal = (facets or {}).get("nominalTime")
    value = nominal.get(key) if isinstance(nominal, Mapping) else None
    return value if isinstance(value, str) else None


def _text_facet(facets: Mapping[str, Any], facet: str, key: str) -> str | None:
    value = facets.get(facet)
    found = value.get(key) if isinstance(value, Mapping) else None
    return found if isinstance(found, str) else None


def dataset_fields(facets: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The fields of a ``schema`` facet, with their tags; a field without a type has type ``""``."""
    tagged = field_tags(facets)
    schema = facets.get("schema")
    raw_fields = schema.get("fields") if isinstance(schema, Mapping) else None
    fields = []
    for item in raw_fields if isinstance(raw_fields, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            kind = item.get("type")
            text = item.get("description")
            field = {
                "name": item["name"],
                "type": kind if isinstance(kind, str) else "",
                "tags": tagged.get(item["name"], []),
                "description": text if isinstance(text, str) else None,
            }
            fields.append(compact(field))
    return fields


def dataset_data(node: Node, facets: Mapping[str, Any], times: NodeTimes | None) -> dict[str, Any]:
    """A dataset in Marquez's shape, with the fields of its ``schema`` facet."""
    version = dataset_version_id(node.key, times.version_seq if times else None)
    dataset_type = _text_facet(facets, "datasetType", "datasetType") or "DB_TABLE"
    return compact(
        {
            "id": {"namespace": node.namespace, "name": node.name},
            "type": dataset_type,
            "name": node.name,
            "physicalName": node.name,
            "createdAt": times.created_at if times else None,
            "updatedAt": times.updated_at if times else None,
            "namespace": node.namespace,
            "sourceName": node.namespace,
            "fields": dataset_fields(facets),
            "tags": dataset_tags(facets),
            "lastModifiedAt": times.version_at if times else None,
            "description": _text_facet(facets, "documentation", "description"),
            "facets": dict(facets),
            "currentVersion": version,
            "deleted": False,
        }
    )


def job_data(
    node: Node,
    facets: Mapping[str, Any],
    *,
    inputs: Iterable[Mapping[str, str]],
    outputs: Iterable[Mapping[str, str]],
    latest_run: RunSummary | None,
    times: NodeTimes | None,
    run_facets: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """A job in Marquez's shape; ``run_facets`` holds the facets of its latest run."""
    processing = _text_facet(facets, "jobType", "processingType")
    parent_name, _, simple = node.name.rpartition(".")
    inputs, outputs = [dict(item) for item in inputs], [dict(item) for item in outputs]
    if latest_run is not None:
        version = job_version_id(node.key, latest_run.inputs, latest_run.outputs)
    else:
        version = job_version_id(node.key, _names(inputs), _names(outputs))
    return compact(
        {
            "id": {"namespace": node.namespace, "name": node.name},
            "type": "STREAM" if processing == "STREAMING" else "BATCH",
            "name": node.name,
            "simpleName": simple or node.name,
            "parentJobName": parent_name or None,
            "createdAt": times.created_at if times else None,
            "updatedAt": times.updated_at if times else None,
            "namespace": node.namespace,
            "inputs": inputs,
            "outputs": outputs,
            "location": _text_facet(facets, "sourceCodeLocation", "url"),
            "description": _text_facet(facets, "documentation", "description"),
            "latestRun": run_data(latest_run, run_facets.get(latest_run.run_id))
            if latest_run
            else None,
            "facets": dict(facets),
            "currentVersion": version,
        }
    )


def _names(datasets: Iterable[Mapping[str, str]]) -> list[str]:
    return [node_name("dataset", item["namespace"], item["name"]) for item in datasets]


def graph(
    queries: LineageQueries, catalog: LineageCatalog, root: Node, depth: int
) -> dict[str, Any]:
    """``GET /api/v1/lineage``: the nodes within ``depth`` jobs of ``root``, both ways."""
    found = queries.traverse(root, "both", depth=depth)
    nodes = [item.node for item in found.nodes]
    facets = queries.facets(nodes)
    runs = queries.runs_of_jobs(node.id for node in nodes if node.kind == "job")
    latest = {job_id: job_runs[-1] for job_id, job_runs in runs.items() if job_runs}
    run_facets = catalog.run_facets([run.run_id for run in latest.values()])
    job_times = catalog.times("job", (node.id for node in nodes if node.kind == "job"))
    dataset_times = catalog.times("dataset", (node.id for node in nodes if node.kind == "dataset"))
    incoming: dict[str, list[dict[str, str]]] = {node.key: [] for node in nodes}
    outgoing: dict[str, list[dict[str, str]]] = {node.key: [] for node in nodes}
    for edge in found.edges:
        pair = {"origin": edge.source, "destination": edge.target}
        outgoing.setdefault(edge.source, []).append(pair)
        incoming.setdefault(edge.target, []).append(pair)
    result = []
    by_key = {node.key: {"namespace": node.namespace, "name": node.name} for node in nodes}
    for node in nodes:
        node_facets = facets.get(node.key, {})
        if node.kind == "job":
            data = job_data(
                node,
                node_facets,
                inputs=[by_key[edge["origin"]] for edge in incoming[node.key]],
                outputs=[by_key[edge["destination"]] for edge in outgoing[node.key]],
                latest_run=latest.get(node.id),
                times=job_times.get(node.id),
                run_facets=run_facets,
            )
        else:
            data = dataset_data(node, node_facets, dataset_times.get(node.id))
        result.append(
            {
                "id": node.key,
                "type": node.kind.upper(),
                "data": data,
                "inEdges": incoming[node.key],
                "outEdges": outgoing[node.key],
            }
        )
    return {"graph": result}
