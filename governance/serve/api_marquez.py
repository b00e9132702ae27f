"""Marquez's read API: namespaces, jobs, datasets, versions, runs, facets, search, sources.

The paths, parameters and answer shapes of Marquez's OpenAPI document (``spec/openapi.yml``),
so marquez-python and Marquez's web UI read ``governance serve`` as they read Marquez. Every
answer is built from the store's lineage queries and listings; a field the store has no value
for is left out (Marquez's document declares no field nullable). Marquez's writes other than
lineage ingest (``PUT`` namespaces, sources, datasets, jobs, tags; run state changes) are not
served: the audit log records what happened, not what a client declares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse

from governance.errors import LineageError
from governance.lineage.model import Node, node_name
from governance.serve import marquez, marquez_catalog, schemas
from governance.serve.api import F, Limit, Offset, State, get_events, read_route, resolve_node
from governance.serve.errors import ApiError
from governance.serve.state import ServerState

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Version = Annotated[str, PathParameter(pattern=UUID_PATTERN, description="a version id (a UUID)")]

NO_NAMESPACE = "no namespace {namespace} in the audit store"
NO_VERSION = "no version {version} of {node} in the audit store"
NO_SOURCE = "no source {source} in the audit store"


def _read(path: str, tag: str, summary: str, answer: Any, *errors: int) -> Callable[[F], F]:
    """A GET route of this router that needs the read scope (:func:`api.read_route`).

    Routes match in the order they are declared: a longer path (``.../jobs/{job}/versions``)
    comes before the path it extends (``.../jobs/{job}``).
    """
    return read_route(router, path, tag, summary, answer, *errors)


@_read("/namespaces", "Namespaces", "Every namespace of a job or dataset", schemas.NamespaceList)
def get_namespaces(state: State, limit: Limit = 100, offset: Offset = 0) -> JSONResponse:
    """Namespaces by name, with the times the log first and last named them."""
    found = marquez_catalog.namespaces(state)
    return JSONResponse({"namespaces": found[offset : offset + limit]})


@_read(
    "/namespaces/{namespace:path}/jobs/{job:path}/runs",
    "Jobs",
    "The runs of a job, newest first",
    schemas.RunList,
    404,
)
def get_job_runs(
    state: State, namespace: str, job: str, limit: Limit = 100, offset: Offset = 0
) -> JSONResponse:
    """Runs of the job, newest first."""
    node = resolve_node(state, node_name("job", namespace, job))
    runs = state.store.lineage.runs_of_jobs([node.id]).get(node.id, [])
    page = list(reversed(runs))[offset : offset + limit]
    facets = state.store.listings.catalog.run_facets([run.run_id for run in page])
    return JSONResponse(
        {
            "runs": [marquez.run_data(run, facets.get(run.run_id)) for run in page],
            "totalCount": len(runs),
        }
    )


@_read(
    "/namespaces/{namespace:path}/jobs/{job:path}/versions/{version}",
    "Jobs",
    "One version of a job",
    schemas.JobVersion,
    404,
)
def get_job_version(state: State, namespace: str, job: str, version: Version) -> JSONResponse:
    """The version: the datasets its runs read and wrote, and its latest run."""
    node = resolve_node(state, node_name("job", namespace, job))
    return _one_version(marquez_catalog.job_versions(state, node), version, node.key)


@_read(
    "/namespaces/{namespace:path}/jobs/{job:path}/versions",
    "Jobs",
    "The versions of a job, newest first",
    schemas.JobVersionList,
    404,
)
def get_job_versions(
    state: State, namespace: str, job: str, limit: Limit = 100, offset: Offset = 0
) -> JSONResponse:
    """One version per set of inputs and outputs its runs had, newest first."""
    node = resolve_node(state, node_name("job", namespace, job))
    found = marquez_catalog.job_versions(state, node)
    return JSONResponse({"versions": found[offset : offset + limit], "totalCount": len(found)})


@_read("/namespaces/{namespace:path}/jobs/{job:path}", "Jobs", "One job", schemas.Job, 404)
def get_job(state: State, namespace: str, job: str) -> JSONResponse:
    """The job with its facets, inputs, outputs and latest run."""
    node = resolve_node(state, node_name("job", namespace, job))
    return JSONResponse(marquez_catalog.jobs_data(state, [node])[0])


@_read("/namespaces/{namespace:path}/jobs", "Jobs", "The jobs of a namespace", schemas.JobList)
def get_jobs(state: State, namespace: str, limit: Limit = 100, offset: Offset = 0) -> JSONResponse:
    """A page of the namespace's jobs, by name."""
    rows, total = state.store.listings.named("job", namespace, limit=limit, offset=offset)
    nodes = [Node("job", row.id, row.namespace, row.name) for row in rows]
    return JSONResponse({"jobs": marquez_catalog.jobs_data(state, nodes), "totalCount": total})


