"""The log read through an engine: DuckDB over the log's files, or a Spark table."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import CliRun
from tests.monitor.conftest import Deployed, entries, production_log


def findings(db: Path) -> dict[str, list[str]]:
    """Each recorded window's findings, whole, by window start."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select payload from audit_log where kind = 'evaluation'").fetchall()
    found = {}
    for (payload,) in rows:
        record = json.loads(payload)
        part = record.get("monitoring")
        if part is None:
            continue
        found[part["window_start"]] = sorted(
            json.dumps(finding, sort_keys=True) for finding in record["findings"]
        )
    return found


def _copy_store(deployed: Deployed, name: str) -> Path:
    target = deployed.folder / name
    target.write_bytes(deployed.db.read_bytes())
    return target


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_duckdb_gives_the_windows_and_findings_of_the_file_path(
    run_cli: CliRun, deployed: Deployed, suffix: str
) -> None:
    frame = production_log(unfair_days=(5,))
    log = deployed.folder / f"log.{suffix}"
    if suffix == "csv":
        frame.to_csv(log, index=False)
    else:
        frame.to_parquet(log, index=False)
    arrow_db = _copy_store(deployed, "arrow.db")
    duck_db = _copy_store(deployed, "duck.db")
    runs = {}
    for db, extra in ((arrow_db, ()), (duck_db, ("--log-engine", "duckdb"))):
        result = run_cli(
            "monitor", deployed.manifest, "-p", deployed.policy, "--log", log,
            "--store", f"sqlite:///{db}", "--format", "json", *extra,
        )  # fmt: skip
        assert result.exit_code == 1, result.stdout + result.stderr
        runs[db] = json.loads(result.stdout)["windows"]
    assert len(runs[duck_db]) == 14
    shown = ("window_start", "rows", "rows_with_outcome", "verdict", "failing")
    assert [{k: w[k] for k in shown} for w in runs[duck_db]] == [
        {k: w[k] for k in shown} for w in runs[arrow_db]
    ]
    assert [w["window_start"][:10] for w in runs[duck_db] if w["verdict"] == "failed"] == [
        "2026-03-07"
    ]
    assert len(findings(duck_db)) == 14 and findings(duck_db) == findings(arrow_db)


def test_since_and_until_leave_out_the_same_rows_as_the_file_path(
    run_cli: CliRun, deployed: Deployed
) -> None:
    log = deployed.folder / "log.parquet"
    production_log().to_parquet(log, index=False)
    bounds = ("--since", "2026-03-03T12:00:00Z", "--until", "2026-03-06T00:00:00Z")
    runs = []
    for name, extra in (("arrow.db", ()), ("duck.db", ("--log-engine", "duckdb"))):
        result = run_cli(
            "monitor", deployed.manifest, "-p", deployed.policy, "--log", log,
            "--store", f"sqlite:///{_copy_store(deployed, name)}", "--format", "json",
            *bounds, *extra,
        )  # fmt: skip
        assert result.exit_code in (0, 1), result.stdout + result.stderr
        windows = json.loads(result.stdout)["windows"]
        runs.append([(w["window_start"], w["rows"], w["verdict"]) for w in windows])
    assert runs[0] == runs[1] and len(runs[0]) == 3
    assert 0 < runs[1][-1][1] < 200  # the last window stops at --until


def test_duckdb_selects_by_time_so_row_order_does_not_matter(
    run_cli: CliRun, deployed: Deployed
) -> None:
    frame = production_log()
    shuffled = frame.sample(frac=1.0, random_state=5)
    log = deployed.folder / "shuffled.parquet"
    shuffled.to_parquet(log, index=False)
    ordered = deployed.folder / "ordered.parquet"
    frame.to_parquet(ordered, index=False)
    other = _copy_store(deployed, "other.db")
    results = []
    for path, db in ((log, deployed.db), (ordered, other)):
        result = run_cli(
            "monitor", deployed.manifest, "-p", deployed.policy, "--log", path,
            "--store", f"sqlite:///{db}", "--format", "json", "--log-engine", "duckdb",
        )  # fmt: skip
        assert result.exit_code == 0, result.stdout + result.stderr
        windows = json.loads(result.stdout)["windows"]
        results.append([(w["window_start"], w["rows"], w["verdict"]) for w in windows])
    assert results[0] == results[1] and len(results[0]) == 14


