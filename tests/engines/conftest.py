"""The engines' shared fixtures: one local Spark session for the whole run (it takes ~20 s)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Settings for a local[2] Spark on loopback with a temporary warehouse; skipped without
    Java or pyspark (a skip fails under GOVERNANCE_CI, where both are installed)."""
    from governance.config import Settings

    if shutil.which("java") is None:
        pytest.skip("no java on PATH: the spark engine needs Java 17+")
    pytest.importorskip("pyspark")
    warehouse: Path = tmp_path_factory.mktemp("spark-warehouse")
    settings = Settings(
        spark_master="local[2]",
        spark_conf=(
            ("spark.sql.warehouse.dir", str(warehouse)),
            ("spark.sql.shuffle.partitions", "4"),
            ("spark.default.parallelism", "2"),
        ),
    )
    from governance.data.engines.spark import session

    spark = session(settings)
    yield settings
    spark.stop()
