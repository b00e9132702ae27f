"""data.engine, data.table and data.where are checked when the manifest loads; spark settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.config import load_settings
from governance.errors import ConfigError, ManifestError
from governance.manifest import load_manifest
from tests.conftest import MANIFEST


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("  engine: duckdb\n  table: decisions\n", "table is read by the spark engine"),
        ("  engine: spark\n  table: decisions\n", "give either path (data files) or table"),
        ("  where: month = 1\n", "where is applied by the duckdb and spark engines, not arrow"),
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
