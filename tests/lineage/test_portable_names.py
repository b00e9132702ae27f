"""Evidence names files as the project does, never by the checking machine's absolute paths.

The demo's flow in a checkout copied to a temporary folder: the sample's training events are
ingested, then each of its two models is checked. The record, the events, the report's text
and the attestation name ``samples/adult-income/...`` (as the training producer does), and the
trained model's node reaches its own evaluation, not the other model's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.paths import portable_name, project_root, shown_name
from governance.reporting.attest import build_predicate, record_subjects
from governance.store import sqlite_url_for
from tests.conftest import CliRun as Run

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "adult-income"
EVENT_KIND = "openlineage.event"
MITIGATED = "samples/adult-income/models/mitigated.skops"
BASELINE = "samples/adult-income/models/baseline.skops"


@pytest.fixture
def project(run_cli: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Run, Path]:
    """The sample in a fresh checkout (``.git`` at its top); the working directory elsewhere."""
    for name in list(os.environ):
        if name.startswith(("OPENLINEAGE", "GOVERNANCE_")):
            monkeypatch.delenv(name)
    top = tmp_path / "home" / "alice" / "work" / "checkout"
    (top / ".git").mkdir(parents=True)
    shutil.copytree(SAMPLE, top / "samples" / "adult-income", ignore=shutil.ignore_patterns("*.py"))
    monkeypatch.setenv("GOVERNANCE_STORE_URL", sqlite_url_for(tmp_path / "audit.db"))
    monkeypatch.setenv("HOME", str(tmp_path / "home" / "alice"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("GOVERNANCE_ALLOWED_PATHS", str(top))
    result = run_cli("lineage", "ingest", top / "samples" / "adult-income" / "lineage")
    assert result.exit_code == 0, result.stderr
    return run_cli, top


def _check(cli: Run, top: Path, manifest: str, *extra: object) -> dict[str, object]:
    policy = top / "samples" / "adult-income" / "lineage" / "policy.yaml"
    sample = top / "samples" / "adult-income"
    result = cli("check", sample / manifest, "--policy", policy, "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.stderr
    record: dict[str, object] = json.loads(result.stdout)
    return record


def test_no_machine_path_in_record_events_report_or_attestation(
    project: tuple[Run, Path], tmp_path: Path
) -> None:
    cli, top = project
    pdf = tmp_path / "report.pdf"
    record = _check(cli, top, "mitigated.yaml", "--report", pdf, "--no-sign")
    artifacts = record["artifacts"]
    assert isinstance(artifacts, dict)
    assert artifacts["model"]["path"] == MITIGATED
    assert artifacts["data"]["path"] == "samples/adult-income/data/adult-test.csv.gz"
    assert record["manifest"]["path"] == "samples/adult-income/mitigated.yaml"  # type: ignore[index]
    policy_path = "samples/adult-income/lineage/policy.yaml"
    assert [p["path"] for p in record["policies"]] == [policy_path]  # type: ignore[attr-defined]
    with AuditStore.open(sqlite_url_for(tmp_path / "audit.db"), create=False) as store:
        stored = json.dumps(
            [e.payload_json for e in store.entries() if e.kind in ("evaluation", EVENT_KIND)]
        )
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    attestation = json.dumps(
        [record_subjects(record, b"{}"), build_predicate(record, None)], ensure_ascii=False
    )
    for label, evidence in [
        ("record", json.dumps(record)),
        ("store", stored),
        ("PDF", text),
        ("attestation", attestation),
    ]:
        for machine in (str(tmp_path), str(top), "alice", str(Path.cwd())):
            at = evidence.find(machine)
            assert at < 0, f"{machine} in the {label}: {evidence[max(0, at - 300) : at + 100]}"
    assert MITIGATED in text


def test_the_trained_model_reaches_its_own_evaluations_only(project: tuple[Run, Path]) -> None:
    cli, top = project
    mitigated = _check(cli, top, "mitigated.yaml")
    baseline = _check(cli, top, "baseline.yaml")

    result = cli("lineage", "evaluations", f"dataset:file:{MITIGATED}", "--format", "json")
    assert result.exit_code == 0, result.stderr
    found = [run["run_id"] for run in json.loads(result.stdout)["evaluations"]]
    assert found == [mitigated["evaluation_id"]]

    digest = mitigated["artifacts"]["model"]["digest"]  # type: ignore[index]
    by_digest = cli("lineage", "evaluations", digest, "--format", "json")
    assert [r["run_id"] for r in json.loads(by_digest.stdout)["evaluations"]] == found

    other = cli("lineage", "evaluations", f"dataset:file:{BASELINE}", "--format", "json")
    assert [r["run_id"] for r in json.loads(other.stdout)["evaluations"]] == [
        baseline["evaluation_id"]
    ]

    downstream = cli("lineage", "downstream", f"dataset:file:{MITIGATED}", "--format", "json")
    assert downstream.exit_code == 0, downstream.stderr
    assert f"evaluations/{mitigated['evaluation_id']}" in downstream.stdout


def test_a_job_is_not_a_file(project: tuple[Run, Path]) -> None:
    cli, _ = project
    result = cli("lineage", "evaluations", "job:adult-income-sample:adult-income.train")
    assert result.exit_code == 2
    assert "is not a file" in result.stderr


def test_names_outside_the_project(tmp_path: Path) -> None:
    top = tmp_path / "checkout"
    (top / ".git").mkdir(parents=True)
    (top / "a" / "b").mkdir(parents=True)
    assert project_root(top / "a" / "b") == top.resolve()
    assert portable_name(top / "a" / "m.skops", top) == "a/m.skops"
    assert portable_name(tmp_path / "shared" / "d.csv", top) == "../shared/d.csv"
    assert portable_name(Path("/d.csv"), top, "sha256:ab") == "d.csv@sha256:ab"
    assert shown_name("/home/alice/work/m.skops") == "m.skops"
    assert shown_name("C:\\Users\\alice\\m.skops") == "m.skops"
    assert shown_name("samples/m.skops") == "samples/m.skops"


def test_a_model_without_recorded_training_is_looked_up_by_its_portable_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from governance.lineage.snapshot import _find_by_artifact

    class NothingRecorded:
        def datasets_with_version(self, version: str) -> list[Any]:
            return []

        def find_datasets(self, keys: Any) -> list[Any]:
            return []

    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    model = project / "models" / "m.skops"
    monkeypatch.chdir(tmp_path)
    lookup, run, _, _ = _find_by_artifact(NothingRecorded(), model, "sha256:" + "0" * 64)
    assert run is None
    assert "file:models/m.skops" in lookup
    assert str(tmp_path) not in lookup