@_read(
    "/namespaces/{namespace:path}/datasets/{dataset:path}/versions/{version}",
    "Datasets",
    "One version of a dataset",
    schemas.DatasetVersion,
    404,
)
def get_dataset_version(
    state: State, namespace: str, dataset: str, version: Version
) -> JSONResponse:
    """The version with its schema fields and the run that wrote it."""
    node = resolve_node(state, node_name("dataset", namespace, dataset))
    return _one_version(marquez_catalog.dataset_versions(state, node), version, node.key)


@_read(
    "/namespaces/{namespace:path}/datasets/{dataset:path}/versions",
    "Datasets",
    "The versions of a dataset, newest first",
    schemas.DatasetVersionList,
    404,
)
def get_dataset_versions(
    state: State, namespace: str, dataset: str, limit: Limit = 100, offset: Offset = 0
) -> JSONResponse:
    """One version per log entry that wrote or described the dataset, newest first."""
    node = resolve_node(state, node_name("dataset", namespace, dataset))
    found = marquez_catalog.dataset_versions(state, node)
    return JSONResponse({"versions": found[offset : offset + limit], "totalCount": len(found)})


@_read(
    "/namespaces/{namespace:path}/datasets/{dataset:path}",
    "Datasets",
    "One dataset",
    schemas.Dataset,
    404,
)
def get_dataset(state: State, namespace: str, dataset: str) -> JSONResponse:
    """The dataset with its facets and schema fields."""
    node = resolve_node(state, node_name("dataset", namespace, dataset))
    return JSONResponse(marquez_catalog.datasets_data(state, [node])[0])


@_read(
    "/namespaces/{namespace:path}/datasets",
    "Datasets",
    "The datasets of a namespace",
    schemas.DatasetList,
)
def get_datasets(
    state: State, namespace: str, limit: Limit = 100, offset: Offset = 0
) -> JSONResponse:
    """A page of the namespace's datasets, by name."""
    rows, total = state.store.listings.named("dataset", namespace, limit=limit, offset=offset)
    nodes = [Node("dataset", row.id, row.namespace, row.name) for row in rows]
    return JSONResponse(
        {"datasets": marquez_catalog.datasets_data(state, nodes), "totalCount": total}
    )


@_read("/namespaces/{namespace:path}", "Namespaces", "One namespace", schemas.Namespace, 404)
def get_namespace(state: State, namespace: str) -> JSONResponse:
    """The namespace, with the times the log first and last named it."""
    for item in marquez_catalog.namespaces(state):
        if item["name"] == namespace:
            return JSONResponse(item)
    raise ApiError(404, NO_NAMESPACE.format(namespace=namespace))


def _run(state: ServerState, run_id: str) -> Any:
    try:
        return state.store.lineage.run(run_id)
    except LineageError as exc:
        raise ApiError(404, exc.message) from None


@_read(
    "/jobs/runs/{run_id}/facets", "Jobs", "The facets of a run or of its job", schemas.Facets, 404
)
def get_run_facets(
    state: State,
    run_id: str,
    facet_type: Annotated[
        Literal["run", "job"], Query(alias="type", description="the run's facets or its job's")
    ] = "run",
) -> JSONResponse:
    """``{"runId", "facets"}``: the latest value of each facet."""
    detail = _run(state, run_id)
    facets = detail.run_facets if facet_type == "run" else detail.job_facets
    return JSONResponse({"runId": detail.summary.run_id, "facets": facets})


