"""`governance check` end to end: verdicts, outputs, and bad input that writes nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.cli.conftest import Run
from tests.conftest import BASELINE_POLICY, MANIFEST, SAMPLE

Write = Callable[[str, str], Path]


def store_entries(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        if "audit_log" not in tables:
            return 0
        count: int = conn.execute("select count(*) from audit_log").fetchone()[0]
        return count


def test_passing_model_exits_0_with_a_table_and_summary(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "audit.db"
    result = run("check", manifest_path, "--policy", policy_path, "--store", f"sqlite:///{db}")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2].split() == ["RULE", "SEVERITY", "OUTCOME", "MEASURED", "THRESHOLD"]
    assert lines[3].split()[:3] == ["dp-ratio", "high", "PASS"]
    assert "2 rules: 2 passed, 0 failed, 0 insufficient, 0 errors" in lines
    assert lines[-2].startswith("Verdict: PASSED")
    assert store_entries(db) == 3  # START event, evaluation, COMPLETE event


def test_json_output_has_the_contract_fields(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    result = run("check", manifest_path, "-p", policy_path, "--store", store, "--format", "json")
    record = json.loads(result.stdout)  # machine formats go to stdout alone
    assert record["verdict"] == "passed" and record["exit_code"] == 0
    finding = record["findings"][0]
    assert {"rule_id", "outcome", "severity", "measured", "threshold", "message"} <= set(finding)
    assert record["manifest"]["digest"].startswith("sha256:")
    assert record["artifacts"]["data"]["digest"].startswith("sha256:")
    assert record["artifacts"]["model"] is None  # predictions column, no model
    assert record["policies"][0]["digest"].startswith("sha256:")
    assert len(record["evaluation_id"]) == 36


def test_output_file_gets_the_format_and_stdout_stays_empty(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "result.json"
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    result = run(
        "check",
        manifest_path,
        "-p",
        policy_path,
        "--store",
        store,
        "--format",
        "json",
        "--output",
        out,
    )
    assert result.stdout == ""
    assert json.loads(out.read_text())["verdict"] == "passed"


def test_a_failing_high_rule_blocks_with_exit_1_and_a_medium_one_only_warns(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path
) -> None:
    policy = write(
        "strict.yaml",
        """
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: strict, version: 2.0.0}
        rules:
          - id: dp-high
            title: Very strict parity
            severity: high
            check: fairness.demographic_parity_ratio
            params: {sensitive_features: [sex]}
            threshold: {min: 0.99}
          - id: dp-medium
            title: Very strict parity, advisory
            severity: medium
            check: fairness.demographic_parity_difference
            params: {sensitive_features: [sex]}
            threshold: {max: 0.001}
        """,
    )
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    result = run("check", manifest_path, "-p", policy, "--store", store, "--format", "json")
    record = json.loads(result.stdout)
    assert result.exit_code == 1
    outcomes = {f["rule_id"]: (f["outcome"], f["blocking"]) for f in record["findings"]}
    assert outcomes == {"dp-high": ("fail", True), "dp-medium": ("fail", False)}
    relaxed = run("check", manifest_path, "-p", policy, "--store", store, "--fail-on", "critical")
    assert relaxed.exit_code == 0


def test_a_small_group_is_insufficient_and_blocks(run: Run, tmp_path: Path, write: Write) -> None:
    frame = pd.DataFrame(
        {
            "sex": ["f"] * 10 + ["m"] * 200,
            "group": ["a", "b"] * 105,
            "label": ["yes", "no"] * 105,
            "prediction": ["yes", "no"] * 105,
            "score": np.linspace(0, 1, 210),
        }
    )
    frame.to_csv(tmp_path / "data.csv", index=False)
    manifest = write("manifest.yaml", MANIFEST)
    policy = write(
        "p.yaml",
        """
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: p, version: 1.0.0}
        rules:
          - id: dp
            title: parity
            severity: high
            check: fairness.demographic_parity_ratio
            params: {sensitive_features: [sex], min_group_size: 30}
            threshold: {min: 0.8}
        """,
    )
    result = run("check", manifest, "-p", policy, "--store", f"sqlite:///{tmp_path / 'a.db'}")
    assert result.exit_code == 1
    assert (
        "dp: insufficient evidence: sex: nothing compared, 1 of 2 groups reach min_group_size 30;"
        " group f has 10 rows; below min_group_size 30" in result.stdout
    )
    assert "1 rule: 0 passed, 0 failed, 1 insufficient, 0 errors" in result.stdout


def _bad_manifest_cases(tmp_path: Path, frame: pd.DataFrame, write: Write) -> dict[str, Path]:
    """One manifest per kind of bad input, with the data it points at."""
    cases: dict[str, Path] = {}

    def case(name: str, data: pd.DataFrame | None, manifest: str = MANIFEST) -> None:
        folder = tmp_path / name
        folder.mkdir()
        if data is not None:
            data.to_csv(folder / "data.csv", index=False)
        cases[name] = write(f"{name}/manifest.yaml", manifest)

    case("missing-column", frame.drop(columns=["group"]))
    three = frame.copy()
    three.loc[0, "label"] = "maybe"
    case("three-labels", three)
    nan_pred = frame.copy()
    nan_pred.loc[3, "prediction"] = np.nan
    case("nan-predictions", nan_pred)
    missing_group = frame.copy()
    missing_group.loc[5, "sex"] = np.nan
    case("empty-group", missing_group)
    case("missing-data", None)
    case(
        "bad-model",
        frame,
        MANIFEST.replace("  prediction: prediction\n", "").replace(
            "\ndata:\n", "\nmodel:\n  path: model.skops\ndata:\n"
        ),
    )
    (tmp_path / "bad-model" / "model.skops").write_bytes(b"not a zip file")
    case(
        "pickle-model",
        frame,
        MANIFEST.replace("  prediction: prediction\n", "").replace(
            "\ndata:\n", "\nmodel:\n  path: model.pkl\n  format: pickle\ndata:\n"
        ),
    )
    (tmp_path / "pickle-model" / "model.pkl").write_bytes(b"\x80\x04K\x01.")
    return cases


EXPECTED_ERRORS = {
    "missing-column": "manifest.yaml:15:29: data.sensitive_features[1]: sensitive feature "
    "'group' is not a column of data.csv",
    "three-labels": (
        "data.csv: label: target column 'label' has 3 labels; a binary task needs two "
        "(set data.task: multiclass for more)"
    ),
    "nan-predictions": "data.csv: prediction has 1 missing (NaN) values",
    "empty-group": "data.csv: sex: sensitive feature 'sex' has 1 missing values; fill them "
    "with an explicit group (e.g. 'unknown') so no row drops out",
    "missing-data": "manifest.yaml:10:9: data.path: evaluation data not found",
    "bad-model": "model.skops: not a readable skops file",
    "pickle-model": "model.pkl: refusing to load a pickle model: unpickling runs arbitrary "
    "code (set model.trusted: true in the manifest or pass --trust-model if you trust its "
    "origin)",
}


def test_bad_input_is_one_line_exit_2_and_nothing_written(
    run: Run, tmp_path: Path, frame: pd.DataFrame, write: Write, policy_path: Path
) -> None:
    cases = _bad_manifest_cases(tmp_path, frame, write)
    for name, manifest in cases.items():
        db = tmp_path / f"{name}.db"
        result = run("check", manifest, "-p", policy_path, "--store", f"sqlite:///{db}")
        assert result.exit_code == 2, (name, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (name, result.stderr)
        assert lines[0].startswith("Error: "), lines[0]
        assert EXPECTED_ERRORS[name] in lines[0], (name, lines[0])
        assert store_entries(db) == 0, name


def test_policy_naming_a_missing_column_points_at_the_rule(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path
) -> None:
    policy = write(
        "p.yaml",
        """
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: p, version: 1.0.0}
        rules:
          - id: dp
            title: parity
            severity: high
            check: fairness.demographic_parity_ratio
            params: {sensitive_features: [ethnicity]}
            threshold: {min: 0.8}
        """,
    )
    result = run("check", manifest_path, "-p", policy, "--store", f"sqlite:///{tmp_path}/a.db")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {policy}:5:5: params.sensitive_features: rule dp: sensitive feature "
        "'ethnicity' is not a column of the evaluation data\n"
    )


def test_unknown_option_is_a_usage_error(run: Run) -> None:
    result = run("check", "--frobnicate")
    assert result.exit_code == 2
    assert "No such option '--frobnicate'" in result.stderr


def test_report_without_a_signing_key_is_refused_before_anything_is_written(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "audit.db"
    report = tmp_path / "report.pdf"
    result = run(
        "check", manifest_path, "-p", policy_path, "--store", f"sqlite:///{db}", "--report", report
    )
    assert result.exit_code == 2
    assert "no signing key configured for the report" in result.stderr
    assert store_entries(db) == 0 and not report.exists()


@pytest.mark.slow
def test_sample_baseline_is_blocked_and_mitigated_passes(run: Run, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    codes = {}
    for version in ("baseline", "mitigated"):
        result = run(
            "check",
            SAMPLE / f"{version}.yaml",
            "-p",
            BASELINE_POLICY,
            "--store",
            store,
            "--format",
            "json",
        )
        record = json.loads(result.stdout)
        codes[version] = result.exit_code
        four_fifths = next(f for f in record["findings"] if f["rule_id"] == "four-fifths-rule")
        if version == "baseline":
            assert four_fifths["outcome"] == "fail" and four_fifths["measured"] < 0.5
        else:
            assert four_fifths["outcome"] == "pass" and four_fifths["measured"] >= 0.8
    assert codes == {"baseline": 1, "mitigated": 0}


def test_events_of_a_real_check_are_spec_valid_and_describe_it(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    from tests.lineage.spec import validate_event

    store = f"sqlite:///{tmp_path / 'audit.db'}"
    assert run("check", manifest_path, "-p", policy_path, "--store", store).exit_code == 0
    entries = json.loads(run("audit", "log", "--store", store, "--format", "json").stdout)
    events = [e["payload"] for e in entries if e["kind"] == "openlineage.event"]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in events:
        validate_event(event)
    complete = events[1]
    assert complete["job"] == {**complete["job"], "name": "synthetic.governance_check"}
    evaluation = next(e["payload"] for e in entries if e["kind"] == "evaluation")
    assert complete["run"]["runId"] == evaluation["evaluation_id"]
    tests = complete["run"]["facets"]["test"]["tests"]
    assert [t["name"] for t in tests] == ["dp-ratio", "accuracy"]
    assert complete["run"]["facets"]["governance_verdict"]["verdict"] == "passed"


def _unwritable_targets(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """Output arguments no file can be written to, and the error each must give."""
    (tmp_path / "dir.pdf").mkdir()
    (tmp_path / "notpdf.pdf").write_text("a file, not a folder")
    missing = tmp_path / "missing"
    cases = {
        "report is a directory": (
            ["--report", f"{tmp_path / 'dir.pdf'}", "--no-sign"],
            f"Error: {tmp_path / 'dir.pdf'}: is a directory, not a file",
        ),
        "report under a file": (
            ["--report", f"{tmp_path / 'notpdf.pdf' / 'x.pdf'}", "--no-sign"],
            f"Error: {tmp_path / 'notpdf.pdf'}: the output folder is a file, not a folder",
        ),
        "report in a missing folder": (
            ["--report", f"{missing / 'r.pdf'}", "--no-sign"],
            f"Error: {missing}: the output folder does not exist",
        ),
        "format in a missing folder": (
            ["--format", f"json={missing / 'x.json'}"],
            f"Error: {missing}: the output folder does not exist",
        ),
        "output in a missing folder": (
            ["--format", "json", "--output", f"{missing / 'x.json'}"],
            f"Error: {missing}: the output folder does not exist",
        ),
    }
    if Path("/proc/self").is_dir():  # Linux: looks writable to root, takes no files
        cases["report in /proc"] = (
            ["--report", "/proc/r.pdf", "--no-sign"],
            "Error: /proc: cannot create a file in the output folder",
        )
        cases["format in /proc"] = (
            ["--format", "json=/proc/x.json"],
            "Error: /proc: cannot create a file in the output folder",
        )
    return cases


def test_an_unwritable_output_stops_before_anything_is_evaluated_or_recorded(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    for name, (args, error) in _unwritable_targets(tmp_path).items():
        db = tmp_path / f"{name.replace(' ', '-')}.db"
        result = run("check", manifest_path, "-p", policy_path, "--store", f"sqlite:///{db}", *args)
        assert result.exit_code == 2, (name, result.stderr)
        assert result.stdout == "", name
        assert result.stderr.count("\n") == 1 and result.stderr.startswith(error), (name, error)
        assert store_entries(db) == 0, name
    assert not (tmp_path / "missing").exists()  # refused, never created


def test_a_signed_report_whose_attestation_path_is_a_directory_is_refused_first(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    assert run("keys", "init", "--dir", keys).exit_code == 0
    (tmp_path / "r.intoto.json").mkdir()
    db = tmp_path / "audit.db"
    result = run(
        "check", manifest_path, "-p", policy_path, "--store", f"sqlite:///{db}",
        "--report", tmp_path / "r.pdf",
        "--signing-key", keys / "governance-dev-key.pem",
        "--signing-cert", keys / "governance-dev-cert.pem",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {tmp_path / 'r.intoto.json'}: is a directory")
    assert store_entries(db) == 0 and not (tmp_path / "r.pdf").exists()


def test_a_signing_key_without_its_certificate_says_so(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    assert run("keys", "init", "--dir", keys).exit_code == 0
    db = tmp_path / "audit.db"
    key = keys / "governance-dev-key.pem"
    result = run(
        "check", manifest_path, "-p", policy_path, "--store", f"sqlite:///{db}",
        "--report", tmp_path / "r.pdf", "--signing-key", key,
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {key}: a signing key is configured but not its certificate "
        "(pass --signing-cert FILE or set GOVERNANCE_SIGNING_CERT)\n"
    )
    assert store_entries(db) == 0
