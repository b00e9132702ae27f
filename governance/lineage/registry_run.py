"""The OpenLineage events of a registered model's training run, from the record's registry facts.

A model gated by ``model.uri`` names the MLflow run that logged it. That run becomes a training
run in the lineage graph: job ``mlflow/<experiment>``, run id the MLflow run id as a UUID, its
logged input datasets (``mlflow.data``: namespace ``mlflow``, the dataset's source or name, its
digest as the version) as inputs, and the registered version (namespace ``file``, named
``models:/NAME/VERSION``, the digest of the model file the gate loaded) as output: the same
node the check reads, so ``lineage.*`` rules find the run by the model's digest.

The events are built from the record alone and are the same each time a version is gated, so
the store keeps them once (:meth:`governance.audit.AuditStore.append_events`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from governance.lineage import naming
from governance.lineage.facets import facet, without_nulls

MLFLOW_NAMESPACE = "mlflow"
"""The namespace of MLflow jobs and of datasets logged with ``mlflow.data``."""


def mlflow_run_uuid(run_id: str) -> str:
    """The OpenLineage ``runId`` of an MLflow run: its 32 hex digits as a UUID.

    A run id that is not 32 hex digits (another tracking server's) maps to a stable UUID 5.
    """
    try:
        return str(uuid.UUID(hex=run_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mlflow-run:{run_id}"))


def training_events(
    registry: Mapping[str, Any], model: Mapping[str, Any], tool_version: str
) -> list[dict[str, Any]]:
    """The START and COMPLETE events of the run that logged a registered version.

    Parameters
    ----------
    registry
        The record's ``registry`` block (``run_id``, ``experiment``, ``run_started_at``,
        ``run_finished_at``, ``datasets``).
    model
        The record's ``artifacts.model`` (``path`` ``models:/NAME/VERSION``, ``digest``).
    tool_version
        The governance version (the events' producer).

    Returns
    -------
    list of dict
        ``[START, COMPLETE]``; empty when the version names no run.
    """
    run_id = registry.get("run_id")
    if not run_id:
        return []
    producer = naming.producer(tool_version)
    started = registry.get("run_started_at") or registry.get("run_finished_at")
    finished = registry.get("run_finished_at") or started
    if started is None or finished is None:
        return []
    inputs = [_dataset(item, producer) for item in registry.get("datasets") or []]
    output = {
        "namespace": naming.FILE_NAMESPACE,
        "name": str(model["path"]),
        "facets": {
            "datasetType": facet(naming.DATASET_TYPE_SCHEMA_URL, producer, datasetType="MODEL"),
            "version": facet(
                naming.DATASET_VERSION_SCHEMA_URL, producer, datasetVersion=str(model["digest"])
            ),
        },
        "outputFacets": {},
    }
    job = {
        "namespace": MLFLOW_NAMESPACE,
        "name": str(registry.get("experiment") or "default"),
        "facets": {},
    }
    run = {"runId": mlflow_run_uuid(str(run_id)), "facets": {}}

    def event(state: str, time: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
        body = {
            "eventTime": time,
            "producer": producer,
            "schemaURL": naming.RUN_EVENT_SCHEMA_URL,
            "run": run,
            "job": job,
            "eventType": state,
            "inputs": inputs,
            "outputs": outputs,
        }
        return dict(without_nulls(body))

    bare = [{k: v for k, v in output.items() if k in ("namespace", "name")}]
    return [event("START", str(started), bare), event("COMPLETE", str(finished), [output])]


def _dataset(item: Mapping[str, Any], producer: str) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if item.get("digest"):
        facets["version"] = facet(
            naming.DATASET_VERSION_SCHEMA_URL, producer, datasetVersion=str(item["digest"])
        )
    return {
        "namespace": MLFLOW_NAMESPACE,
        "name": str(item.get("source") or item["name"]),
        "facets": facets,
        "inputFacets": {},
    }
