"""Marquez's catalog answers from the store (what :mod:`~governance.serve.api_marquez` serves).

Namespaces, jobs, datasets, their versions, column lineage, search, tags and sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.errors import LineageError
from governance.lineage.model import Node, RunSummary, node_name
from governance.serve import marquez, marquez_tags
from governance.serve.errors import ApiError
from governance.serve.marquez_ids import dataset_version_id, job_version_id
from governance.serve.state import ServerState

__all__ = [
    "column_lineage",
    "dataset_versions",
    "datasets_data",
    "job_versions",
    "jobs_data",
    "namespaces",
    "search",
    "sources",
    "tags",
]


def namespaces(state: ServerState) -> list[dict[str, Any]]:
    """Every namespace, by name (owner: :data:`marquez.DEFAULT_OWNER`)."""
    return [
        {
            "name": name,
            "createdAt": created,
            "updatedAt": updated,
            "ownerName": marquez.DEFAULT_OWNER,
            "isHidden": False,
        }
        for name, created, updated in state.store.listings.catalog.namespace_times()
    ]


def jobs_data(state: ServerState, nodes: list[Node]) -> list[dict[str, Any]]:
    """Jobs in Marquez's shape, with their edges, latest run and times."""
    queries, catalog = state.store.lineage, state.store.listings.catalog
    facets = queries.facets(nodes)
    edges = state.store.listings.job_edges(node.id for node in nodes)
    runs = queries.runs_of_jobs(node.id for node in nodes)
    latest = {job_id: job_runs[-1] for job_id, job_runs in runs.items() if job_runs}
    run_facets = catalog.run_facets([run.run_id for run in latest.values()])
    times = catalog.times("job", (node.id for node in nodes))
    found = []
    for node in nodes:
        inputs, outputs = edges.get(node.id, ([], []))
        found.append(
            marquez.job_data(
                node,
                facets.get(node.key, {}),
                inputs=[{"namespace": ns, "name": name} for ns, name in inputs],
                outputs=[{"namespace": ns, "name": name} for ns, name in outputs],
                latest_run=latest.get(node.id),
                times=times.get(node.id),
                run_facets=run_facets,
            )
        )
    return found


def datasets_data(state: ServerState, nodes: list[Node]) -> list[dict[str, Any]]:
    """Datasets in Marquez's shape, with their times and current version."""
    facets = state.store.lineage.facets(nodes)
    times = state.store.listings.catalog.times("dataset", (node.id for node in nodes))
    return [
        marquez.dataset_data(node, facets.get(node.key, {}), times.get(node.id)) for node in nodes
    ]


def _dataset_ref(name: str) -> dict[str, str]:
    return marquez.split(name)


def job_versions(state: ServerState, node: Node) -> list[dict[str, Any]]:
    """The versions of a job, newest first: one per set of datasets its runs read and wrote."""
    runs = state.store.lineage.runs_of_jobs([node.id]).get(node.id, [])
    facets = state.store.lineage.facets([node]).get(node.key, {})
    groups: dict[str, list[RunSummary]] = {}
    for run in runs:  # oldest first
        groups.setdefault(job_version_id(node.key, run.inputs, run.outputs), []).append(run)
    run_facets = state.store.listings.catalog.run_facets(
        [group[-1].run_id for group in groups.values()]
    )
    location = facets.get("sourceCodeLocation")
    found = []
    for version, group in groups.items():
        first, last = group[0], group[-1]
        found.append(
            marquez.compact(
                {
                    "id": {"namespace": node.namespace, "name": node.name, "version": version},
                    "name": node.name,
                    "version": version,
                    "createdAt": first.first_time,
                    "updatedAt": last.first_time,
                    "namespace": node.namespace,
                    "inputs": [_dataset_ref(name) for name in first.inputs],
                    "outputs": [_dataset_ref(name) for name in first.outputs],
                    "location": location.get("url") if isinstance(location, Mapping) else None,
                    "latestRun": marquez.run_data(last, run_facets.get(last.run_id)),
                    "facets": facets,
                }
            )
        )
    if not found:  # a job only declared (JobEvent): one version, from its job-level edges
        data = jobs_data(state, [node])[0]
        found.append(
            marquez.compact(
                {
                    "id": {**data["id"], "version": data["currentVersion"]},
                    "name": node.name,
                    "version": data["currentVersion"],
                    "createdAt": data.get("createdAt"),
                    "updatedAt": data.get("updatedAt"),
                    "namespace": node.namespace,
                    "inputs": data["inputs"],
                    "outputs": data["outputs"],
                    "location": data.get("location"),
                    "facets": facets,
                }
            )
        )
    found.sort(key=lambda item: (item.get("updatedAt") or "", item["version"]), reverse=True)
    return found