BAD = {
    "no time column": (
        lambda f: f.rename(columns={"ts": "when"}),
        (),
        "the log has no time column 'ts'",
    ),
    "a time that is not a time": (
        lambda f: f.assign(ts=f["ts"].where(f.index != 7, "yesterday")),
        (),
        "the log: ts is not a time (Conversion Error",
    ),
    "an empty time": (
        lambda f: f.assign(ts=f["ts"].where(f.index != 7, None)),
        (),
        "the log: 1 rows have an empty ts",
    ),
    "a table and files": (lambda f: f, ("--log-table", "decisions"), "not both"),
    "files read by spark": (
        lambda f: f,
        ("--log-engine", "spark"),
        "--log-engine spark reads a table: give --log-table NAME instead of --log",
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_engine_input_is_one_line_exit_2_and_nothing_recorded(
    run_cli: CliRun, deployed: Deployed, case: str
) -> None:
    change, flags, expected = BAD[case]
    log = deployed.folder / "log.parquet"
    change(production_log()).to_parquet(log, index=False)
    before = entries(deployed.db)
    result = run_cli(
        "monitor", deployed.manifest, "-p", deployed.policy, "--log", log,
        "--store", deployed.store, "--log-engine", "duckdb", *flags,
    )  # fmt: skip
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert expected in lines[0], lines[0]
    assert str(deployed.folder) not in lines[0]
    assert entries(deployed.db) == before


def test_a_table_needs_the_spark_engine(run_cli: CliRun, deployed: Deployed) -> None:
    result = run_cli(
        "monitor", deployed.manifest, "-p", deployed.policy, "--log-table", "decisions",
        "--log-engine", "duckdb", "--store", deployed.store,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--log-table reads a table with the spark engine, not duckdb" in result.stderr


def test_a_baseline_read_with_duckdb_is_monitored_as_one_read_from_a_file(
    run_cli: CliRun, deployed: Deployed
) -> None:
    arrow_db = _copy_store(deployed, "arrow.db")
    deployed.write_log(production_log(unfair_days=(5,)))
    arrow = run_cli(
        "monitor", deployed.manifest, "-p", deployed.policy, "--log", deployed.log,
        "--store", f"sqlite:///{arrow_db}",
    )  # fmt: skip
    text = deployed.manifest.read_text(encoding="utf-8")
    duck = deployed.folder / "duck"
    duck.mkdir()
    pd.read_csv(deployed.folder / "data.csv").to_parquet(duck / "data.parquet", index=False)
    text = text.replace("path: data.csv", "path: data.parquet")
    (duck / "manifest.yaml").write_text(
        text.replace("\ndata:\n", "\ndata:\n  engine: duckdb\n", 1), encoding="utf-8"
    )
    gate_policy = deployed.folder / "gate.yaml"
    store = f"sqlite:///{duck / 'audit.db'}"
    gate = run_cli("check", duck / "manifest.yaml", "-p", gate_policy, "--store", store)
    assert gate.exit_code == 0, gate.stdout + gate.stderr
    result = run_cli(
        "monitor", duck / "manifest.yaml", "-p", deployed.policy, "--log", deployed.log,
        "--store", store,
    )  # fmt: skip
    assert result.exit_code == arrow.exit_code == 1, result.stdout + result.stderr
    assert len(findings(duck / "audit.db")) == 14
    assert findings(duck / "audit.db") == findings(arrow_db)
    pd.read_csv(deployed.folder / "data.csv").head(500).to_parquet(duck / "data.parquet")
    changed = run_cli(
        "monitor", duck / "manifest.yaml", "-p", deployed.policy, "--log", deployed.log,
        "--store", store,
    )  # fmt: skip
    assert changed.exit_code == 2 and "is not the data baseline" in changed.stderr
