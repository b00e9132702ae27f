"""The ``spark`` engine: a Spark table or a lakehouse path counted by a SparkSession.

The session comes from the settings (``spark_master``: a master URL, or ``sc://host`` for Spark
Connect; ``spark_conf``: ``key=value`` pairs), never from the manifest, so credentials stay in
the environment or Spark's own configuration. A table is read by name (``data.table``), a path
with ``spark.read`` in its format (``data.format``: parquet, csv, delta, ...); ``data.where`` is
applied with ``DataFrame.filter(expr(...))``, which parses one expression. The data is then the
temporary view :data:`~governance.data.engines.query.VIEW` that the queries read.

Spark infers a Parquet file's schema with a job (one task reading a footer); for local Parquet
files whose columns all have plain types, the footers are read here (pyarrow, milliseconds)
and handed to the reader as its schema, so no job runs before the counting query. Any other
type, differing files or an unreadable footer leave the inference to Spark.

The data files' digests (the record's snapshot) are computed in a thread while the session
starts and counts: hashing a large file costs seconds that need not wait for the JVM.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.data.engines import Source, file_snapshot
from governance.data.engines.query import VIEW, quote
from governance.data.engines.where import check_where
from governance.errors import EngineError
from governance.manifest import Manifest
from governance.redact import without_quoted

if TYPE_CHECKING:
    from governance.config import Settings

DEFAULT_MASTER = "local[2]"
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}

# Arrow types of a Parquet footer and the Spark types Spark's own inference gives them
PLAIN_TYPES = {
    "bool": "BOOLEAN",
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INT",
    "int64": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "string": "STRING",
    "large_string": "STRING",
    "date32[day]": "DATE",
}
MAX_FOOTERS = 32
"""Files whose footers are read for the schema; beyond that, Spark infers it."""


def parquet_schema(files: tuple[Path, ...]) -> str | None:
    """The Spark schema (DDL) of local Parquet ``files`` from their footers, or None.

    None (Spark infers the schema) unless every file is a local file with the same columns,
    all of :data:`PLAIN_TYPES`, and no two names equal but for case.
    """
    if not files or len(files) > MAX_FOOTERS or not all(path.is_file() for path in files):
        return None
    import pyarrow.parquet as pq

    try:
        schemas = [pq.read_schema(path) for path in files]
    except (OSError, ValueError):  # not Parquet, unreadable: Spark says what is wrong
        return None
    first = schemas[0]
    if any(not schema.equals(first, check_metadata=False) for schema in schemas[1:]):
        return None
    if len({name.lower() for name in first.names}) != len(first.names):
        return None
    columns = []
    for field in first:
        kind = PLAIN_TYPES.get(str(field.type))
        if kind is None:
            return None
        columns.append(f"{quote(field.name, 'spark')} {kind}")
    return ", ".join(columns)


def failure(source: Source, exc: BaseException) -> EngineError:
    """One line naming the engine, the data and what Spark says (quoted values left out)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # Spark suggests the data's other column names ("Did you mean ..."): a column is named
    # only when the manifest or a rule names it (docs/security.md)
    text = text.split(" Did you mean")[0].split(" SQLSTATE")[0]
    return EngineError(f"spark: {source.shown}: {without_quoted(text)[:300]}")


def session(settings: Settings | None) -> Any:
    """The SparkSession of the settings (started, or the active one with the same master)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "spark: the pyspark package is not installed (pip install 'governance[spark]')"
        ) from None
    master = (settings.spark_master if settings else None) or DEFAULT_MASTER
    conf = dict(LOCAL_CONF) if master.startswith("local") else {}
    conf.update(dict(settings.spark_conf) if settings else {})
    logging.getLogger("py4j").setLevel(logging.ERROR)
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    try:
        builder = SparkSession.builder.appName("governance")
        builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
        for key, value in conf.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
    except Exception as exc:  # py4j, Java missing, connection refused: all one error here
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineError(f"spark: cannot start a session at {master}: {text[:300]}") from None
    if hasattr(spark, "sparkContext") and master.startswith("local"):
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def in_background(function: Callable[[], Any]) -> Future[Any]:
    """``function()`` run in a daemon thread; its result (or exception) from the future."""
    future: Future[Any] = Future()

    def work() -> None:
        try:
            future.set_result(function())
        except BaseException as exc:  # handed to whoever reads the result
            future.set_exception(exc)

    threading.Thread(target=work, name="governance-snapshot", daemon=True).start()
    return future


class SparkEngine:
    """A SparkSession with the data as a temporary view."""

    name = "spark"
    dialect = "spark"

    def __init__(self, manifest: Manifest, source: Source, settings: Settings | None) -> None:
        self.manifest = manifest
        self.source = source
        self._snapshot: Future[dict[str, Any]] | None = None
        if source.table is None:  # files: digested while Spark starts and counts
            self._snapshot = in_background(lambda: file_snapshot(manifest, source.files))
        self.spark = session(settings)
        from pyspark.sql import functions

        try:
            if source.table is not None:
                frame = self.spark.table(source.table)
            else:
                reader = self.spark.read.format(source.format or "parquet")
                if source.format == "csv":
                    reader = reader.option("header", "true").option("inferSchema", "true")
                schema = parquet_schema(source.files) if source.format == "parquet" else None
                if schema is not None:  # from the footers: no inference job
                    reader = reader.schema(schema)
                frame = reader.load([str(path) for path in source.files])
            if source.where is not None:
                check_where(source.where, source, frame.columns)
                frame = frame.filter(functions.expr(source.where))
            frame.createOrReplaceTempView(VIEW)
            self._columns = {name: kind for name, kind in frame.dtypes}
        except EngineError:
            raise
        except Exception as exc:
            raise failure(source, exc) from None

    @property
    def version(self) -> str:
        """Spark's version."""
        return str(self.spark.version)

    def columns(self) -> dict[str, str]:
        """Each column and its Spark type."""
        return dict(self._columns)

    def run(self, query: str) -> Any:
        """The query's result as a pyarrow table."""
        try:
            return self.spark.sql(query).toArrow()
        except Exception as exc:
            raise failure(self.source, exc) from None

    def snapshot(self) -> dict[str, Any]:
        """Files with digests for a path; for a table its name and, for Delta, its version."""
        if self._snapshot is not None:
            return self._snapshot.result()
        found: dict[str, Any] = {"table": self.source.table}
        try:
            history = self.spark.sql(f"DESCRIBE HISTORY {self.source.table} LIMIT 1").collect()
            if history:
                found["delta_version"] = int(history[0]["version"])
        except Exception:  # noqa: S110 - not a Delta table: the name and Spark's version only
            pass
        return found

    def close(self) -> None:
        """Drop the view (the session stays for the process: starting one takes seconds)."""
        with contextlib.suppress(Exception):  # a stopped session has no view to drop
            self.spark.catalog.dropTempView(VIEW)
