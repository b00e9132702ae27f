"""`governance monitor` on a synthetic deployment: windows recorded once, late outcomes
re-evaluated, outcome rules over arrived outcomes only, an interrupted run resumed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.gate import CheckOptions
from governance.monitor import MonitorOptions, run_monitor
from tests.conftest import CliRun
from tests.monitor.conftest import DAYS, Deployed, entries, production_log


def _json(run_cli: CliRun, deployed: Deployed, *extra: object) -> tuple[int, dict]:
    result = run_cli(*deployed.args("--format", "json", *extra))
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def _records(db: Path) -> list[dict]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("select payload from audit_log where kind = 'evaluation'").fetchall()
    return [json.loads(row[0]) for row in rows if "monitoring" in json.loads(row[0])]


def test_each_day_is_recorded_once_linked_to_the_baseline(
    run_cli: CliRun, deployed: Deployed
) -> None:
    before = entries(deployed.db)
    code, out = _json(run_cli, deployed)
    assert code == 0
    assert [w["window_start"][:10] for w in out["windows"]] == [
        f"2026-03-{day:02d}" for day in range(2, 2 + DAYS)
    ]
    assert all(w["status"] == "recorded" for w in out["windows"])
    records = _records(deployed.db)
    assert len(records) == DAYS
    assert entries(deployed.db) == before + 3 * DAYS  # START, record, COMPLETE per window
    first = records[0]["monitoring"]
    assert first["baseline"] == out["baseline"]
    assert (first["rows"], first["window"], first["label_delay"]) == (300, "1d", "3d")
    assert records[0]["artifacts"]["data"]["rows"] == 300

    again = run_cli(*deployed.args())
    assert again.exit_code == 0
    assert entries(deployed.db) == before + 3 * DAYS  # nothing new
    assert "0 recorded by this run" in again.stdout


def test_outcome_rules_see_only_arrived_outcomes(run_cli: CliRun, deployed: Deployed) -> None:
    _json(run_cli, deployed)
    by_day = {r["monitoring"]["window_start"][:10]: r for r in _records(deployed.db)}
    early, late = by_day["2026-03-02"], by_day["2026-03-15"]
    assert early["monitoring"]["rows_with_outcome"] == 300
    assert late["monitoring"]["rows_with_outcome"] == 0
    outcomes = {f["rule_id"]: f["outcome"] for f in late["findings"]}
    assert outcomes == {"dp-ratio": "pass", "accuracy": "insufficient"}
    message = next(f["message"] for f in late["findings"] if f["rule_id"] == "accuracy")
    assert "0 of the window's 300 decisions have their outcome" in message
    assert {f["rule_id"]: f["outcome"] for f in early["findings"]}["accuracy"] == "pass"
    # the decision view's evidence carries no confusion counts (its outcome is the decision)
    dp = next(f for f in late["findings"] if f["rule_id"] == "dp-ratio")
    groups = [group for table in dp["evidence"]["tables"] for group in table["groups"]]
    assert groups and all("counts" not in group for group in groups)


def test_late_outcomes_re_evaluate_the_windows_they_touch(
    run_cli: CliRun, deployed: Deployed
) -> None:
    _, first = _json(run_cli, deployed)
    deployed.write_log(production_log(arrived_until=DAYS))  # the last 3 days' outcomes arrive
    before = entries(deployed.db)
    _, second = _json(run_cli, deployed)
    status = [w["status"] for w in second["windows"]]
    assert status == ["unchanged"] * (DAYS - 3) + ["superseded"] * 3
    assert entries(deployed.db) == before + 3 * 3
    old = {w["window_start"]: w["evaluation_id"] for w in first["windows"]}
    for window in second["windows"][-3:]:
        assert window["supersedes"] == old[window["window_start"]]
        assert window["rows_with_outcome"] == 300


def test_an_interrupted_run_resumes(deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> None:
    import governance.monitor.run as run_module

    options = MonitorOptions(
        check=CheckOptions(manifest=deployed.manifest, policies=[deployed.policy]),
        log=str(deployed.log),
        store_url=deployed.store,
    )
    real = run_module.record_window
    calls = []

    def crash_on_fifth(*args: object, **kwargs: object) -> dict:
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run_module, "record_window", crash_on_fifth)
    with pytest.raises(KeyboardInterrupt):
        run_monitor(options)
    assert len(_records(deployed.db)) == 4  # each window whole, or not at all
    monkeypatch.setattr(run_module, "record_window", real)
    result = run_monitor(options)
    assert [w.status for w in result.windows] == ["unchanged"] * 4 + ["recorded"] * (DAYS - 4)
    assert len(_records(deployed.db)) == DAYS


def test_since_until_and_window_flags(run_cli: CliRun, deployed: Deployed) -> None:
    _, out = _json(
        run_cli, deployed, "--window", "7d", "--since", "2026-03-02", "--until", "2026-03-16"
    )
    assert [(w["window_start"], w["rows"]) for w in out["windows"]] == [
        ("2026-03-02T00:00:00Z", 2100),
        ("2026-03-09T00:00:00Z", 2100),
    ]


SEQUENTIAL_POLICY = """
apiVersion: governance/v1
kind: Policy
metadata: {name: watch-sequential, version: 1.0.0}
rules:
  - id: gap
    title: Selection-rate gap, anytime-valid
    severity: high
    check: fairness.demographic_parity_difference
    params: {sensitive_features: [sex], sequential: true}
    threshold: {max: 0.1}