def dataset_versions(state: ServerState, node: Node) -> list[dict[str, Any]]:
    """The versions of a dataset, newest first: one per log entry that wrote or described it."""
    rows = state.store.listings.catalog.dataset_versions(node.id)
    facets = state.store.lineage.facets([node]).get(node.key, {})
    writers = {run.run_id: run for run in state.store.lineage.writers([node.id]).get(node.id, [])}
    run_facets = state.store.listings.catalog.run_facets(list(writers))
    description = (facets.get("documentation") or {}).get("description")
    base: dict[str, Any] = {
        "type": (facets.get("datasetType") or {}).get("datasetType") or "DB_TABLE",
        "name": node.name,
        "physicalName": node.name,
        "namespace": node.namespace,
        "sourceName": node.namespace,
        "description": description if isinstance(description, str) else "",
    }
    if not rows:  # read, never written: one version, as first recorded
        times = state.store.listings.catalog.times("dataset", [node.id]).get(node.id)
        version = dataset_version_id(node.key, None)
        return [
            {
                "id": {"namespace": node.namespace, "name": node.name, "version": version},
                **base,
                "createdAt": times.created_at if times else "",
                "version": version,
                "fields": marquez.dataset_fields(facets),
                "facets": facets,
            }
        ]
    fields: list[dict[str, Any]] = []
    found = []
    for index, row in enumerate(reversed(rows)):  # oldest first, carrying the schema forward
        if row.fields is not None:
            fields = [{"name": name, "type": kind or "", "tags": []} for name, kind in row.fields]
        version = dataset_version_id(node.key, row.entry_seq)
        run = writers.get(row.run_id) if row.run_id else None
        current = index == len(rows) - 1
        found.append(
            marquez.compact(
                {
                    "id": {"namespace": node.namespace, "name": node.name, "version": version},
                    **base,
                    "createdAt": row.created_at,
                    "version": version,
                    "fields": fields,
                    "lifecycleState": None,
                    "createdByRun": marquez.run_data(run, run_facets.get(run.run_id))
                    if run
                    else None,
                    "facets": facets if current else {},
                }
            )
        )
    return list(reversed(found))


def _column_graph(
    state: ServerState, root: Node, depth: int, downstream: bool
) -> dict[str, dict[str, Any]]:
    """Every field of the graph around ``root`` with the input fields it derives from."""
    queries = state.store.lineage
    found = queries.traverse(root, "both" if downstream else "upstream", depth=depth)
    datasets = [item.node for item in found.nodes if item.node.kind == "dataset"]
    if root.kind == "dataset" and root not in datasets:
        datasets.append(root)
    facets = queries.facets(datasets)
    fields: dict[str, dict[str, Any]] = {}

    def field_node(namespace: str, dataset: str, field: str) -> dict[str, Any]:
        key = f"datasetField:{namespace}:{dataset}:{field}"
        return fields.setdefault(
            key,
            {
                "namespace": namespace,
                "dataset": dataset,
                "field": field,
                "fieldType": "",
                "inputFields": [],
            },
        )

    for node in datasets:
        node_facets = facets.get(node.key, {})
        for item in marquez.dataset_fields(node_facets):
            field_node(node.namespace, node.name, item["name"])["fieldType"] = item["type"]
        lineage = node_facets.get("columnLineage")
        outputs = lineage.get("fields") if isinstance(lineage, Mapping) else None
        for field, spec in (outputs or {}).items():
            if not isinstance(spec, Mapping):
                continue
            target = field_node(node.namespace, node.name, field)
            for item in spec.get("inputFields") or []:
                if not isinstance(item, Mapping):
                    continue
                source = (str(item.get("namespace")), str(item.get("name")), str(item.get("field")))
                field_node(*source)
                text = spec.get("transformationDescription")
                kind = spec.get("transformationType")
                target["inputFields"].append(
                    marquez.compact(
                        {
                            "namespace": source[0],
                            "dataset": source[1],
                            "field": source[2],
                            "transformationDescription": text if isinstance(text, str) else None,
                            "transformationType": kind if isinstance(kind, str) else None,
                        }
                    )
                )
    return fields


