"""The events of a check built through openlineage-python's classes, as governance did until it
built them as plain dicts (issue 14): the reference ``test_events_match_openlineage`` compares
``governance.lineage``'s events with.

Only the JSON shape is at stake here, so the record is read with the same helpers and the
finding-to-test mapping (``expected_text``, ``execution_severity``) is governance's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attr
from openlineage.client.constants import __version__ as openlineage_version
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    InputDatasetFacet,
    RunFacet,
    dataset_type_dataset,
    dataset_version_dataset,
    documentation_job,
    error_message_run,
    input_statistics_input_dataset,
    job_type_job,
    lifecycle_state_change_dataset,
    processing_engine_run,
    schema_dataset,
    test_run,
)
from openlineage.client.serde import Serde

from governance.lineage import naming
from governance.lineage._record import event_time, optional
from governance.lineage.facets import (
    POLICY_KEYS,
    SUMMARY_COUNTS,
    TEST_STATUS,
    execution_severity,
    expected_text,
)


@attr.define
class GovernanceVerdictRunFacet(RunFacet):
    evaluationId: str
    verdict: str
    exitCode: int
    model: dict[str, str]
    manifest: dict[str, str]
    policies: list[dict[str, str]]
    summary: dict[str, int]
    findings: list[dict[str, Any]]

    @staticmethod
    def _get_schema() -> str:
        return naming.VERDICT_SCHEMA_URL


@attr.define
class GovernanceEngineInputDatasetFacet(InputDatasetFacet):
    name: str
    version: str
    query: str
    sampleQuery: str | None
    where: str | None
    sampleRows: int | None
    sampleSeed: int | None
    snapshot: dict[str, Any]

    @staticmethod
    def _get_schema() -> str:
        return naming.ENGINE_SCHEMA_URL


def start(record: Mapping[str, Any]) -> dict[str, Any]:
    return _event(record, RunState.START, event_time(record, "started_at"), _inputs(record))


def complete(record: Mapping[str, Any]) -> dict[str, Any]:
    producer = _producer(record)
    evaluation_id = record["evaluation_id"]
    output = OutputDataset(
        namespace=record["namespace"],
        name=naming.evaluation_dataset_name(evaluation_id),
        facets={
            "lifecycleStateChange": lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
                lifecycleStateChange=lifecycle_state_change_dataset.LifecycleStateChange.CREATE,
                producer=producer,
            )
        },
    )
    return _event(
        record,
        RunState.COMPLETE,
        event_time(record, "finished_at"),
        _inputs(record),
        outputs=[output],
        run_facets={"test": _tests(record), naming.VERDICT_FACET: _verdict(record)},
    )


def fail(record: Mapping[str, Any], error: str, stack_trace: str | None = None) -> dict[str, Any]:
    facet = error_message_run.ErrorMessageRunFacet(
        message=error,
        programmingLanguage="python",
        stackTrace=stack_trace,
        producer=_producer(record),
    )
    inputs = [] if optional(record, "artifacts") is None else _inputs(record)
    time = event_time(record, "finished_at")
    return _event(record, RunState.FAIL, time, inputs, run_facets={"errorMessage": facet})


def _producer(record: Mapping[str, Any]) -> str:
    return naming.producer(record["tool"]["version"])


def _event(
    record: Mapping[str, Any],
    state: RunState,
    time: str,
    inputs: list[InputDataset],
    *,
    outputs: list[OutputDataset] | None = None,
    run_facets: Mapping[str, RunFacet] | None = None,
) -> dict[str, Any]:
    producer = _producer(record)
    model = record["model"]["name"]
    engine = processing_engine_run.ProcessingEngineRunFacet(
        version=record["tool"]["version"],
        name="governance",
        openlineageAdapterVersion=openlineage_version,
        producer=producer,
    )
    job_facets = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH",
            integration=naming.INTEGRATION,
            jobType=naming.JOB_TYPE,
            producer=producer,
        ),
        "documentation": documentation_job.DocumentationJobFacet(
            description=(
                f"Governance check of the model {model}: evaluates it against its "
                "policies and records the verdict."
            ),
            contentType="text/plain",
            producer=producer,
        ),
    }
    event = RunEvent(
        eventType=state,
        eventTime=time,
        run=Run(
            runId=record["evaluation_id"],
            facets={"processing_engine": engine, **(run_facets or {})},
        ),
        job=Job(namespace=record["namespace"], name=naming.job_name(model), facets=job_facets),
        inputs=inputs,
        outputs=outputs or [],
        producer=producer,
    )
    return Serde.to_dict(event)


def _inputs(record: Mapping[str, Any]) -> list[InputDataset]:
    producer = _producer(record)
    artifacts = record["artifacts"]
    data = artifacts["data"]
    facets: dict[str, Any] = {
        "datasetType": dataset_type_dataset.DatasetTypeDatasetFacet(
            datasetType="FILE", producer=producer
        )
    }
    if data.get("columns") is not None:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(
                    name=str(column["name"]),
                    type=None if column.get("type") is None else str(column["type"]),
                )
                for column in data["columns"]
            ],
            producer=producer,
        )
    _version(facets, data, producer)
    input_facets: dict[str, Any] = {}
    if data.get("rows") is not None:
        input_facets["inputStatistics"] = (
            input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                rowCount=int(data["rows"]), producer=producer
            )
        )
    engine = data.get("engine")
    namespace, name = naming.FILE_NAMESPACE, str(data["path"])
    if engine is not None:  # counted by a SQL engine: its facet; an object store's naming
        sample = engine.get("sample") or {}
        input_facets[naming.ENGINE_FACET] = GovernanceEngineInputDatasetFacet(
            name=engine["name"],
            version=engine["version"],
            query=engine["query"],
            sampleQuery=engine.get("sample_query"),
            where=engine.get("where"),
            sampleRows=sample.get("rows"),
            sampleSeed=sample.get("seed"),
            snapshot=engine.get("snapshot") or {},
            producer=producer,
        )
        if name.startswith("table:"):
            namespace, name = str(engine["name"]), name.removeprefix("table:")
        elif "://" in name:
            scheme, _, rest = name.partition("://")
            authority, _, name = rest.partition("/")
            namespace = f"{scheme}://{authority}"
    found = [
        InputDataset(
            namespace=namespace,
            name=name,
            facets=facets,
            inputFacets=input_facets,
        )
    ]
    model = artifacts.get("model")
    if model is not None:
        model_facets: dict[str, Any] = {
            "datasetType": dataset_type_dataset.DatasetTypeDatasetFacet(
                datasetType="MODEL", producer=producer
            )
        }
        _version(model_facets, model, producer)
        found.append(
            InputDataset(
                namespace=naming.FILE_NAMESPACE, name=str(model["path"]), facets=model_facets
            )
        )
    return found


def _version(facets: dict[str, Any], artifact: Mapping[str, Any], producer: str) -> None:
    if artifact.get("digest") is not None:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=str(artifact["digest"]), producer=producer
        )


def _tests(record: Mapping[str, Any]) -> RunFacet:
    tests = [
        test_run.TestExecution(
            name=str(finding["rule_id"]),
            status=TEST_STATUS[finding["outcome"]],
            severity=execution_severity(finding, finding["outcome"]),
            type=_text(finding.get("check")),
            description=_text(finding.get("title")),
            expected=expected_text(finding.get("threshold")),
            actual=_text(finding.get("measured")),
            params=dict(finding.get("params") or {}),
        )
        for finding in record["findings"]
    ]
    return test_run.TestRunFacet(tests=tests, producer=_producer(record))


def _verdict(record: Mapping[str, Any]) -> RunFacet:
    model = {"name": str(record["model"]["name"]), "version": str(record["model"]["version"])}
    if record["model"].get("risk_tier") is not None:
        model["riskTier"] = str(record["model"]["risk_tier"])
    manifest = {"digest": str(record["manifest"]["digest"])}
    if record["manifest"].get("path") is not None:
        manifest["path"] = str(record["manifest"]["path"])
    return GovernanceVerdictRunFacet(
        evaluationId=str(record["evaluation_id"]),
        verdict=str(record["verdict"]),
        exitCode=int(record["exit_code"]),
        model=model,
        manifest=manifest,
        policies=[{key: str(policy[key]) for key in POLICY_KEYS} for policy in record["policies"]],
        summary={key: int(record["summary"][key]) for key in SUMMARY_COUNTS},
        findings=[
            {
                "ruleId": str(finding["rule_id"]),
                "policy": _text(finding.get("policy")),
                "outcome": finding["outcome"],
                "severity": _text(finding.get("severity")),
                "blocking": bool(finding["blocking"]),
            }
            for finding in record["findings"]
        ],
        producer=_producer(record),
    )


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)
