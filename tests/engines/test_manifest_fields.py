"""data.engine, data.table and data.where are checked when the manifest loads; spark settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.config import load_settings
from governance.data.engines import engine_name
from governance.errors import ConfigError, ManifestError
from governance.manifest import load_manifest
from tests.conftest import MANIFEST


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("  engine: duckdb\n  table: decisions\n", "table is read by the spark engine"),
        ("  engine: spark\n  table: decisions\n", "give either path (data files) or table"),
        (
            "  engine: arrow\n  where: month = 1\n",
            "where is applied by the duckdb and spark engines, not arrow",
        ),
        ("  engine: spark\n  table: x; DROP TABLE y\n", "data.table"),
        ("  engine: duckdb\n  format: delta\n", "format delta is read by the spark engine only"),
        ("  engine: sqlite\n", "data.engine"),
    ],
)
def test_engine_fields_are_checked_at_load(tmp_path: Path, change: str, expected: str) -> None:
    text = MANIFEST.replace("\ndata:\n", f"\ndata:\n{change}", 1)
    (tmp_path / "manifest.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path / "manifest.yaml")
    assert expected in str(caught.value)


def test_without_an_engine_prediction_columns_go_to_duckdb_and_a_model_to_arrow(
    tmp_path: Path,
) -> None:
    (tmp_path / "manifest.yaml").write_text(
        MANIFEST.replace("\ndata:\n", "\ndata:\n  where: month = 1\n", 1), encoding="utf-8"
    )
    filtered = load_manifest(tmp_path / "manifest.yaml")
    assert engine_name(filtered) == "duckdb" and filtered.spec.data.where == "month = 1"
    with_model = MANIFEST.replace("\ndata:\n", "\nmodel:\n  path: model.skops\ndata:\n", 1)
    for text in (with_model, with_model.replace("  prediction: prediction\n", "")):
        (tmp_path / "manifest.yaml").write_text(text, encoding="utf-8")
        assert engine_name(load_manifest(tmp_path / "manifest.yaml")) == "arrow"
        (tmp_path / "manifest.yaml").write_text(
            text.replace("\ndata:\n", "\ndata:\n  where: month = 1\n", 1), encoding="utf-8"
        )
        with pytest.raises(ManifestError, match="where is applied by the duckdb and spark") as e:
            load_manifest(tmp_path / "manifest.yaml")
        assert "model" in str(e.value) and "arrow" in str(e.value)


def test_a_spark_table_needs_no_path(tmp_path: Path) -> None:
    text = MANIFEST.replace(
        "  path: data.csv\n", "  engine: spark\n  table: lake.credit.decisions\n"
    )
    (tmp_path / "manifest.yaml").write_text(text, encoding="utf-8")
    manifest = load_manifest(tmp_path / "manifest.yaml")
    assert manifest.spec.data.table == "lake.credit.decisions"
    assert manifest.spec.data.path is None


def test_spark_settings_come_from_the_environment_or_the_file(tmp_path: Path) -> None:
    env = {
        "GOVERNANCE_SPARK_MASTER": "sc://spark.internal:15002",
        "GOVERNANCE_SPARK_CONF": "spark.sql.shuffle.partitions=8, spark.executor.memory=4g",
    }
    settings = load_settings(env=env, cwd=tmp_path)
    assert settings.spark_master == "sc://spark.internal:15002"
    assert settings.spark_conf == (
        ("spark.sql.shuffle.partitions", "8"),
        ("spark.executor.memory", "4g"),
    )
    with pytest.raises(ConfigError, match="spark_conf must be key=value pairs"):
        load_settings(env={"GOVERNANCE_SPARK_CONF": "no-equals-sign"}, cwd=tmp_path)
