"""The adult-income production log: deterministic, in time order, outcomes delayed, and a
shift in one group that weekly drift checks find in the first week after it and not before."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from governance.evaluators.drift import compare_frames

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "adult-income"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_production_log", SAMPLE / "make_production_log.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return _script()


@pytest.fixture(scope="module")
def log(script: ModuleType) -> pd.DataFrame:
    frame: pd.DataFrame = script.build_log()
    return frame


def test_the_same_arguments_write_the_same_bytes(script: ModuleType, tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    assert script.main(["--out", str(first)]) == 0
    script.write_log(script.build_log(), second)
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size < 2_000_000


def test_rows_in_time_order_and_outcomes_delayed(log: pd.DataFrame) -> None:
    ts = pd.to_datetime(log["ts"])
    assert ts.is_monotonic_increasing
    assert len(log) == 16_281
    known = log["outcome"].notna()
    delay = pd.to_datetime(log.loc[known, "outcome_ts"]) - ts[known]
    assert (delay == pd.Timedelta(days=30)).all()
    end = pd.Timestamp("2026-03-30", tz="UTC")
    assert not known[ts + pd.Timedelta(days=30) > end].any()
    assert known[ts + pd.Timedelta(days=30) <= end].all()


def test_weekly_drift_flags_the_shifted_group_from_the_shift_week_only(
    log: pd.DataFrame,
) -> None:
    reference = pd.read_csv(SAMPLE / "data" / "adult-test.csv.gz")
    week = (pd.to_datetime(log["ts"]) - pd.Timestamp("2026-01-05", tz="UTC")).dt.days // 7
    shift_week = (date(2026, 2, 16) - date(2026, 1, 5)).days // 7
    for number, rows in log.groupby(week):
        table = compare_frames(reference, rows, features=["hours-per-week"], groupings=[["sex"]])
        psi = {cell.group: cell.values["psi"] for cell in table[0].cells}
        if number < shift_week:
            assert max(psi.values()) < 0.1, (number, psi)
        else:
            assert psi["Female"] > 0.25, (number, psi)
            assert psi["Male"] < 0.1, (number, psi)
