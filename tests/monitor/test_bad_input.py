"""Bad input to `governance monitor`: one line naming the problem, exit 2, nothing recorded."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from tests.conftest import CliRun
from tests.monitor.conftest import Deployed, entries, production_log


def _swap(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame.index.tolist()
    rows[1000], rows[1001] = rows[1001], rows[1000]
    return frame.loc[rows].reset_index(drop=True)


Expected = str | Callable[[pd.DataFrame], str]
"""The message, or how to make it from the original log."""
Case = tuple[Callable[[pd.DataFrame], pd.DataFrame], tuple[str, ...], Expected]
CASES: dict[str, Case] = {
    "no time column": (
        lambda f: f.drop(columns="ts"),
        (),
        "log.csv: time_column: the log has no time column 'ts'",
    ),
    "a window that is not a duration": (
        lambda f: f,
        ("--window", "7 days"),
        "window must be a duration such as 7d, 12h, 30m or 2w, found '7 days'",
    ),
    "rows out of time order": (
        _swap,
        (),
        lambda f: (
            f"log.csv: row 1002: ts {f['ts'][1000]} is earlier than the row before it "
            f"({f['ts'][1001]}): the log must be in time order"  # rows 1001 and 1002 swapped
        ),
    ),
    "a baseline that does not exist": (
        lambda f: f,
        ("--baseline", "01234567-89ab-7def-8123-456789abcdef"),
        "01234567-89ab-7def-8123-456789abcdef",
    ),
    "a log without a sensitive column": (
        lambda f: f.drop(columns="sex"),
        (),
        "the log lacks sex, which the manifest names (sensitive feature)",
    ),
    "a log without the prediction column": (
        lambda f: f.drop(columns="prediction"),
        (),
        "the log lacks prediction, which the manifest names (prediction)",
    ),
    "a time that is not a time": (
        lambda f: f.assign(ts=f["ts"].where(f.index != 7, "yesterday")),
        (),
        "log.csv: row 8: ts 'yesterday' is not a time",
    ),
    "since that is not a time": (
        lambda f: f,
        ("--since", "last week"),
        "since must be a date or an ISO 8601 time",
    ),
    "a webhook that is not http": (
        lambda f: f,
        ("--webhook", "file:///etc/passwd"),
        "webhook must be an http or https URL",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_is_one_line_exit_2_and_nothing_recorded(
    run_cli: CliRun, deployed: Deployed, case: str
) -> None:
    change, flags, expected = CASES[case]
    original = production_log()
    deployed.write_log(change(original))
    if callable(expected):
        expected = expected(original)
    before = entries(deployed.db)
    result = run_cli(*deployed.args(*flags))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert expected in lines[0]
    assert entries(deployed.db) == before


def test_an_error_in_the_last_row_records_no_window(run_cli: CliRun, deployed: Deployed) -> None:
    frame = production_log()
    frame.loc[len(frame) - 1, "ts"] = "2026-03-01T00:00:00Z"  # earlier than every other row
    deployed.write_log(frame)
    before = entries(deployed.db)
    result = run_cli(*deployed.args())
    assert result.exit_code == 2
    assert f"row {len(frame)}: ts 2026-03-01T00:00:00Z is earlier" in result.stderr
    assert entries(deployed.db) == before


def test_data_other_than_the_baseline_evaluated_is_refused(
    run_cli: CliRun, deployed: Deployed
) -> None:
    data = deployed.folder / "data.csv"
    data.write_text(data.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    before = entries(deployed.db)
    result = run_cli(*deployed.args())
    assert result.exit_code == 2
    assert "the manifest's data data.csv is not the data baseline" in result.stderr
    assert entries(deployed.db) == before


def test_a_monitored_window_is_not_a_baseline(run_cli: CliRun, deployed: Deployed) -> None:
    import json

    out = json.loads(run_cli(*deployed.args("--until", "2026-03-03", "--format", "json")).stdout)
    window = out["windows"][0]["evaluation_id"]
    before = entries(deployed.db)
    result = run_cli(*deployed.args("--baseline", window))
    assert result.exit_code == 2
    assert f"evaluation {window} is a monitored window, not a gate evaluation" in result.stderr
    assert entries(deployed.db) == before
