"""A check's events, built as plain dicts, are exactly what openlineage-python would write.

governance builds its events without openlineage-python (issue 14: its import cost every check
0.2 to 0.5 s). Each test builds the events of a record both ways, ours and through the client's
classes (``tests/lineage/reference_events.py``), and compares them as JSON text: the same keys,
values and key order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.lineage import complete_event, fail_event, start_event
from governance.record.model import RecordHeader
from governance.store import sqlite_url_for
from tests.conftest import CliRun
from tests.lineage import reference_events as reference
from tests.lineage.records import evaluation_record

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "adult-income"
TRACE = "Traceback (most recent call last):\n  ...\nZeroDivisionError: division by zero\n"

FAILING = """
apiVersion: governance/v1
kind: Policy
metadata: {name: strict, version: 2.0.0}
rules:
  - {id: dp-difference, title: Parity, severity: high,
     check: fairness.demographic_parity_difference,
     params: {sensitive_features: [sex, group]}, threshold: {max: 0.001}}
  - {id: dp-ratio, title: Four-fifths, severity: low, check: fairness.demographic_parity_ratio,
     params: {sensitive_features: [group]}, threshold: {min: 0.999, max: 1.0}}
  - {id: accuracy, title: Accuracy, severity: critical, check: performance.metric,
     params: {metric: accuracy}, threshold: {min: 0.1}}
"""
WAIVERS = """
apiVersion: governance/v1
kind: Waivers
metadata: {name: w, version: 1.0.0}
waivers:
  - rule_id: dp-difference
    subject: {model: synthetic, version: 0.1.0}
    justification: Accepted for the test.
    approved_by: risk@example.org
    ticket: RISK-1
    expires: 2099-12-31
