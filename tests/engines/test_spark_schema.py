"""A local Parquet file's schema read from its footer is the schema Spark infers.

The spark engine hands Spark the footer's schema (no inference job) only for plain column
types; anything else (timestamps, differing files) is left to Spark's inference.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from governance.data.engines.spark import parquet_schema, session

PLAIN = pa.table(
    {
        "flag": pa.array([True, None]),
        "tiny": pa.array([1, 2], pa.int8()),
        "small": pa.array([1, None], pa.int16()),
        "int": pa.array([1, 2], pa.int32()),
        "big": pa.array([1, 2], pa.int64()),
        "float": pa.array([1.5, None], pa.float32()),
        "double": pa.array([1.5, 2.5]),
        "text": pa.array(["a", None]),
        "large text": pa.array(["a", "b"], pa.large_string()),
        "day": pa.array([datetime.date(2020, 1, 1), None]),
        "odd `name": pa.array([1, 2]),
    }
)


def test_footer_schema_is_what_spark_infers_and_reads_the_same_rows(
    tmp_path: Path, spark_settings: Any
) -> None:
    path = tmp_path / "plain.parquet"
    pq.write_table(PLAIN, path)
    schema = parquet_schema((path,))
    assert schema is not None
    spark = session(spark_settings)
    inferred = spark.read.format("parquet").load([str(path)])
    given = spark.read.format("parquet").schema(schema).load([str(path)])
    assert given.schema == inferred.schema
    assert sorted(map(str, given.collect())) == sorted(map(str, inferred.collect()))


def test_other_types_and_differing_files_are_left_to_spark(tmp_path: Path) -> None:
    stamped = tmp_path / "stamped.parquet"
    stamps = pa.array([datetime.datetime(2020, 1, 1), None])
    pq.write_table(PLAIN.append_column("at", stamps), stamped)
    assert parquet_schema((stamped,)) is None
    one, other = tmp_path / "one.parquet", tmp_path / "other.parquet"
    pq.write_table(PLAIN, one)
    pq.write_table(PLAIN.drop_columns(["tiny"]), other)
    assert parquet_schema((one,)) is not None
    assert parquet_schema((one, other)) is None
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    assert parquet_schema((broken,)) is None
    assert parquet_schema((tmp_path,)) is None  # a table folder: Spark lists and infers