def column_lineage(
    state: ServerState, node_id: str, *, depth: int, downstream: bool
) -> dict[str, Any]:
    """``GET /column-lineage``: the field graph reachable from the node, as Marquez draws it."""
    name = node_id.partition("#")[0]
    kind, _, rest = name.partition(":")
    start_field = None
    if kind == "datasetField":
        rest, _, start_field = rest.rpartition(":")
        kind = "dataset"
    try:
        root = state.store.lineage.resolve(f"{kind}:{rest}")
    except LineageError as exc:
        raise ApiError(exc.http_status, exc.message) from None
    fields = _column_graph(state, root, depth, downstream)
    edges = [
        (f"datasetField:{item['namespace']}:{item['dataset']}:{item['field']}", key)
        for key, data in fields.items()
        for item in data["inputFields"]
    ]
    if root.kind == "dataset":
        prefix = f"datasetField:{root.namespace}:{root.name}:"
        starts = {key for key in fields if key.startswith(prefix)}
        if start_field is not None:
            starts = {prefix + start_field} & set(fields)
    else:
        outputs = state.store.listings.job_edges([root.id]).get(root.id, ([], []))[1]
        prefixes = tuple(f"datasetField:{ns}:{ds}:" for ns, ds in outputs)
        starts = {key for key in fields if key.startswith(prefixes)} if prefixes else set()
    reached = set(starts)
    frontier = list(starts)
    while frontier:  # the field graph is the facets of a bounded job graph: small, in memory
        key = frontier.pop()
        for origin, target in edges:
            step = origin if target == key else target if downstream and origin == key else None
            if step is not None and step not in reached:
                reached.add(step)
                frontier.append(step)
    graph = []
    for key in sorted(reached):
        graph.append(
            {
                "id": key,
                "type": "DATASET_FIELD",
                "data": fields[key],
                "inEdges": [
                    {"origin": o, "destination": t} for o, t in edges if t == key and o in reached
                ],
                "outEdges": [
                    {"origin": o, "destination": t} for o, t in edges if o == key and t in reached
                ],
            }
        )
    return {"graph": graph}


def search(
    state: ServerState,
    text: str,
    *,
    kind: str | None,
    namespace: str | None,
    by_update: bool,
    before: str | None,
    after: str | None,
) -> list[dict[str, Any]]:
    """Jobs and datasets whose name contains ``text``, with the time each was last named."""
    catalog = state.store.listings.catalog
    nodes = [
        node
        for node in catalog.search(text, namespace=namespace)
        if kind is None or node.kind == kind.lower()
    ]
    times = {
        **{
            ("job", k): v
            for k, v in catalog.times("job", (n.id for n in nodes if n.kind == "job")).items()
        },
        **{
            ("dataset", k): v
            for k, v in catalog.times(
                "dataset", (n.id for n in nodes if n.kind == "dataset")
            ).items()
        },
    }
    results = []
    for node in nodes:
        stamp = times.get((node.kind, node.id))
        updated = stamp.updated_at if stamp else ""
        if (after and updated[:10] < after) or (before and updated[:10] > before):
            continue
        results.append(
            {
                "type": node.kind.upper(),
                "name": node.name,
                "updatedAt": updated,
                "namespace": node.namespace,
                "nodeId": node_name(node.kind, node.namespace, node.name),
            }
        )
    if by_update:
        results.sort(key=lambda item: item["updatedAt"], reverse=True)
    return results


def sources(state: ServerState) -> list[dict[str, Any]]:
    """One source per namespace of datasets: its name and connection URL are the namespace."""
    holding = set(state.store.listings.catalog.dataset_namespaces())
    found = []
    for item in namespaces(state):
        name = item["name"]
        if name in holding:
            scheme = name.partition("://")[0] if "://" in name else name.partition(":")[0]
            found.append(
                {
                    "type": scheme.upper() or "DEFAULT",
                    "name": name,
                    "createdAt": item["createdAt"],
                    "updatedAt": item["updatedAt"],
                    "connectionUrl": name,
                }
            )
    return found


def tags(state: ServerState) -> list[dict[str, str]]:
    """Marquez's stock tags and every tag a ``tags`` facet of the store carries, by name."""
    facets = state.store.listings.catalog.facet_everywhere("tags")
    return marquez_tags.tag_list((kind, value) for kind, _, value in facets)
