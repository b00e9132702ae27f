"""``governance monitor --log-table``: a production log held in a Spark table."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.monitor.conftest import Deployed, deployed, entries, production_log  # noqa: F401
from tests.monitor.test_engine_log import findings


@pytest.mark.slow
def test_a_spark_table_gives_the_file_paths_windows_and_a_missing_one_is_exit_2(
    run_cli: CliRun,
    deployed: Deployed,  # noqa: F811 - the monitor's fixture, imported
    spark_settings: Any,
) -> None:
    from governance.data.engines.spark import session

    log = deployed.folder / "log.parquet"
    production_log(unfair_days=(5,)).to_parquet(log, index=False)
    session(spark_settings).read.parquet(str(log)).createOrReplaceTempView("decisions")
    arrow_db = deployed.folder / "arrow.db"
    arrow_db.write_bytes(deployed.db.read_bytes())
    arrow = run_cli(
        "monitor", deployed.manifest, "-p", deployed.policy, "--log", log,
        "--store", f"sqlite:///{arrow_db}", "--format", "json",
    )  # fmt: skip
    table = run_cli(
        "monitor", deployed.manifest, "-p", deployed.policy, "--log-table", "decisions",
        "--store", deployed.store, "--format", "json",
    )  # fmt: skip
    assert table.exit_code == arrow.exit_code == 1, table.stdout + table.stderr
    shown = ("window_start", "rows", "rows_with_outcome", "verdict", "failing")
    windows = json.loads(table.stdout)["windows"]
    assert len(windows) == 14
    assert [{k: w[k] for k in shown} for w in windows] == [
        {k: w[k] for k in shown} for w in json.loads(arrow.stdout)["windows"]
    ]
    assert len(findings(deployed.db)) == 14 and findings(deployed.db) == findings(arrow_db)
    with sqlite3.connect(deployed.db) as conn:
        payloads = conn.execute("select payload from audit_log where kind = 'evaluation'")
        records = [json.loads(row[0]) for row in payloads]
    named = {(r["monitoring"]["log"], r["artifacts"]["data"]["format"]) for r in records[1:]}
    assert named == {("table:decisions", "table")}
    before = entries(deployed.db)
    missing = run_cli(
        "monitor", deployed.manifest, "-p", deployed.policy, "--log-table", "no_such_table",
        "--store", deployed.store,
    )  # fmt: skip
    assert missing.exit_code == 2
    lines = missing.stderr.strip().splitlines()
    assert len(lines) == 1 and "spark: table no_such_table: [TABLE_OR_VIEW_NOT_FOUND]" in lines[0]
    assert entries(deployed.db) == before