"""


def test_a_sequential_rule_uses_the_window_as_its_look(run_cli: CliRun, deployed: Deployed) -> None:
    policy = deployed.folder / "sequential.yaml"
    policy.write_text(SEQUENTIAL_POLICY, encoding="utf-8")
    deployed.write_log(production_log(unfair_days=(5,)))
    result = run_cli(
        "monitor", deployed.manifest, "-p", policy, "--log", deployed.log,
        "--store", deployed.store, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr
    windows = json.loads(result.stdout)["windows"]
    assert [w["index"] for w in windows if w["verdict"] == "failed"] == [5]
    record = next(r for r in _records(deployed.db) if r["monitoring"]["index"] == 5)
    finding = record["findings"][0]
    assert finding["evidence"]["sequential"]["look"] == 6
    assert "anytime-valid lower bound at look 6" in finding["message"]
    low, high = finding["evidence"]["interval"]
    assert finding["measured"] == low and 0.1 < low < finding["evidence"]["point"] < high


def test_a_tampered_window_record_stops_the_monitor(run_cli: CliRun, deployed: Deployed) -> None:
    import sqlite3

    assert run_cli(*deployed.args()).exit_code == 0
    with sqlite3.connect(deployed.db) as conn:
        conn.execute("drop trigger audit_log_no_update")
        seq, payload = conn.execute(
            "select seq, payload from audit_log where kind = 'evaluation' order by seq desc"
        ).fetchone()
        forged = payload.replace('"verdict":"passed"', '"verdict":"failed"')
        assert forged != payload
        conn.execute("update audit_log set payload = ? where seq = ?", (forged, seq))
    result = run_cli(*deployed.args())
    assert result.exit_code == 1
    assert f"audit entry {seq} in" in result.stderr and "does not match its hash" in result.stderr


GATE_RULES_POLICY = """
apiVersion: governance/v1
kind: Policy
metadata: {name: watch-gate-rules, version: 1.0.0}
rules:
  - id: explained
    title: The model can be explained
    severity: high
    check: explainability.available
    threshold: {min: 1}
  - id: no-failed-runs
    title: No run behind the model failed
    severity: low
    check: lineage.no_failed_runs
    threshold: {max: 0}
"""


def test_explainability_is_skipped_and_lineage_is_read_once(
    run_cli: CliRun, deployed: Deployed
) -> None:
    policy = deployed.folder / "gate-rules.yaml"
    policy.write_text(GATE_RULES_POLICY, encoding="utf-8")
    result = run_cli(
        "monitor", deployed.manifest, "-p", policy, "--log", deployed.log,
        "--store", deployed.store, "--until", "2026-03-03",
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout + result.stderr
    findings = {f["rule_id"]: f for f in _records(deployed.db)[0]["findings"]}
    explained = findings["explained"]
    assert (explained["outcome"], explained["blocking"]) == ("skipped", False)
    assert "the monitor judges the decisions of the log" in explained["skip_reason"]
    assert findings["no-failed-runs"]["outcome"] != "error"  # the lineage was loaded
    assert "no lineage was loaded" not in findings["no-failed-runs"]["message"]


def test_a_relative_and_an_absolute_log_path_are_one_log(
    run_cli: CliRun, deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(*deployed.args()).exit_code == 0
    before = entries(deployed.db)
    monkeypatch.chdir(deployed.folder)
    args = deployed.args()
    args[args.index("--log") + 1] = "log.csv"
    again = run_cli(*args)
    assert again.exit_code == 0 and "0 recorded by this run" in again.stdout
    assert entries(deployed.db) == before


def test_a_glob_of_files_is_one_log_in_name_order(run_cli: CliRun, deployed: Deployed) -> None:
    frame = production_log()
    half = len(frame) // 2
    frame.iloc[:half].to_csv(deployed.folder / "log-1.csv", index=False)
    frame.iloc[half:].to_parquet(deployed.folder / "log-2.parquet", index=False)
    args = deployed.args("--format", "json")
    args[args.index("--log") + 1] = str(deployed.folder / "log-*")
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    windows = json.loads(result.stdout)["windows"]
    assert [w["rows"] for w in windows] == [300] * DAYS
    # the same files named the other way round: the second file's first row goes back in time
    (deployed.folder / "log-1.csv").rename(deployed.folder / "log-3.csv")
    result = run_cli(*args)
    assert result.exit_code == 2
    assert "Error: log-3.csv: row 1: ts 2026-03-02T" in result.stderr


def test_files_whose_column_types_differ_make_one_window(
    run_cli: CliRun, deployed: Deployed
) -> None:
    frame = production_log()
    day = frame["ts"].str[:10]
    morning = (day == "2026-03-02") & (frame["ts"].str[11:13] < "12")
    first = frame[morning].copy()
    first["label"] = None  # no outcome has arrived in this file: a column of nulls
    first["age"] = first["age"].astype("int32")
    first.to_parquet(deployed.folder / "log-1.parquet", index=False)
    frame[~morning].to_csv(deployed.folder / "log-2.csv", index=False)
    args = deployed.args("--format", "json")
    args[args.index("--log") + 1] = str(deployed.folder / "log-*")
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    window = json.loads(result.stdout)["windows"][0]
    assert window["rows"] == 300
    assert window["rows_with_outcome"] == 300 - int(morning.sum())
