"""`governance check` with data.engine duckdb and spark: the arrow path's findings, recorded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import MANIFEST, POLICY, CliRun, synthetic_frame

AUC_POLICY = (
    POLICY
    + """
  - id: auc
    title: AUC
    severity: medium
    check: performance.metric
    params:
      metric: roc_auc
    threshold:
      min: 0.5
  - id: eo-intersection
    title: Equalised odds over sex and group
    severity: medium
    check: fairness.equalized_odds_difference
    params:
      sensitive_features: [sex, group]
    threshold:
      max: 0.5
"""
)


def manifest(engine: str, data: str, extra: str = "") -> str:
    text = MANIFEST.replace("path: data.csv", f"path: {data}")
    return text.replace("\ndata:\n", f"\ndata:\n  engine: {engine}\n{extra}", 1)


def check(run: CliRun, tmp_path: Path, text: str, *args: Any) -> tuple[int, Any, str]:
    (tmp_path / "manifest.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(AUC_POLICY, encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    result = run(
        "check", tmp_path / "manifest.yaml", "-p", tmp_path / "policy.yaml",
        "--store", store, "--format", "json", *args,
    )  # fmt: skip
    record = json.loads(result.stdout) if result.stdout.strip() else None
    return result.exit_code, record, result.stderr


def findings(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (f["rule_id"], f["outcome"], json.dumps(f["measured"], sort_keys=True))
        for f in record["findings"]
    ]


def entries(tmp_path: Path) -> int:
    path = tmp_path / "audit.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "audit_log" not in tables:
            return 0
        return int(db.execute("SELECT count(*) FROM audit_log").fetchone()[0])


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "data.parquet"
    synthetic_frame(3000, seed=11).to_parquet(path)
    return path


def test_duckdb_gives_the_arrow_findings_and_records_the_query(
    run_cli: CliRun, tmp_path: Path, parquet: Path
) -> None:
    code, arrow, _ = check(run_cli, tmp_path, manifest("arrow", "data.parquet"))
    code_d, duck, err = check(run_cli, tmp_path, manifest("duckdb", "data.parquet"))
    assert (code_d, err) == (code, "")
    assert findings(duck) == findings(arrow)
    data = duck["artifacts"]["data"]
    assert data["rows"] == 3000 and data["format"] == "parquet"
    engine = data["engine"]
    assert engine["name"] == "duckdb" and engine["version"]
    assert "GROUPING SETS" in engine["query"] and "governance_data" in engine["query"]
    assert engine["sample"] == {"rows": 3000, "seed": 0}
    [listed] = engine["snapshot"]["files"]
    assert listed["path"].endswith("data.parquet") and not listed["path"].startswith("/")
    assert listed["size"] == parquet.stat().st_size
    assert "engine" not in arrow["artifacts"]["data"]


def test_the_lineage_input_carries_the_engine_facet(
    run_cli: CliRun, tmp_path: Path, parquet: Path
) -> None:
    from governance.lineage import complete_event
    from tests.lineage.spec import validate_event

    _, record, _ = check(run_cli, tmp_path, manifest("duckdb", "data.parquet"))
    event = complete_event(record)
    validate_event(event)  # the spec's schemas and ours, facet by facet
    [data] = [d for d in event["inputs"] if d["name"].endswith("data.parquet")]
    facet = data["inputFacets"]["governance_engine"]
    assert facet["name"] == "duckdb" and "GROUPING SETS" in facet["query"]
    assert facet["snapshot"] == record["artifacts"]["data"]["engine"]["snapshot"]
    assert data["facets"]["version"]["datasetVersion"] == facet["snapshot"]["digest"]


def test_a_glob_and_a_filter_count_the_rows_they_select(run_cli: CliRun, tmp_path: Path) -> None:
    frame = synthetic_frame(4000, seed=5)
    (tmp_path / "logs").mkdir()
    frame.iloc[:2500].to_parquet(tmp_path / "logs" / "part-1.parquet")
    frame.iloc[2500:].to_parquet(tmp_path / "logs" / "part-2.parquet")
    frame[frame["age"] >= 30].to_parquet(tmp_path / "older.parquet")
    _, whole, _ = check(run_cli, tmp_path, manifest("arrow", "older.parquet"))
    extra = "  where: age >= 30\n"
    code, duck, err = check(run_cli, tmp_path, manifest("duckdb", "logs/*.parquet", extra))
    assert err == "" and code == whole["exit_code"]
    assert duck["artifacts"]["data"]["rows"] == int((frame["age"] >= 30).sum())
    assert findings(duck) == findings(whole)
    assert duck["artifacts"]["data"]["engine"]["where"] == "age >= 30"
    assert len(duck["artifacts"]["data"]["engine"]["snapshot"]["files"]) == 2


@pytest.mark.parametrize(
    ("extra", "change", "expected"),
    [
        ("  where: age > 200\n", None, "duckdb: data.parquet: no rows to evaluate (data.where"),
        (
            "  where: no_such_column > 1\n",
            None,
            "duckdb: data.parquet: data.where must be one boolean expression (word "
            "'no_such_column' at character 1 is neither a column of the data nor allowed",
        ),
        (
            "  where: age > 1; DROP TABLE x\n",
            None,
            "duckdb: data.parquet: data.where must be one boolean expression (';' at character 8",
        ),
        ("  where: age > 1) OR (1 = 1\n", None, "duckdb: data.parquet: Parser Error"),
        ("", "score-as-text", "duckdb: data.parquet: score column 'score' is VARCHAR"),
        ("", "no-files", "duckdb: no data file matches 'data.parquet'"),
    ],
)
def test_bad_input_is_one_line_naming_the_engine_and_nothing_is_recorded(
    run_cli: CliRun, tmp_path: Path, parquet: Path, extra: str, change: str | None, expected: str
) -> None:
    if change == "score-as-text":
        frame = pd.read_parquet(parquet)
        frame["score"] = frame["score"].astype(str)
        frame.to_parquet(parquet)
    if change == "no-files":
        parquet.unlink()
    code, record, err = check(run_cli, tmp_path, manifest("duckdb", "data.parquet", extra))
    assert code == 2 and record is None
    assert expected in err, err
    assert len(err.strip().splitlines()) <= 2, err  # the error and, at most, its hint
    assert entries(tmp_path) == 0


def test_an_unreachable_spark_is_one_line_and_exit_2(
    run_cli: CliRun, tmp_path: Path, parquet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERNANCE_SPARK_MASTER", "sc://127.0.0.1:9")
    code, record, err = check(run_cli, tmp_path, manifest("spark", "data.parquet"))
    assert code == 2 and record is None
    assert "spark: cannot start a session at sc://127.0.0.1:9" in err
    assert entries(tmp_path) == 0


@pytest.mark.slow
def test_a_spark_table_gives_the_arrow_findings_and_a_missing_one_is_exit_2(
    run_cli: CliRun, tmp_path: Path, parquet: Path, spark_settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from governance.data.engines.spark import session

    spark = session(spark_settings)
    spark.read.parquet(str(parquet)).write.mode("overwrite").saveAsTable("predictions_log")
    _, arrow, _ = check(run_cli, tmp_path, manifest("arrow", "data.parquet"))
    table = manifest("spark", "data.parquet").replace(
        "  path: data.parquet\n", "  table: predictions_log\n"
    )
    code, found, err = check(run_cli, tmp_path, table)
    assert err == "" and code == arrow["exit_code"]
    assert findings(found) == findings(arrow)
    data = found["artifacts"]["data"]
    assert data["path"] == "table:predictions_log" and data["format"] == "table"
    assert data["engine"]["snapshot"]["table"] == "predictions_log"
    assert data["engine"]["version"] == spark.version
    missing = table.replace("predictions_log", "no_such_table")
    (tmp_path / "missing").mkdir()
    code, record, err = check(run_cli, tmp_path / "missing", missing)
    assert code == 2 and record is None
    assert "spark: table no_such_table: [TABLE_OR_VIEW_NOT_FOUND]" in err, err
    assert entries(tmp_path / "missing") == 0


def test_the_sample_is_drawn_only_for_rules_that_read_rows_and_is_seeded(tmp_path: Path) -> None:
    from governance.evaluators.engine_inputs import load_engine_inputs
    from governance.evaluators.stream import StreamLimits, requirements
    from governance.manifest import load_manifest

    synthetic_frame(3000, seed=2).to_parquet(tmp_path / "data.parquet")
    (tmp_path / "manifest.yaml").write_text(manifest("duckdb", "data.parquet"), encoding="utf-8")
    loaded = load_manifest(tmp_path / "manifest.yaml")
    needs = requirements(loaded, [])
    small = StreamLimits(sample_rows=500, seed=3)
    counts_only, info = load_engine_inputs(loaded, needs, limits=small)
    assert counts_only.data.sampled and len(counts_only.data.frame) == 0
    assert counts_only.data.rows == 3000 and info.sample_query is None
    assert list(counts_only.data.frame.columns) == ["sex", "group", "label", "prediction", "score"]
    rows, info = load_engine_inputs(loaded, needs, limits=small, needs_rows=True)
    again, _ = load_engine_inputs(loaded, needs, limits=small, needs_rows=True)
    other, _ = load_engine_inputs(loaded, needs, limits=StreamLimits(500, seed=4), needs_rows=True)
    assert info.sample_rows == 500 and info.seed == 3 and len(rows.data.frame) == 500
    assert rows.data.frame.equals(again.data.frame)  # the seed decides
    assert not rows.data.frame.equals(other.data.frame)
    assert (rows.y_pred == (rows.data.frame["prediction"] == "yes")).all()
    for grouping, counts in rows.counts.items():  # counts cover every row, not the sample
        assert counts.rows == 3000
        assert counts.groups == counts_only.counts[grouping].groups


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
def test_missing_scores_are_refused_with_their_count_by_every_engine(
    run_cli: CliRun, tmp_path: Path, engine: str
) -> None:
    frame = synthetic_frame(1000, seed=8)
    frame.loc[[3, 50, 700], "score"] = np.nan
    frame.loc[[9], "score"] = None
    frame.to_parquet(tmp_path / "data.parquet")
    code, record, err = check(run_cli, tmp_path, manifest(engine, "data.parquet"))
    assert code == 2 and record is None
    assert "score has 4 missing (NaN) values" in err, err
    assert entries(tmp_path) == 0


def test_duckdb_reads_a_csv_with_the_arrow_paths_types(run_cli: CliRun, tmp_path: Path) -> None:
    # "yes"/"no" labels are text to the arrow path; DuckDB alone would read them as booleans and
    # find no row with the positive label "yes"
    synthetic_frame(3000, seed=5).to_csv(tmp_path / "data.csv", index=False)
    code_a, arrow, _ = check(run_cli, tmp_path, manifest("arrow", "data.csv"))
    code_d, duck, err = check(run_cli, tmp_path, manifest("duckdb", "data.csv"))
    assert code_d == code_a, err
    assert findings(duck) == findings(arrow)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_without_an_engine_a_file_of_predictions_is_counted_by_duckdb_as_arrow_would(
    run_cli: CliRun, tmp_path: Path, suffix: str
) -> None:
    frame = synthetic_frame(2500, seed=23)
    path = tmp_path / f"data.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
    code, arrow, _ = check(run_cli, tmp_path, manifest("arrow", path.name))
    default = MANIFEST.replace("path: data.csv", f"path: {path.name}")
    code_d, duck, err = check(run_cli, tmp_path, default)
    assert (code_d, err) == (code, "")
    assert findings(duck) == findings(arrow)
    assert duck["artifacts"]["data"]["engine"]["name"] == "duckdb"
    assert "engine" not in arrow["artifacts"]["data"]
    # one file: the same data digest whichever engine read it
    assert duck["artifacts"]["data"]["digest"] == arrow["artifacts"]["data"]["digest"]


@pytest.mark.parametrize("compression", ["gz", "bz2"])
def test_a_compressed_csv_is_counted_by_the_default_engine_as_arrow_reads_it(
    run_cli: CliRun, tmp_path: Path, compression: str
) -> None:
    path = tmp_path / f"data.csv.{compression}"
    synthetic_frame(2000, seed=29).to_csv(path, index=False)
    code, arrow, _ = check(run_cli, tmp_path, manifest("arrow", path.name))
    code_d, duck, err = check(run_cli, tmp_path, MANIFEST.replace("data.csv", path.name))
    assert (code_d, err) == (code, "")
    assert findings(duck) == findings(arrow) and duck["artifacts"]["data"]["engine"]
    assert duck["artifacts"]["data"]["digest"] == arrow["artifacts"]["data"]["digest"]