"""


def same(ours: dict[str, Any], theirs: dict[str, Any], *, stored: bool = False) -> None:
    """Equal as JSON text; in key order too, unless ``ours`` was read back from the store
    (which keeps canonical JSON: keys sorted)."""
    assert json.dumps(ours, indent=1, sort_keys=stored) == json.dumps(
        theirs, indent=1, sort_keys=stored
    )


def assert_all_match(record: dict[str, Any]) -> None:
    same(start_event(record), reference.start(record))
    same(complete_event(record), reference.complete(record))
    same(fail_event(record, "ZeroDivisionError: x"), reference.fail(record, "ZeroDivisionError: x"))
    same(fail_event(record, "boom", stack_trace=TRACE), reference.fail(record, "boom", TRACE))


# --- records written by hand: every outcome and every optional field -------------------------


def test_a_record_with_every_outcome() -> None:
    assert_all_match(evaluation_record())


def test_optional_fields_absent() -> None:
    record = evaluation_record(manifest={"digest": "sha256:00"})
    record["model"] = {"name": "m", "version": "1"}
    record["artifacts"]["model"] = None
    data = record["artifacts"]["data"]
    del data["rows"], data["digest"]
    data["columns"] = [{"name": "a", "type": None}, {"name": "b"}]
    for finding in record["findings"]:
        for key in ("policy", "severity", "title", "check", "threshold", "params"):
            finding.pop(key, None)
    assert_all_match(record)


def test_a_passing_record_without_findings_or_policies() -> None:
    record = evaluation_record(verdict="passed", exit_code=0, findings=[], policies=[])
    record["summary"] = dict.fromkeys(record["summary"], 0)
    assert_all_match(record)


def test_nulls_tuples_and_empty_objects_in_parameters_as_serde_writes_them() -> None:
    record = evaluation_record()
    record["findings"][0]["params"] = {
        "none": None,
        "list": [1, None, {}, {"x": None}, [None]],
        "tuple": ("a", "b"),
        "nested": {"inner": None, "kept": 0, "empty": {}},
        "falsy": [False, 0, ""],
    }
    record["findings"][0]["measured"] = {"ratio": 0.5, "groups": ["a", "b"]}
    record["findings"][1]["threshold"] = {"min": 0.75, "max": 1}
    ours = complete_event(record)
    same(ours, reference.complete(record))
    assert ours["run"]["facets"]["test"]["tests"][0]["params"] == {
        "list": [1, []],
        "tuple": ["a", "b"],
        "nested": {"kept": 0, "empty": {}},
        "falsy": [False, 0, ""],
    }


def test_a_fail_event_of_a_record_cut_short() -> None:
    full = evaluation_record()
    record = {
        key: full[key]
        for key in ("evaluation_id", "started_at", "finished_at", "tool", "namespace", "model")
    }
    same(fail_event(record, "boom", stack_trace=TRACE), reference.fail(record, "boom", TRACE))


# --- records of real checks, events as the gate stored them ----------------------------------


@pytest.fixture
def cli(run_cli: CliRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRun:
    for name in list(os.environ):
        if name.startswith(("OPENLINEAGE", "GOVERNANCE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GOVERNANCE_STORE_URL", sqlite_url_for(tmp_path / "audit.db"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return run_cli


def recorded(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    with AuditStore.open(sqlite_url_for(tmp_path / "audit.db"), create=False) as store:
        return [(e.kind, e.payload) for e in store.entries()]


def checked(cli: CliRun, *args: object) -> dict[str, Any]:
    """Run ``governance check``; its record as it printed it (``--format json``)."""
    result = cli("check", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    record: dict[str, Any] = json.loads(result.stdout)
    return record


def assert_stored_events_match(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    """The START and COMPLETE stored for each check equal the reference built from its record.

    The reference is built from the record as the check printed it: read back from the store,
    a threshold of ``1.0`` is ``1`` (canonical JSON) and its ``expected`` text would differ.
    """
    events = [payload for kind, payload in recorded(tmp_path) if kind == "openlineage.event"]
    for record in records:
        run = [e for e in events if e.get("run", {}).get("runId") == record["evaluation_id"]]
        assert [e["eventType"] for e in run] == ["START", "COMPLETE"]
        same(run[0], reference.start(record), stored=True)
        same(run[1], reference.complete(record), stored=True)
        same(start_event(record), reference.start(record))
        same(complete_event(record), reference.complete(record))
        same(fail_event(record, "boom", stack_trace=TRACE), reference.fail(record, "boom", TRACE))


def test_a_failed_and_a_waived_check(
    cli: CliRun, manifest_path: Path, write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    policy = write("strict.yaml", FAILING)
    failed = checked(cli, manifest_path, "-p", policy)
    waived = checked(cli, manifest_path, "-p", policy, "--waivers", write("w.yaml", WAIVERS))
    assert (failed["verdict"], waived["verdict"]) == ("failed", "passed")
    outcomes = {f["rule_id"]: f["outcome"] for f in waived["findings"]}
    assert outcomes == {"dp-difference": "waived", "dp-ratio": "fail", "accuracy": "pass"}
    assert_stored_events_match(tmp_path, [failed, waived])


def test_the_sample_model_checked_for_fairness_and_lineage(
    cli: CliRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(REPO)
    assert cli("lineage", "ingest", SAMPLE / "lineage").exit_code == 0
    policies = (REPO / "policies" / "fairness-baseline.yaml", SAMPLE / "lineage" / "policy.yaml")
    record = checked(cli, SAMPLE / "mitigated.yaml", "-p", policies[0], "-p", policies[1])
    assert record["verdict"] == "passed"
    assert {f["check"].split(".")[0] for f in record["findings"]} == {
        "fairness",
        "performance",
        "lineage",
    }
    assert_stored_events_match(tmp_path, [record])


def test_the_fail_event_of_a_crashed_check(
    cli: CliRun,
    manifest_path: Path,
    policy_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import governance.gate

    headers: list[dict[str, Any]] = []

    def crash(prepared: Any, header: RecordHeader, **kwargs: Any) -> dict[str, Any]:
        headers.append(header.payload())
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(governance.gate, "evaluate", crash)
    assert cli("check", manifest_path, "-p", policy_path).exit_code == 3
    start, failed = (payload for kind, payload in recorded(tmp_path) if kind != "lineage.ingest")
    (header,) = headers
    same(start, reference.start(header), stored=True)
    message = "ZeroDivisionError: division by zero"
    expected = reference.fail({**header, "finished_at": failed["eventTime"]}, message)
    same(failed, expected, stored=True)
