"""The adult-income sample: the monitor flags the women's shift injected from Monday
2026-02-16 in the first week after it, and in no week before."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd

from tests.conftest import SAMPLE, CliRun


def _make_log(out: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_production_log", SAMPLE / "make_production_log.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.write_log(module.build_log(), out)


def test_the_shift_is_flagged_from_its_first_week_and_not_before(
    run_cli: CliRun, tmp_path: Path
) -> None:
    log = tmp_path / "production-log.csv.gz"
    _make_log(log)
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    manifest = SAMPLE / "baseline.yaml"
    gate = run_cli("check", manifest, "-p", "pack:fairness-baseline", "--store", store)
    assert gate.exit_code in (0, 1), gate.stderr
    result = run_cli(
        "monitor", manifest, "-p", SAMPLE / "monitoring.yaml", "--log", log,
        "--store", store, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr
    windows = json.loads(result.stdout)["windows"]
    assert len(windows) == 12 and windows[0]["window_start"] == "2026-01-05T00:00:00Z"
    failed = [w["window_start"][:10] for w in windows if w["verdict"] == "failed"]
    assert failed[0] == "2026-02-16"
    assert all(w["verdict"] == "passed" for w in windows if w["window_start"] < "2026-02-16")
    assert {name for w in windows for name in w["failing"]} == {
        "adult-income-monitoring/no-drift-within-sex"
    }
    alerts = json.loads(result.stdout)["alerts"]
    assert len(alerts) == 1 and alerts[0]["window_start"] == "2026-02-16T00:00:00Z"
    assert "in Female by sex" in alerts[0]["message"]


def test_the_sample_log_as_parquet_read_by_duckdb_gives_the_same_findings(
    run_cli: CliRun, tmp_path: Path
) -> None:
    from tests.monitor.test_engine_log import findings

    _make_log(tmp_path / "production-log.csv")
    log = tmp_path / "production-log.parquet"
    pd.read_csv(tmp_path / "production-log.csv").to_parquet(log, index=False)
    manifest = SAMPLE / "baseline.yaml"
    arrow_db, duck_db = tmp_path / "arrow.db", tmp_path / "duck.db"
    gate = run_cli(
        "check", manifest, "-p", "pack:fairness-baseline", "--store", f"sqlite:///{arrow_db}"
    )
    assert gate.exit_code in (0, 1), gate.stderr
    duck_db.write_bytes(arrow_db.read_bytes())
    for db, extra in ((arrow_db, ()), (duck_db, ("--log-engine", "duckdb"))):
        result = run_cli(
            "monitor", manifest, "-p", SAMPLE / "monitoring.yaml", "--log", log,
            "--store", f"sqlite:///{db}", *extra,
        )  # fmt: skip
        assert result.exit_code == 1, result.stderr
    found = findings(duck_db)
    assert len(found) == 12 and found == findings(arrow_db)
