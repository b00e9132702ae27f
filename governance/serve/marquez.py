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

from governance.lineage.model import Node, RunDetail, RunSummary
from governance.lineage.queries import LineageQueries

__all__ = ["dataset_data", "graph", "job_data", "run_data", "run_state"]

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


def _split(node_key: str) -> dict[str, str]:
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


def run_data(run: RunSummary, facets: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A run in Marquez's shape."""
    job = _split(run.job)
    return {
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
        "parentRunId": run.parent_run_id,
        "inputVersions": [_split(name) for name in run.inputs],
        "outputVersions": [_split(name) for name in run.outputs],
        "facets": dict(facets or {}),
    }


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


def dataset_data(
    node: Node, facets: Mapping[str, Any], *, created_at: str | None = None
) -> dict[str, Any]:
    """A dataset in Marquez's shape, with the fields of its ``schema`` facet."""
    schema = facets.get("schema")
    raw_fields = schema.get("fields") if isinstance(schema, Mapping) else None
    fields = []
    for item in raw_fields if isinstance(raw_fields, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            kind = item.get("type")
            text = item.get("description")
            fields.append(
                {
                    "name": item["name"],
                    "type": kind if isinstance(kind, str) else None,
                    "tags": [],
                    "description": text if isinstance(text, str) else None,
                }
            )
    dataset_type = _text_facet(facets, "datasetType", "datasetType") or "DB_TABLE"
    return {
        "id": {"namespace": node.namespace, "name": node.name},
        "type": dataset_type,
        "name": node.name,
        "physicalName": node.name,
        "createdAt": created_at,
        "updatedAt": created_at,
        "namespace": node.namespace,
        "sourceName": node.namespace,
        "fields": fields,
        "tags": [],
        "lastModifiedAt": None,
        "description": _text_facet(facets, "documentation", "description"),
        "facets": dict(facets),
        "currentVersion": _text_facet(facets, "version", "datasetVersion"),
        "deleted": False,
    }


def job_data(
    node: Node,
    facets: Mapping[str, Any],
    *,
    inputs: Iterable[Mapping[str, str]],
    outputs: Iterable[Mapping[str, str]],
    latest_run: RunSummary | None,
    created_at: str | None = None,
) -> dict[str, Any]:
    """A job in Marquez's shape."""
    processing = _text_facet(facets, "jobType", "processingType")
    parent_name, _, simple = node.name.rpartition(".")
    return {
        "id": {"namespace": node.namespace, "name": node.name},
        "type": "STREAM" if processing == "STREAMING" else "BATCH",
        "name": node.name,
        "simpleName": simple or node.name,
        "parentJobName": parent_name or None,
        "createdAt": created_at,
        "updatedAt": latest_run.first_time if latest_run else created_at,
        "namespace": node.namespace,
        "inputs": [dict(item) for item in inputs],
        "outputs": [dict(item) for item in outputs],
        "location": _text_facet(facets, "sourceCodeLocation", "url"),
        "description": _text_facet(facets, "documentation", "description"),
        "latestRun": run_data(latest_run) if latest_run else None,
        "facets": dict(facets),
        "currentVersion": None,
    }


def graph(queries: LineageQueries, root: Node, depth: int) -> dict[str, Any]:
    """``GET /api/v1/lineage``: the nodes within ``depth`` jobs of ``root``, both ways."""
    found = queries.traverse(root, "both", depth=depth)
    nodes = [item.node for item in found.nodes]
    facets = queries.facets(nodes)
    runs = queries.runs_of_jobs(node.id for node in nodes if node.kind == "job")
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
            job_runs = runs.get(node.id) or []
            data = job_data(
                node,
                node_facets,
                inputs=[by_key[edge["origin"]] for edge in incoming[node.key]],
                outputs=[by_key[edge["destination"]] for edge in outgoing[node.key]],
                latest_run=job_runs[-1] if job_runs else None,
            )
        else:
            data = dataset_data(node, node_facets)
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
