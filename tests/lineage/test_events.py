from __future__ import annotations

import copy
import subprocess
import sys
import uuid
from typing import Any

import pytest
from jsonschema import ValidationError

from governance.errors import LineageError
from governance.lineage import (
    VERDICT_FACET,
    complete_event,
    fail_event,
    job_name,
    new_run_id,
    producer,
    start_event,
)
from tests.lineage.records import EVALUATION_ID, evaluation_record
from tests.lineage.spec import validate_event

PRODUCER = "https://github.com/governance-project/governance/tree/0.1.0.dev0"


def all_events(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        start_event(record),
        complete_event(record),
        fail_event(record, "ZeroDivisionError: division by zero"),
    ]


def executions_by_name(event: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {test["name"]: test for test in event["run"]["facets"]["test"]["tests"]}


# --- spec validity -------------------------------------------------------------------------


@pytest.mark.parametrize("with_model", [True, False])
def test_every_event_is_spec_valid(with_model: bool) -> None:
    record = evaluation_record()
    if not with_model:
        record["artifacts"]["model"] = None
    for event in all_events(record):
        validate_event(event)


def test_passing_record_is_spec_valid() -> None:
    record = evaluation_record(verdict="passed", exit_code=0, findings=[], policies=[])
    record["summary"] = dict.fromkeys(record["summary"], 0)
    validate_event(complete_event(record))


def test_validator_is_not_vacuous(record: dict[str, Any]) -> None:
    event = complete_event(record)
    broken = copy.deepcopy(event)
    del broken["run"]["facets"]["test"]["tests"][0]["status"]
    with pytest.raises(ValidationError):
        validate_event(broken)
    broken = copy.deepcopy(event)
    broken["run"]["facets"][VERDICT_FACET]["verdict"] = "maybe"
    with pytest.raises(ValidationError):
        validate_event(broken)
    broken = copy.deepcopy(event)
    broken["eventTime"] = "2026-11-27T14:00:00"  # no time zone
    with pytest.raises(ValidationError):
        validate_event(broken)


# --- run and job ---------------------------------------------------------------------------


def test_start_and_complete_share_run_and_job(record: dict[str, Any]) -> None:
    start, complete = start_event(record), complete_event(record)
    assert start["run"]["runId"] == complete["run"]["runId"] == EVALUATION_ID
    assert start["job"]["namespace"] == complete["job"]["namespace"] == "governance"
    assert start["job"]["name"] == complete["job"]["name"] == "adult-income.governance_check"
    assert job_name("adult-income") == "adult-income.governance_check"
    assert (start["eventType"], start["eventTime"]) == ("START", record["started_at"])
    assert (complete["eventType"], complete["eventTime"]) == ("COMPLETE", record["finished_at"])


def test_complete_whatever_the_verdict(record: dict[str, Any]) -> None:
    assert record["verdict"] == "failed"
    assert complete_event(record)["eventType"] == "COMPLETE"


def test_producer_and_schema_urls(record: dict[str, Any]) -> None:
    assert producer("0.1.0.dev0") == PRODUCER
    for event in all_events(record):
        assert event["producer"] == PRODUCER
        assert (
            event["schemaURL"]
            == "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
        )
        from tests.lineage.spec import iter_facets

        assert {facet["_producer"] for _, facet in iter_facets(event)} == {PRODUCER}


def test_job_facets(record: dict[str, Any]) -> None:
    facets = start_event(record)["job"]["facets"]
    job_type = facets["jobType"]
    assert (job_type["processingType"], job_type["integration"], job_type["jobType"]) == (
        "BATCH",
        "GOVERNANCE",
        "CHECK",
    )
    assert "adult-income" in facets["documentation"]["description"]


def test_processing_engine_names_the_tool(record: dict[str, Any]) -> None:
    engine = start_event(record)["run"]["facets"]["processing_engine"]
    assert (engine["name"], engine["version"]) == ("governance", "0.1.0.dev0")


# --- inputs and outputs --------------------------------------------------------------------


def test_inputs_are_data_and_model(record: dict[str, Any]) -> None:
    data, model = start_event(record)["inputs"]
    assert (data["namespace"], data["name"]) == (
        "file",
        "samples/adult-income/data/adult-test.csv.gz",
    )
    assert data["facets"]["datasetType"]["datasetType"] == "FILE"
    assert data["facets"]["version"]["datasetVersion"] == record["artifacts"]["data"]["digest"]
    assert [(f["name"], f["type"]) for f in data["facets"]["schema"]["fields"]] == [
        (c["name"], c["type"]) for c in record["artifacts"]["data"]["columns"]
    ]
    assert data["inputFacets"]["inputStatistics"]["rowCount"] == 16281
    assert (model["namespace"], model["name"]) == (
        "file",
        "samples/adult-income/models/baseline.skops",
    )
    assert model["facets"]["datasetType"]["datasetType"] == "MODEL"
    assert model["facets"]["version"]["datasetVersion"] == record["artifacts"]["model"]["digest"]


def test_model_input_omitted_without_model(record: dict[str, Any]) -> None:
    record["artifacts"]["model"] = None
    for event in all_events(record):
        assert [d["name"] for d in event["inputs"]] == [record["artifacts"]["data"]["path"]]


def test_absolute_data_path_kept_as_given(record: dict[str, Any]) -> None:
    record["artifacts"]["data"]["path"] = "/srv/data/adult-test.parquet"
    event = start_event(record)
    assert event["inputs"][0]["name"] == "/srv/data/adult-test.parquet"
    validate_event(event)


def test_unknown_columns_and_digest_leave_facets_out(record: dict[str, Any]) -> None:
    data = record["artifacts"]["data"]
    del data["columns"], data["digest"], data["rows"]
    event = start_event(record)
    assert set(event["inputs"][0]["facets"]) == {"datasetType"}
    validate_event(event)


def test_output_is_the_evaluation_record_on_complete_only(record: dict[str, Any]) -> None:
    (output,) = complete_event(record)["outputs"]
    assert (output["namespace"], output["name"]) == ("governance", f"evaluations/{EVALUATION_ID}")
    assert output["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "CREATE"
    assert start_event(record)["outputs"] == []
    assert fail_event(record, "boom")["outputs"] == []


# --- the test facet ------------------------------------------------------------------------


def test_one_test_per_finding(record: dict[str, Any]) -> None:
    tests = complete_event(record)["run"]["facets"]["test"]["tests"]
    assert [t["name"] for t in tests] == [f["rule_id"] for f in record["findings"]]


@pytest.mark.parametrize(
    ("rule_id", "outcome", "status", "severity"),
    [
        ("four-fifths-sex", "fail", "fail", "error"),
        ("accuracy-floor", "pass", "pass", "error"),
        ("equalized-odds-race", "insufficient", "fail", "error"),
        ("shap-stability", "error", "fail", "error"),
        ("model-card-present", "waived", "fail", "warn"),
        ("calibration-by-age", "skipped", "skip", "warn"),
    ],
)
def test_status_and_severity(
    record: dict[str, Any], rule_id: str, outcome: str, status: str, severity: str
) -> None:
    test = executions_by_name(complete_event(record))[rule_id]
    assert next(f for f in record["findings"] if f["rule_id"] == rule_id)["outcome"] == outcome
    assert (test["status"], test["severity"]) == (status, severity)


def test_non_blocking_failure_is_a_warning(record: dict[str, Any]) -> None:
    finding = record["findings"][0]
    finding.update(severity="medium", blocking=False)
    assert executions_by_name(complete_event(record))["four-fifths-sex"]["severity"] == "warn"


def test_test_fields(record: dict[str, Any]) -> None:
    tests = executions_by_name(complete_event(record))
    fail = tests["four-fifths-sex"]
    assert fail["type"] == "fairness.demographic_parity_ratio"
    assert fail["description"] == "Selection rate of every sex is at least 80% of the highest"
    assert (fail["expected"], fail["actual"]) == (">= 0.8", "0.3127")
    assert fail["params"] == {
        "sensitive_features": ["sex"],
        "method": "between_groups",
        "min_group_size": 30,
    }
    assert tests["equalized-odds-race"]["expected"] == "<= 0.1"
    assert "actual" not in tests["equalized-odds-race"]  # measured is null
    assert tests["shap-stability"]["expected"] == ">= 0.9 and <= 1.0"
    assert "expected" not in tests["model-card-present"]  # no threshold


# --- the governance_verdict facet ----------------------------------------------------------


def test_verdict_facet(record: dict[str, Any]) -> None:
    facet = complete_event(record)["run"]["facets"][VERDICT_FACET]
    assert facet["_schemaURL"] == (
        "https://governance-project.github.io/spec/facets/1-0-0/"
        "GovernanceVerdictRunFacet.json#/$defs/GovernanceVerdictRunFacet"
    )
    assert (facet["evaluationId"], facet["verdict"], facet["exitCode"]) == (
        EVALUATION_ID,
        "failed",
        1,
    )
    assert facet["summary"] == record["summary"]
    assert facet["policies"] == [
        {"name": p["name"], "version": p["version"], "digest": p["digest"]}
        for p in record["policies"]
    ]
    assert facet["manifest"] == record["manifest"]
    assert facet["model"] == {"name": "adult-income", "version": "1.0.0", "riskTier": "high"}
    assert [(f["ruleId"], f["outcome"], f["blocking"]) for f in facet["findings"]] == [
        (f["rule_id"], f["outcome"], f["blocking"]) for f in record["findings"]
    ]


def test_start_has_no_verdict(record: dict[str, Any]) -> None:
    facets = start_event(record)["run"]["facets"]
    assert "test" not in facets and VERDICT_FACET not in facets


# --- FAIL ----------------------------------------------------------------------------------


def test_fail_event_carries_error_message(record: dict[str, Any]) -> None:
    event = fail_event(record, "KeyError: 'sex'", stack_trace="Traceback ...")
    assert event["eventType"] == "FAIL"
    assert event["eventTime"] == record["finished_at"]
    error = event["run"]["facets"]["errorMessage"]
    assert error["message"] == "KeyError: 'sex'"
    assert error["programmingLanguage"] == "python"
    assert error["stackTrace"] == "Traceback ..."
    assert event["run"]["runId"] == start_event(record)["run"]["runId"]


def test_fail_event_from_partial_record() -> None:
    full = evaluation_record()
    partial = {k: full[k] for k in ("evaluation_id", "started_at", "tool", "namespace", "model")}
    event = fail_event(partial, "boom")
    assert event["inputs"] == []
    assert event["eventTime"] > partial["started_at"]
    assert event["eventTime"].endswith("Z")
    assert "stackTrace" not in event["run"]["facets"]["errorMessage"]
    validate_event(event)


# --- malformed records ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "path", "field"),
    [
        (start_event, ("model", "name"), "model.name"),
        (start_event, ("tool",), "tool.version"),
        (start_event, ("artifacts", "data"), "artifacts.data"),
        (complete_event, ("finished_at",), "finished_at"),
        (complete_event, ("manifest", "digest"), "manifest.digest"),
        (complete_event, ("summary", "blocking"), "summary.blocking"),
    ],
)
def test_missing_field_names_it(build: Any, path: tuple[str, ...], field: str) -> None:
    record = evaluation_record()
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    with pytest.raises(LineageError) as caught:
        build(record)
    assert caught.value.field == field
    assert caught.value.message == "missing from the evaluation record"


def test_missing_finding_field_names_its_place(record: dict[str, Any]) -> None:
    del record["findings"][2]["outcome"]
    with pytest.raises(LineageError) as caught:
        complete_event(record)
    assert caught.value.field == "findings[2].outcome"


def test_unknown_outcome(record: dict[str, Any]) -> None:
    record["findings"][0]["outcome"] = "maybe"
    with pytest.raises(LineageError, match="unknown outcome 'maybe'"):
        complete_event(record)


@pytest.mark.parametrize("value", ["not-a-uuid", "{019375a2-8a4e-7c3b-9f1e-2b8f6f0c1d2e}", 42])
def test_run_id_must_be_a_uuid(record: dict[str, Any], value: object) -> None:
    record["evaluation_id"] = value
    with pytest.raises(LineageError) as caught:
        start_event(record)
    assert caught.value.field == "evaluation_id"


@pytest.mark.parametrize(
    "value", ["2026-11-27T14:00:00", "2026-11-27", "20261127T140000Z", "2026-13-01T00:00:00Z"]
)
def test_event_time_must_be_rfc3339(record: dict[str, Any], value: str) -> None:
    record["started_at"] = value
    with pytest.raises(LineageError) as caught:
        start_event(record)
    assert caught.value.field == "started_at"


def test_record_is_not_modified(record: dict[str, Any]) -> None:
    before = copy.deepcopy(record)
    all_events(record)
    assert record == before


# --- run ids and import cost ---------------------------------------------------------------


def test_new_run_id_is_a_uuid7() -> None:
    first, second = new_run_id(), new_run_id()
    assert uuid.UUID(first).version == 7
    assert uuid.UUID(first).variant == uuid.RFC_4122
    assert first != second
    assert str(uuid.UUID(first)) == first


def test_run_ids_carry_their_time_and_sort_by_it() -> None:
    import time

    before = time.time_ns() // 1_000_000
    ids = [new_run_id() for _ in range(3)]
    time.sleep(0.002)
    later = new_run_id()
    after = time.time_ns() // 1_000_000
    for run_id in [*ids, later]:
        assert before <= uuid.UUID(run_id).int >> 80 <= after  # RFC 9562: Unix milliseconds
    assert max(ids) < later


def test_import_does_not_load_openlineage() -> None:
    code = (
        "import sys, governance.lineage; "
        "print(any(m.startswith('openlineage') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
