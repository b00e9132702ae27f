"""The duckdb and spark engines count exactly what the arrow path counts.

Integer counts (confusion cells, histogram and calibration bin rows, Σy) are equal; float sums
equal to 1e-12 relative (the engines add in another order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from governance.data.engines.query import counts_query
from governance.data.engines.result import read_result
from governance.evaluators.counts import FINE_BINS, CountsAccumulator, GroupCounts
from tests.conftest import SAMPLE

GROUPINGS = (("sex",), ("race",), ("sex", "race"))


def arrow_counts(frame: pd.DataFrame, groupings: Any, bins: tuple[int, ...], scored: bool) -> dict:
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    y_true = (frame["label"].astype(str) == "yes").to_numpy().astype(np.int8)
    y_pred = (frame["prediction"].astype(str) == "yes").to_numpy().astype(np.int8)
    scores = frame["score"].to_numpy(dtype=np.float64) if scored else None
    found = {}
    for grouping in groupings:
        acc = CountsAccumulator(grouping, ece_bins=bins)
        half = len(frame) // 2  # two chunks, as the stream reads them
        for part in (slice(0, half), slice(half, len(frame))):
            acc.add(
                [table.column(n).combine_chunks()[part] for n in grouping],
                y_true[part],
                y_pred[part],
                None if scores is None else scores[part],
            )
        found[grouping] = acc.result()
    return found


def engine_counts(
    engine: str, path: Path, groupings: Any, bins: tuple[int, ...], scored: bool, spark: Any
) -> dict:
    query = counts_query(
        groupings,
        target="label",
        prediction="prediction",
        score="score" if scored else None,
        ece_bins=bins,
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
    return read_result(table, query, "yes", fine_bins=FINE_BINS).counts


def assert_same(ours: GroupCounts, theirs: GroupCounts) -> None:
    assert ours.groups == theirs.groups
    np.testing.assert_array_equal(ours.confusion, theirs.confusion)
    assert (ours.scores is None) == (theirs.scores is None)
    if ours.scores is None or theirs.scores is None:
        return
    a, b = ours.scores, theirs.scores
    np.testing.assert_allclose(a.sums, b.sums, rtol=1e-12, atol=1e-9)
    assert (a.lowest, a.highest) == (b.lowest, b.highest)
    assert (a.cells is None) == (b.cells is None)
    if a.cells is not None and b.cells is not None:
        np.testing.assert_array_equal(a.cells[..., 0], b.cells[..., 0])
        np.testing.assert_allclose(a.cells[..., 1:], b.cells[..., 1:], rtol=1e-12, atol=1e-9)
    assert sorted(a.ece) == sorted(b.ece)
    for bins in a.ece:
        np.testing.assert_array_equal(a.ece[bins][..., [0, 2]], b.ece[bins][..., [0, 2]])
        np.testing.assert_allclose(a.ece[bins][..., 1], b.ece[bins][..., 1], rtol=1e-12, atol=1e-9)


def generated(seed: int, rows: int, integer_race: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male", "x"], size=rows, p=[0.45, 0.5, 0.05])
    race = rng.integers(0, 5, size=rows) if integer_race else rng.choice(list("abcde"), rows)
    label = rng.random(rows) < 0.3
    # scores on edges of the calibration and fine bins included
    score = np.where(rng.random(rows) < 0.2, rng.integers(0, 21, size=rows) / 20, rng.random(rows))
    score = np.clip(score + label * 0.1, 0, 1)
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "label": np.where(label, "yes", "no"),
            "prediction": np.where(score > 0.5, "yes", "no"),
            "score": score,
        }
    )


def adult_sample() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE / "data" / "adult-test.csv.gz", usecols=["sex", "race", "income"])
    rng = np.random.default_rng(3)
    score = np.clip((frame["income"] == ">50K") * 0.3 + rng.random(len(frame)) * 0.7, 0, 1)
    return pd.DataFrame(
        {
            "sex": frame["sex"],
            "race": frame["race"],
            "label": np.where(frame["income"] == ">50K", "yes", "no"),
            "prediction": np.where(score > 0.55, "yes", "no"),
            "score": score,
        }
    )


CASES = {
    "adult-income": lambda: adult_sample(),
    "generated text groups": lambda: generated(1, 5000, False),
    "generated integer groups": lambda: generated(2, 5000, True),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("scored", [True, False], ids=["scores", "no scores"])
def test_duckdb_counts_equal_the_arrow_paths(case: str, scored: bool, tmp_path: Path) -> None:
    frame = CASES[case]()
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    bins = (10, 15)
    ours = arrow_counts(frame, GROUPINGS, bins, scored)
    theirs = engine_counts("duckdb", path, GROUPINGS, bins, scored, None)
    for grouping in GROUPINGS:
        assert_same(ours[grouping], theirs[grouping])


def test_scores_outside_the_unit_interval_drop_the_histograms(tmp_path: Path) -> None:
    frame = generated(4, 2000, False)
    frame["score"] = frame["score"] * 3 - 1
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    ours = arrow_counts(frame, GROUPINGS, (10,), True)
    theirs = engine_counts("duckdb", path, GROUPINGS, (10,), True, None)
    for grouping in GROUPINGS:
        assert theirs[grouping].scores is not None
        assert theirs[grouping].scores.cells is None
        assert_same(ours[grouping], theirs[grouping])


@pytest.mark.slow
def test_spark_counts_equal_the_arrow_paths(spark_settings: Any, tmp_path: Path) -> None:
    from governance.data.engines.spark import session

    spark = session(spark_settings)
    for case in CASES:
        frame = CASES[case]()
        path = tmp_path / f"{case}.parquet"
        frame.to_parquet(path)
        ours = arrow_counts(frame, GROUPINGS, (10,), True)
        theirs = engine_counts("spark", path, GROUPINGS, (10,), True, spark)
        for grouping in GROUPINGS:
            assert_same(ours[grouping], theirs[grouping])
