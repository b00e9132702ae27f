"""Streaming: data read in chunks gives the same evidence as data held whole, and a seeded
sample of rows for the checks that need rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from governance.checks.params import (
    DisparityParams,
    EqualizedOddsParams,
    MetricDisparityParams,
    PerformanceParams,
)
from governance.data import open_table
from governance.data import source as data_source
from governance.errors import DataError
from governance.evaluators import fairness
from governance.evaluators.context import EvaluationContext
from governance.evaluators.performance import performance_metric
from governance.evaluators.stream import StreamLimits, load_inputs, requirements
from governance.manifest import load_manifest
from tests.conftest import MANIFEST, SAMPLE, synthetic_frame

Write = Callable[[str, str], Path]
RULES = [
    DisparityParams(),
    DisparityParams(sensitive_features=["sex", "group"], min_group_size=1),
    EqualizedOddsParams(method="to_overall"),
    MetricDisparityParams(metric="expected_calibration_error", n_bins=15),
]


def assert_same(ours: object, theirs: object) -> None:
    """Equal nested evidence, floats to 1e-9 relative."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert_same(ours[key], theirs[key])
    elif isinstance(ours, list) and isinstance(theirs, list):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same(a, b)
    elif isinstance(ours, float) and isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    else:
        assert ours == theirs


