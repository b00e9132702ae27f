"""Multiclass and regression counts: duckdb and spark count what the arrow path counts.

Multiclass K×K matrices and residual histogram rows are equal; regression sums equal to 1e-12
relative (the engines add in another order). End to end, a check on duckdb gives the arrow
path's outcomes and values (to 1e-9) for both task types.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from governance.data.engines.query import counts_query, regression_query
from governance.data.engines.result import read_regression, read_result
from governance.evaluators.counts import FINE_BINS, CountsAccumulator, GroupCounts
from tests.conftest import CliRun

GROUPINGS = (("sex",), ("race",), ("sex", "race"))


def frame_of(task: str, seed: int, rows: int = 6000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["female", "male", "x"], rows, p=[0.45, 0.5, 0.05]),
            "race": rng.integers(0, 4, rows),
        }
    )
    if task == "multiclass":
        truth = rng.choice(["low", "mid", "high", "top"], rows, p=[0.4, 0.3, 0.2, 0.1])
        guess = np.where(rng.random(rows) < 0.6, truth, rng.choice(["low", "mid", "high"], rows))
    else:
        truth = rng.lognormal(3, 1, rows)
        guess = truth * rng.normal(1, 0.2, rows) + rng.normal(0, 1, rows)
        guess[:50] = truth[:50]  # residuals of exactly zero
        guess[50:60] = truth[50:60] + 1e7  # beyond the histogram's last edge
    frame["label"], frame["prediction"] = truth, guess
    return frame


def arrow_counts(frame: pd.DataFrame, task: str) -> dict[tuple[str, ...], GroupCounts]:
    import pyarrow as pa

    from governance.data import ClassEncoder

    table = pa.Table.from_pandas(frame, preserve_index=False)
    classes = ClassEncoder()
    if task == "multiclass":
        truth, _ = classes.encode(table.column("label").combine_chunks())
        guess, _ = classes.encode(table.column("prediction").combine_chunks())
    else:
        truth, guess = frame["label"].to_numpy(), frame["prediction"].to_numpy()
    found = {}
    for grouping in GROUPINGS:
        accumulator = CountsAccumulator(grouping, task=task)
        half = len(frame) // 2
        for part in (slice(0, half), slice(half, len(frame))):
            columns = [table.column(n).combine_chunks()[part] for n in grouping]
            accumulator.add(columns, truth[part], guess[part])
        found[grouping] = accumulator.result(class_values=classes.values)
    return found


def engine_counts(engine: str, path: Path, task: str, spark: Any = None) -> dict[Any, Any]:
    if task == "regression":
        query = regression_query(GROUPINGS, target="label", prediction="prediction", dialect=engine)
    else:
        query = counts_query(
            GROUPINGS,
            target="label",
            prediction="prediction",
            score=None,
            ece_bins=(),
            fine_bins=FINE_BINS,
            dialect=engine,
        )
    if engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.register("governance_data", con.read_parquet(str(path)))
        table = con.sql(query.text).to_arrow_table()
    else:
        spark.read.parquet(str(path)).createOrReplaceTempView("governance_data")
        table = spark.sql(query.text).toArrow()
    if task == "regression":
        return read_regression(table, query).counts
    return read_result(table, query, None, fine_bins=FINE_BINS, task=task).counts


def assert_same(ours: GroupCounts, theirs: GroupCounts) -> None:
    assert ours.groups == theirs.groups
    assert ours.classes == theirs.classes
    np.testing.assert_array_equal(ours.confusion, theirs.confusion)
    assert (ours.regression is None) == (theirs.regression is None)
    if ours.regression is not None and theirs.regression is not None:
        np.testing.assert_allclose(ours.regression, theirs.regression, rtol=1e-12, atol=1e-9)
        np.testing.assert_array_equal(ours.residuals, theirs.residuals)


@pytest.mark.parametrize("task", ["multiclass", "regression"])
@pytest.mark.parametrize("seed", [1, 2])
def test_duckdb_counts_equal_the_arrow_paths(task: str, seed: int, tmp_path: Path) -> None:
    frame = frame_of(task, seed)
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    ours = arrow_counts(frame, task)
    theirs = engine_counts("duckdb", path, task)
    for grouping in GROUPINGS:
        assert_same(ours[grouping], theirs[grouping])
    if task == "multiclass":
        assert ours[("sex",)].classes == ("high", "low", "mid", "top")
    else:
        histogram = ours[("sex",)].residuals
        assert histogram is not None and histogram[:, -1].sum() == 10  # the 1e7 residuals


@pytest.mark.slow
def test_spark_counts_equal_the_arrow_paths(spark_settings: Any, tmp_path: Path) -> None:
    from governance.data.engines.spark import session

    spark = session(spark_settings)
    for task in ("multiclass", "regression"):
        frame = frame_of(task, 5)
        path = tmp_path / f"{task}.parquet"
        frame.to_parquet(path)
        ours = arrow_counts(frame, task)
        theirs = engine_counts("spark", path, task, spark)
        for grouping in GROUPINGS:
            assert_same(ours[grouping], theirs[grouping])


MANIFEST = """
apiVersion: governance/v1
kind: Model
metadata:
  {{name: tasks, version: 0.1.0, owner: o@example.org, risk_tier: high, intended_use: Tests.}}
data:
  path: data.parquet
  engine: {engine}
  task: {task}
  target: label
  prediction: prediction
  sensitive_features: [sex, race]
"""


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_a_check_on_duckdb_finds_what_arrow_finds(
    task: str, tmp_path: Path, run_cli: CliRun
) -> None:
    frame_of(task, 7).to_parquet(tmp_path / "data.parquet")
    policy = Path(__file__).parents[1] / "fixtures" / "tasks" / f"{task}-policy.yaml"
    found = {}
    for engine in ("arrow", "duckdb", "default"):  # default: no data.engine, so duckdb
        manifest = tmp_path / f"{engine}.yaml"
        text = MANIFEST.format(engine=engine, task=task)
        if engine == "default":
            text = text.replace("  engine: default\n", "")
        manifest.write_text(text, encoding="utf-8")
        store = f"sqlite:///{tmp_path / 'audit.db'}"
        result = run_cli("check", manifest, "-p", policy, "--store", store, "--format", "json")
        assert result.exit_code in (0, 1), result.stderr
        record = json.loads(result.stdout)
        used = record["artifacts"]["data"].get("engine", {"name": "arrow"})["name"]
        assert used == ("duckdb" if engine == "default" else engine)
        found[engine] = [
            (f["rule_id"], f["outcome"], f["measured"], f["evidence"].get("interval"))
            for f in record["findings"]
        ]
    # the same outcomes; values equal up to the order the engines add floats in (1e-9)
    assert found["default"] == found["duckdb"]
    for ours, theirs in zip(found["arrow"], found["duckdb"], strict=True):
        assert ours[:2] == theirs[:2]
        assert ours[2] == pytest.approx(theirs[2], rel=1e-9)
        assert ours[3] == pytest.approx(theirs[3], rel=1e-9)
    assert all(outcome in ("pass", "fail") for _, outcome, _, _ in found["arrow"])