@_read("/jobs/runs/{run_id}", "Jobs", "One run", schemas.Run, 404)
def get_run(state: State, run_id: str) -> JSONResponse:
    """The run with its facets, inputs and outputs."""
    detail = _run(state, run_id)
    return JSONResponse(marquez.run_detail_data(detail))


@_read(
    "/column-lineage",
    "Lineage",
    "The column lineage graph around a dataset, a field or a job",
    schemas.ColumnLineageGraph,
    404,
)
def get_column_lineage(
    state: State,
    node_id: Annotated[
        str,
        Query(
            alias="nodeId",
            min_length=1,
            max_length=4096,
            pattern=r"^(dataset|datasetField|job):.+:.+$",
            description=(
                "dataset:<namespace>:<name>, datasetField:<namespace>:<name>:<field> or "
                "job:<namespace>:<name> (a #<version> suffix is ignored)"
            ),
        ),
    ],
    depth: Annotated[int, Query(ge=1, le=100, description="jobs away from the node")] = 20,
    with_downstream: Annotated[bool, Query(alias="withDownstream")] = False,
) -> JSONResponse:
    """Fields and the input fields they derive from (the ``columnLineage`` dataset facet)."""
    return JSONResponse(
        marquez_catalog.column_lineage(state, node_id, depth=depth, downstream=with_downstream)
    )


@_read("/search", "Search", "Jobs and datasets by name", schemas.SearchResultList)
def get_search(
    state: State,
    q: Annotated[str, Query(min_length=1, max_length=1024, description="part of a name")],
    filter_: Annotated[
        Literal["DATASET", "JOB", "dataset", "job"] | None, Query(alias="filter")
    ] = None,
    sort: Annotated[Literal["NAME", "UPDATE_AT", "name", "update_at"], Query()] = "NAME",
    limit: Annotated[int, Query(ge=0, le=1000)] = 10,
    namespace: Annotated[str | None, Query(max_length=1024)] = None,
    before: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    after: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
) -> JSONResponse:
    """Names containing ``q`` (case-insensitive; ``%`` and ``_`` are wildcards)."""
    results = marquez_catalog.search(
        state,
        q,
        kind=filter_.upper() if filter_ else None,
        namespace=namespace,
        by_update=sort.upper() == "UPDATE_AT",
        before=before,
        after=after,
    )
    return JSONResponse({"totalCount": len(results), "results": results[:limit]})


@_read("/tags", "Tags", "Tags of datasets, fields, jobs and runs, and Marquez's", schemas.TagList)
def get_tags(state: State, limit: Limit = 100, offset: Offset = 0) -> JSONResponse:
    """Every key of a ``tags`` facet, and Marquez's stock tags (PII, SENSITIVE), by name."""
    return JSONResponse({"tags": marquez_catalog.tags(state)[offset : offset + limit]})


@_read("/sources", "Sources", "Every data source (a namespace of datasets)", schemas.SourceList)
def get_sources(state: State, limit: Limit = 100, offset: Offset = 0) -> JSONResponse:
    """One source per namespace that holds datasets, by name."""
    return JSONResponse({"sources": marquez_catalog.sources(state)[offset : offset + limit]})


@_read("/sources/{source:path}", "Sources", "One data source", schemas.Source, 404)
def get_source(state: State, source: str) -> JSONResponse:
    """The source named as the namespace of its datasets."""
    for item in marquez_catalog.sources(state):
        if item["name"] == source:
            return JSONResponse(item)
    raise ApiError(404, NO_SOURCE.format(source=source))


@_read("/events", "Lineage", "Recorded OpenLineage events, newest first", schemas.EventList)
def get_recent_events(state: State, limit: Limit = 100, offset: Offset = 0) -> JSONResponse:
    """``GET /events/lineage`` without time bounds (the path marquez-python's list_events reads)."""
    return get_events(state, None, None, "desc", limit, offset)


def _one_version(versions: Any, version: str, node: str) -> JSONResponse:
    """The answer for one version of a node's ``versions`` (ids compared in lower case)."""
    for item in versions:
        if item["version"] == version.lower():
            return JSONResponse(item)
    raise ApiError(404, NO_VERSION.format(version=version, node=node))