def contexts(
    manifest: Path, limits: StreamLimits, monkeypatch: pytest.MonkeyPatch
) -> tuple[EvaluationContext, EvaluationContext]:
    """The same data held whole, and streamed in small chunks."""
    loaded = load_manifest(manifest)
    needs = requirements(loaded, RULES)
    whole = load_inputs(loaded, open_table(loaded), needs)
    monkeypatch.setattr(data_source, "CSV_BLOCK_BYTES", 8 << 10)
    monkeypatch.setattr(data_source, "PARQUET_BATCH_ROWS", (300, 300))
    streamed = load_inputs(loaded, open_table(loaded), needs, limits=limits)
    return whole, streamed


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_streamed_evidence_equals_whole_data(
    tmp_path: Path, write: Write, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    frame = synthetic_frame(rows=5000, seed=3)
    if suffix == "csv":
        frame.to_csv(tmp_path / "data.csv", index=False)
        manifest = write("manifest.yaml", MANIFEST)
    else:
        frame.to_parquet(tmp_path / "data.parquet")
        manifest = write("manifest.yaml", MANIFEST.replace("data.csv", "data.parquet"))
    limits = StreamLimits(max_rows=1000, sample_rows=700, seed=5)
    whole, streamed = contexts(manifest, limits, monkeypatch)
    assert not whole.data.sampled and whole.data.rows == 5000
    assert streamed.data.sampled and streamed.data.rows == 5000
    assert len(streamed.data.frame) == 700 == len(streamed.y_true) == len(streamed.y_pred)
    checks = [
        (fairness.demographic_parity_ratio, RULES[0]),
        (fairness.demographic_parity_difference, RULES[1]),
        (fairness.equalized_odds_difference, RULES[2]),
        (fairness.metric_difference, RULES[3]),
        (performance_metric, PerformanceParams(metric="f1", aggregate="worst_group")),
        (performance_metric, PerformanceParams(metric="roc_auc")),
    ]
    for check, params in checks:
        held, read = check(whole, params), check(streamed, params)  # type: ignore[operator]
        if getattr(params, "metric", None) == "roc_auc":  # streamed: from the fine histogram
            assert read.value == pytest.approx(held.value, abs=2e-3)
            continue
        assert read.value == pytest.approx(held.value, rel=1e-12), check
        # same counts, same seeded resamples: the same intervals and tables
        assert_same(read.evidence, held.evidence)


def test_the_sample_is_seeded_uniform_and_aligned(
    tmp_path: Path, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = synthetic_frame(rows=6000, seed=4)
    # distinct scores, to tell the rows apart (only the columns the checks use are read)
    frame["score"] = frame.score * 0.999 + np.arange(len(frame)) / len(frame) * 1e-3
    frame.to_csv(tmp_path / "data.csv", index=False)
    manifest = write("manifest.yaml", MANIFEST)
    limits = StreamLimits(max_rows=500, sample_rows=400, seed=1)
    _, first = contexts(manifest, limits, monkeypatch)
    _, again = contexts(manifest, limits, monkeypatch)
    _, other = contexts(manifest, StreamLimits(500, sample_rows=400, seed=2), monkeypatch)

    def rows_of(context: EvaluationContext) -> np.ndarray:
        """The file rows sampled, found by their scores (distinct random numbers)."""
        row_of_score = {score: row for row, score in enumerate(frame.score)}
        return np.array([row_of_score[score] for score in context.data.frame.score])

    assert frame.score.is_unique
    rows = rows_of(first)
    assert np.array_equal(rows, rows_of(again))
    assert not np.array_equal(rows, rows_of(other))
    assert np.all(np.diff(rows) > 0)  # file order, no repeats
    assert rows.min() < 600 and rows.max() > 5400  # drawn from the whole file
    # labels, predictions and scores belong to the sampled rows
    assert np.array_equal(first.y_true, (frame.label.to_numpy()[rows] == "yes").astype(np.int8))
    assert np.array_equal(first.y_pred, (frame.prediction.to_numpy()[rows] == "yes"))
    assert np.allclose(first.predictions.scores, frame.score.to_numpy()[rows])


def test_model_predicts_chunk_by_chunk_with_the_same_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manifest = load_manifest(SAMPLE / "baseline.yaml")
    needs = requirements(manifest, [])
    whole = load_inputs(manifest, open_table(manifest), needs)
    monkeypatch.setattr(data_source, "CSV_BLOCK_BYTES", 64 << 10)
    streamed = load_inputs(
        manifest, open_table(manifest), needs, limits=StreamLimits(max_rows=2000, sample_rows=900)
    )
    assert streamed.data.sampled and whole.data.rows == streamed.data.rows == 16281
    assert list(streamed.features.columns) == list(whole.features.columns)
    assert len(streamed.features) == 900 and streamed.model is not None
    for features in (("sex",), ("race",)):
        held = whole.group_counts(features)
        read = streamed.group_counts(features)
        assert held.groups == read.groups
        assert np.array_equal(held.confusion, read.confusion)


def test_a_grouping_not_counted_while_streaming_is_an_error(
    tmp_path: Path, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthetic_frame(rows=3000).to_csv(tmp_path / "data.csv", index=False)
    manifest = write("manifest.yaml", MANIFEST)
    _, streamed = contexts(manifest, StreamLimits(max_rows=100, sample_rows=50), monkeypatch)
    with pytest.raises(Exception, match="was not counted while the data was streamed"):
        streamed.group_counts(("group", "sex"))


def test_streamed_errors_count_over_every_chunk(
    tmp_path: Path, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = synthetic_frame(rows=4000)
    frame.loc[[5, 2500, 3999], "sex"] = np.nan
    frame.to_csv(tmp_path / "data.csv", index=False)
    manifest = write("manifest.yaml", MANIFEST)
    with pytest.raises(Exception, match="'sex' has 3 missing values"):
        contexts(manifest, StreamLimits(max_rows=100, sample_rows=50), monkeypatch)


def test_dates_and_booleans_read_as_pandas_reads_them(tmp_path: Path, write: Write) -> None:
    frame = synthetic_frame(rows=50)
    frame["when"] = "2024-01-0" + pd.Series(np.arange(50) % 9 + 1).astype(str)
    frame["flag"] = np.where(np.arange(50) % 2, "True", "False")
    frame.to_csv(tmp_path / "data.csv", index=False)
    every_column = MANIFEST.replace("[sex, group]", "[sex, group, age, when, flag]")
    manifest = load_manifest(write("manifest.yaml", every_column))
    context = load_inputs(manifest, open_table(manifest), requirements(manifest, []))
    expected = pd.read_csv(tmp_path / "data.csv")
    assert context.data.frame.dtypes.to_dict() == expected.dtypes.to_dict()
    pd.testing.assert_frame_equal(context.data.frame, expected)


def test_a_csv_file_is_parsed_once(
    tmp_path: Path, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reader that inferred the column types reads on: the first block (where the types
    # come from) is not parsed a second time. With a date column (read as text, not as
    # inferred) a second reader is needed, and the frame is the same as pandas reads.
    import pyarrow.csv as pcsv

    opened: list[object] = []
    open_csv = pcsv.open_csv
    monkeypatch.setattr(pcsv, "open_csv", lambda *a, **k: opened.append(a) or open_csv(*a, **k))
    frame = synthetic_frame(rows=3000)
    frame.to_csv(tmp_path / "data.csv", index=False)
    monkeypatch.setattr(data_source, "CSV_BLOCK_BYTES", 8 << 10)
    manifest = load_manifest(write("manifest.yaml", MANIFEST))
    context = load_inputs(manifest, open_table(manifest), requirements(manifest, []))
    assert len(opened) == 1
    assert context.data.rows == 3000
    frame["when"] = np.where(np.arange(3000) % 2, "2024-01-01", "2024-01-02")
    frame.to_csv(tmp_path / "data.csv", index=False)
    dated = load_manifest(write("dated.yaml", MANIFEST.replace("[sex, group]", "[sex, when]")))
    context = load_inputs(dated, open_table(dated), requirements(dated, []))
    assert len(opened) == 3
    assert context.data.frame["when"].tolist() == frame["when"].tolist()


def test_a_value_that_does_not_fit_the_inferred_type_names_the_column(
    tmp_path: Path, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = synthetic_frame(rows=3000)
    frame["age"] = frame["age"].astype(str)
    frame.loc[2999, "age"] = "unknown"  # the first blocks say int64
    frame.to_csv(tmp_path / "data.csv", index=False)
    manifest = load_manifest(
        write("manifest.yaml", MANIFEST.replace("[sex, group]", "[sex, group, age]"))
    )
    monkeypatch.setattr(data_source, "CSV_BLOCK_BYTES", 8 << 10)
    with pytest.raises(DataError) as caught:
        load_inputs(manifest, open_table(manifest), requirements(manifest, []))
    assert caught.value.field == "age"
    assert "a value is not a valid int64" in str(caught.value)
    assert "unknown" not in str(caught.value)  # values read from the file are not shown


def test_reading_parquet_does_not_accumulate_memory(
    tmp_path: Path, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    path = tmp_path / "data.parquet"
    schema = pa.schema([("sex", pa.string()), ("label", pa.int8()), ("score", pa.float64())])
    with pq.ParquetWriter(path, schema) as writer:
        for _ in range(40):  # 40 row groups of 50,000 rows, 0.4 MiB of scores each
            writer.write_table(
                pa.table(
                    {
                        "sex": rng.choice(["f", "m"], 50_000),
                        "label": rng.integers(0, 2, 50_000, dtype=np.int8),
                        "score": rng.random(50_000),
                    },
                    schema=schema,
                )
            )
    manifest = load_manifest(write("manifest.yaml", MANIFEST.replace("data.csv", "data.parquet")))
    monkeypatch.setattr(data_source, "PARQUET_BATCH_ROWS", (50_000, 50_000))
    allocated = []
    for batch in open_table(manifest).batches(("sex",)):
        allocated.append(pa.total_allocated_bytes())
        del batch
    assert len(allocated) == 40
    # a batch or two at a time, not the file (pyarrow's pre-buffering would hold all of it)
    assert max(allocated) < path.stat().st_size / 4
