"""Input and output datasets of a governance check.

Inputs are the evaluation data and, unless the manifest evaluates a predictions column, the model
artifact: both local files (namespace ``file``, name = the path as the record gives it: from the
project root, as training producers name the same files, so the model is one node). The output
is the evaluation record itself, in the job's namespace, named ``evaluations/<evaluation_id>``.

Each data set is a JSON object as openlineage-python writes its ``InputDataset`` and
``OutputDataset``: ``namespace``, ``name``, ``facets``, then ``inputFacets`` or ``outputFacets``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.errors import LineageError
from governance.lineage import naming
from governance.lineage._record import MISSING, require_item
from governance.lineage.facets import facet

Dataset = dict[str, Any]
"""An input or output data set as JSON."""


def inputs(artifacts: Mapping[str, Any], producer: str) -> list[Dataset]:
    """Return the input datasets: the evaluation data, then the model artifact if there is one.

    Parameters
    ----------
    artifacts
        The record's ``artifacts``.
    producer
        The producer URI.

    Returns
    -------
    list of dict
        One or two datasets.

    Raises
    ------
    LineageError
        If ``artifacts.data.path`` or ``artifacts.model.path`` is missing.
    """
    data = artifacts.get("data")
    found = [] if data is None else [evaluation_data(data, producer)]
    model = artifacts.get("model")
    if model is not None:
        found.append(model_artifact(model, producer))
    return found


def evaluation_data(data: Mapping[str, Any], producer: str) -> Dataset:
    """Return the evaluation data set, with its columns, digest and row count.

    Parameters
    ----------
    data
        The record's ``artifacts.data``.
    producer
        The producer URI.

    Returns
    -------
    dict
        Facets ``datasetType`` (FILE), ``schema`` (if columns are known), ``version`` (the
        digest, if known); input facet ``inputStatistics`` (if the row count is known).
    """
    facets: dict[str, Any] = {
        "datasetType": facet(naming.DATASET_TYPE_SCHEMA_URL, producer, datasetType="FILE"),
    }
    columns = data.get("columns")
    if columns is not None:
        facets["schema"] = facet(
            naming.SCHEMA_SCHEMA_URL,
            producer,
            fields=[
                {
                    "name": str(require_item(column, "name", f"artifacts.data.columns[{index}]")),
                    "type": None if column.get("type") is None else str(column["type"]),
                    "fields": [],
                }
                for index, column in enumerate(columns)
            ],
        )
    _add_version(facets, data, producer)
    input_facets: dict[str, Any] = {}
    if data.get("rows") is not None:
        input_facets["inputStatistics"] = facet(
            naming.INPUT_STATISTICS_SCHEMA_URL, producer, rowCount=int(data["rows"])
        )
    engine = data.get("engine")
    if engine is not None:
        input_facets[naming.ENGINE_FACET] = engine_facet(engine, producer)
    path = _path(data, "artifacts.data.path")
    namespace = naming.FILE_NAMESPACE if engine is None else _engine_namespace(engine, path)
    if engine is not None and "://" in path:  # an object store: s3://bucket, then the key
        scheme, _, rest = path.partition("://")
        authority, _, path = rest.partition("/")
        namespace = f"{scheme}://{authority}"
    return {
        "namespace": namespace,
        "name": path.removeprefix("table:"),
        "facets": facets,
        "inputFacets": input_facets,
    }


def engine_facet(engine: Mapping[str, Any], producer: str) -> dict[str, Any]:
    """Return the ``governance_engine`` input facet of the record's ``artifacts.data.engine``."""
    sample = engine.get("sample") or {}
    return facet(
        naming.ENGINE_SCHEMA_URL,
        producer,
        name=engine["name"],
        version=engine["version"],
        query=engine["query"],
        sampleQuery=engine.get("sample_query"),
        where=engine.get("where"),
        sampleRows=sample.get("rows"),
        sampleSeed=sample.get("seed"),
        snapshot=engine.get("snapshot") or {},
    )


def _engine_namespace(engine: Mapping[str, Any], path: str) -> str:
    """Files stay in ``file``; a table is named in the engine's namespace (``spark``)."""
    return str(engine["name"]) if path.startswith("table:") else naming.FILE_NAMESPACE


def model_artifact(model: Mapping[str, Any], producer: str) -> Dataset:
    """Return the model artifact as a data set.

    Parameters
    ----------
    model
        The record's ``artifacts.model``.
    producer
        The producer URI.

    Returns
    -------
    dict
        Facets ``datasetType`` (MODEL) and ``version`` (the digest, if known).
    """
    facets: dict[str, Any] = {
        "datasetType": facet(naming.DATASET_TYPE_SCHEMA_URL, producer, datasetType="MODEL"),
    }
    _add_version(facets, model, producer)
    return {
        "namespace": naming.FILE_NAMESPACE,
        "name": _path(model, "artifacts.model.path"),
        "facets": facets,
        "inputFacets": {},
    }


def evaluation_record(namespace: str, evaluation_id: str, producer: str) -> Dataset:
    """Return the evaluation record as the output data set of the run.

    Parameters
    ----------
    namespace
        The job namespace.
    evaluation_id
        The evaluation id.
    producer
        The producer URI.

    Returns
    -------
    dict
        ``<namespace>`` / ``evaluations/<evaluation_id>``, created by this run.
    """
    return {
        "namespace": namespace,
        "name": naming.evaluation_dataset_name(evaluation_id),
        "facets": {
            "lifecycleStateChange": facet(
                naming.LIFECYCLE_STATE_CHANGE_SCHEMA_URL, producer, lifecycleStateChange="CREATE"
            ),
        },
        "outputFacets": {},
    }


def _add_version(facets: dict[str, Any], artifact: Mapping[str, Any], producer: str) -> None:
    if artifact.get("digest") is not None:
        facets["version"] = facet(
            naming.DATASET_VERSION_SCHEMA_URL, producer, datasetVersion=str(artifact["digest"])
        )


def _path(artifact: Mapping[str, Any], field: str) -> str:
    path = artifact.get("path")
    if path is None or path == "":
        raise LineageError(MISSING, field=field)
    return str(path)
