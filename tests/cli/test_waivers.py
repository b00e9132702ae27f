"""governance check with --waivers and --strict: waived, expired, unmatched, skipped, end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Run
from tests.cli.test_check import store_entries

Write = Callable[[str, str], Path]

POLICY = """
apiVersion: governance/v1
kind: Policy
metadata: {name: strict-policy, version: 1.2.0}
rules:
  - id: parity
    title: Very strict parity
    severity: high
    check: fairness.demographic_parity_ratio
    params: {sensitive_features: [sex]}
    threshold: {min: 0.99}
  - id: accuracy-advisory
    title: Very high accuracy, advisory
    severity: medium
    check: performance.metric
    params: {metric: accuracy}
    threshold: {min: 0.99}
  - id: only-for-limited
    title: Only for limited-risk models
    severity: high
    check: performance.metric
    params: {metric: accuracy}
    threshold: {min: 0.5}
    when: model.risk_tier == "limited"
"""

WAIVER = """
  - rule_id: {rule}
    subject: {{model: synthetic{version}}}
    justification: Disparity explained by the eligibility rule; see the validation report.
    approved_by: risk-officer@example.org
    ticket: GOV-{ticket}
    expires: {expires}
"""


def waivers_file(write: Write, *entries: dict[str, str], name: str = "waivers.yaml") -> Path:
    body = "".join(
        WAIVER.format(
            rule=entry.get("rule", "parity"),
            version=f", version: {entry['version']}" if "version" in entry else "",
            ticket=entry.get("ticket", "1"),
            expires=entry.get("expires", "2099-12-31"),
        )
        for entry in entries
    )
    return write(name, "apiVersion: governance/v1\nkind: Waivers\nwaivers:" + body)


@pytest.fixture
def check(run: Run, manifest_path: Path, write: Write, tmp_path: Path) -> Callable[..., Any]:
    policy = write("strict.yaml", POLICY)
    store = f"sqlite:///{tmp_path / 'audit.db'}"

    def _check(*args: str | Path, fmt: str = "json") -> tuple[int, Any, str]:
        result = run("check", manifest_path, "-p", policy, "--store", store, "--format", fmt, *args)
        payload = json.loads(result.stdout) if fmt == "json" and result.stdout else result.stdout
        return result.exit_code, payload, result.stderr

    return _check


def test_without_waivers_the_high_rule_blocks(check: Callable[..., Any]) -> None:
    code, record, _ = check()
    assert code == 1
    parity = record["findings"][0]
    assert (parity["outcome"], parity["blocking"], parity["waiver"]) == ("fail", True, None)
    assert record["waivers"] == [] and record["waiver_files"] == []


def test_a_current_waiver_waives_the_failure_and_keeps_its_measured_value(
    check: Callable[..., Any], write: Write
) -> None:
    code, record, _ = check("--waivers", waivers_file(write, {"version": "0.1.0"}))
    assert code == 0 and record["verdict"] == "passed"
    parity = record["findings"][0]
    assert parity["outcome"] == "waived" and parity["blocking"] is False
    assert isinstance(parity["measured"], float) and parity["measured"] < 0.99
    assert parity["waiver"]["ticket"] == "GOV-1"
    assert parity["waiver"]["waived_outcome"] == "fail"
    assert parity["waiver"]["subject"] == {"model": "synthetic", "version": "0.1.0"}
    assert record["summary"]["waived"] == 1
    assert [(w["rule_id"], w["status"]) for w in record["waivers"]] == [("parity", "applied")]
    assert record["waiver_files"][0]["digest"].startswith("sha256:")


def test_the_text_output_shows_the_waived_finding(check: Callable[..., Any], write: Write) -> None:
    code, text, _ = check("--waivers", waivers_file(write, {}), fmt="text")
    assert code == 0
    assert "WAIVED" in text
    assert "waived until 2099-12-31 (GOV-1, approved by risk-officer@example.org)" in text


def test_an_expired_waiver_blocks_even_a_medium_rule(
    check: Callable[..., Any], write: Write
) -> None:
    waivers = waivers_file(
        write, {"rule": "accuracy-advisory", "expires": "2020-01-31", "ticket": "7"}
    )
    code, record, _ = check("--waivers", waivers)
    advisory = record["findings"][1]
    assert code == 1
    assert (advisory["outcome"], advisory["blocking"]) == ("fail", True)
    assert "its waiver expired on 2020-01-31 (GOV-7" in advisory["message"]
    assert advisory["waiver"]["status"] == "expired"
    assert record["waivers"][0]["status"] == "expired"
    code, text, _ = check("--waivers", waivers, fmt="text")
    assert "its waiver expired on 2020-01-31" in text


def test_a_waiver_that_matches_nothing_is_reported(check: Callable[..., Any], write: Write) -> None:
    waivers = waivers_file(
        write,
        {"rule": "no-such-rule"},
        {"version": "9.9.9", "ticket": "2"},
    )
    code, record, _ = check("--waivers", waivers)
    assert code == 1  # parity still blocks: its waiver is for another version
    reasons = [(w["status"], w["reason"]) for w in record["waivers"]]
    assert reasons == [
        ("unmatched", "no rule 'no-such-rule' in the policies loaded"),
        ("unmatched", "the waiver is for synthetic 9.9.9; this is synthetic 0.1.0"),
    ]
    code, text, _ = check("--waivers", waivers, fmt="text")
    assert "no-such-rule" in text


def test_a_false_when_is_skipped_with_its_reason(check: Callable[..., Any]) -> None:
    _, record, _ = check()
    skipped = record["findings"][2]
    assert (skipped["outcome"], skipped["blocking"]) == ("skipped", False)
    assert skipped["skip_reason"] == 'when is false: model.risk_tier == "limited"'
    assert skipped["measured"] is None
    assert record["summary"]["skipped"] == 1


def test_strict_blocks_on_warnings_too(check: Callable[..., Any], write: Write) -> None:
    waivers = waivers_file(write, {})
    code, record, _ = check("--waivers", waivers)
    assert code == 0  # the medium failure only warns
    code, record, _ = check("--waivers", waivers, "--strict")
    assert code == 1 and record["strict"] is True
    assert [f["rule_id"] for f in record["findings"] if f["blocking"]] == ["accuracy-advisory"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "apiVersion: governance/v1\nkind: Waivers\nwaivers:\n  - rule_id: '*'\n",
            "waivers.yaml:4:14: waivers[0].rule_id: '*' is a wildcard",
        ),
        (
            "apiVersion: governance/v1\nkind: Waivers\nwaivers:\n  - {rule_id: ''}\n",
            "waivers.yaml:4:15: waivers[0].rule_id: is empty",
        ),
    ],
)
def test_a_catch_all_waiver_is_refused_before_anything_is_written(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path, text: str, expected: str
) -> None:
    db = tmp_path / "audit.db"
    policy = write("strict.yaml", POLICY)
    waivers = write("waivers.yaml", text)
    result = run(
        "check", manifest_path, "-p", policy, "--store", f"sqlite:///{db}", "--waivers", waivers
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {tmp_path}/{expected}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert store_entries(db) == 0


def test_the_sample_waivers_waive_and_then_block_the_mitigated_model(
    run: Run, tmp_path: Path
) -> None:
    """What `make demo` shows: a waived finding, and the same waiver expired blocking."""
    from tests.conftest import BASELINE_POLICY, SAMPLE

    store = f"sqlite:///{tmp_path / 'audit.db'}"
    outcomes = {}
    for name in ("waivers.yaml", "waivers-expired.yaml"):
        result = run(
            "check",
            SAMPLE / "mitigated.yaml",
            "-p",
            BASELINE_POLICY,
            "--store",
            store,
            "--waivers",
            SAMPLE / name,
            "--format",
            "json",
        )
        record = json.loads(result.stdout)
        finding = next(f for f in record["findings"] if f["rule_id"] == "equalized-odds-difference")
        outcomes[name] = (result.exit_code, finding["outcome"], finding["blocking"])
    assert outcomes == {
        "waivers.yaml": (0, "waived", False),
        "waivers-expired.yaml": (1, "fail", True),
    }


def test_a_waivers_file_in_the_policy_folder_is_applied_and_recorded(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path
) -> None:
    """`--policy DIR` applies the kind: Waivers files kept with the policies (docs/ci.md)."""
    write("policies/strict.yaml", POLICY)
    kept = waivers_file(write, {}, name="policies/waivers.yaml")
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    result = run(
        "check", manifest_path, "-p", tmp_path / "policies", "--store", store, "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert [p["name"] for p in record["policies"]] == ["strict-policy"]
    assert record["findings"][0]["outcome"] == "waived"
    named = kept.resolve().relative_to(manifest_path.parent.resolve()).as_posix()
    assert [f["path"] for f in record["waiver_files"]] == [named]  # from the manifest
    assert record["waiver_files"][0]["digest"].startswith("sha256:")
    # the same file also given with --waivers is applied once, not refused as a second waiver
    again = run(
        "check",
        manifest_path,
        "-p",
        tmp_path / "policies",
        "--store",
        store,
        "--waivers",
        kept,
        "--format",
        "json",
    )
    assert again.exit_code == 0, again.stderr
    assert [w["status"] for w in json.loads(again.stdout)["waivers"]] == ["applied"]


def test_a_bad_waivers_file_in_the_policy_folder_names_itself(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path
) -> None:
    write("policies/strict.yaml", POLICY)
    write(
        "policies/waivers.yaml",
        "apiVersion: governance/v1\nkind: Waivers\nwaivers:\n  - rule_id: '*'\n",
    )
    db = tmp_path / "audit.db"
    result = run("check", manifest_path, "-p", tmp_path / "policies", "--store", f"sqlite:///{db}")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"Error: {tmp_path}/policies/waivers.yaml:4:14: waivers[0].rule_id: '*' is a wildcard"
    )
    assert len(result.stderr.splitlines()) == 1
    assert not db.exists() or store_entries(db) == 0
