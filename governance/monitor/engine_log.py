"""A production log read through a SQL engine: files with DuckDB, or a Spark table.

``--log-engine duckdb`` reads the log's CSV or Parquet files with embedded DuckDB (confined to
those files); ``--log-table NAME`` reads a table with the Spark session of the settings. The
engine selects each window's rows (``time >= start AND time < end ORDER BY time``, the bounds
passed as query parameters) and hands them on as a pyarrow table, so only one window is held at
a time and everything downstream is the file path's. A table has no row order and windows are
selected by time, so the order of the rows does not matter here: no out-of-order check is made.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.data.engines.csv_types import csv_types
from governance.errors import DataError, EngineError, InputError
from governance.monitor.windows import EMPTY_RANGE, MISSING_COLUMNS, NO_TIME_COLUMN, Window, iso
from governance.redact import without_quoted

if TYPE_CHECKING:
    from governance.config import Settings

VIEW = "governance_log"
TABLE_NEEDS_SPARK = "--log-table reads a table with the spark engine, not {engine}"
FILES_NOT_SPARK = "--log-engine spark reads a table: give --log-table NAME instead of --log"
ONE_LOG = "give the log as --log FILES or --log-table NAME, not both"
NO_LOG_GIVEN = "give the log: --log FILES or --log-table NAME"
EMPTY_TIMES = "{shown}: {count} rows have an empty {column}"
NOT_TIMES = "{shown}: {column} is not a time ({reason})"


def check_log_options(log: str | None, table: str | None, engine: str | None) -> str:
    """The engine that reads the log, or an InputError for a combination that is not read."""
    if log and table:
        raise InputError(ONE_LOG, field="log")
    if not log and not table:
        raise InputError(NO_LOG_GIVEN, field="log")
    if table:
        if engine not in (None, "spark"):
            raise InputError(TABLE_NEEDS_SPARK.format(engine=engine), field="log_engine")
        return "spark"
    if engine == "spark":
        raise InputError(FILES_NOT_SPARK, field="log_engine")
    return engine or "arrow"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return without_quoted(text.split(" Did you mean")[0].split(" SQLSTATE")[0])[:300]


class DuckDBLog:
    """The log's files as a DuckDB view; only those files are readable."""

    name = "duckdb"

    def __init__(self, files: Sequence[Path]) -> None:
        try:
            import duckdb
        except ImportError:
            raise EngineError(
                "duckdb: the duckdb package is not installed (pip install 'governance[gate]')"
            ) from None
        self.module = duckdb
        self.shown = "the log"
        self.connection = duckdb.connect(":memory:")
        names = [str(path) for path in files]
        listed = ", ".join("'" + name.replace("'", "''") + "'" for name in names)
        try:
            for statement in (
                "SET enable_progress_bar = false",
                "SET TimeZone = 'UTC'",
                "SET autoinstall_known_extensions = false",
                "SET autoload_known_extensions = false",
                f"SET allowed_paths = [{listed}]",  # the log's own files, quoted as literals
                "SET enable_external_access = false",
            ):
                self.connection.execute(statement)
            if all(path.suffix == ".parquet" for path in files):
                relation = self.connection.read_parquet(names)
            else:
                relation = self.connection.read_csv(names, dtype=csv_types(files[0]))
            self.connection.register(VIEW, relation)
            self.columns = list(relation.columns)
        except duckdb.Error as exc:
            self.close()
            raise EngineError(f"duckdb: {self.shown}: {_one_line(exc)}") from None

    def quote(self, name: str) -> str:
        """An identifier, quoted."""
        return '"' + name.replace('"', '""') + '"'

    def param(self, name: str) -> str:
        """A named query parameter."""
        return f"${name}"

    def epoch_us(self, expression: str) -> str:
        """Microseconds since the epoch of a timestamp expression."""
        return f"epoch_us({expression})"

    def cast_time(self, expression: str) -> str:
        """A column as a UTC timestamp."""
        return f"CAST({expression} AS TIMESTAMPTZ)"

    def attempt(self, query: str, params: dict[str, Any]) -> tuple[Any, str | None]:
        """The query's result as a pyarrow table, or what DuckDB says is wrong."""
        try:
            return self.connection.execute(query, params).to_arrow_table(), None
        except self.module.Error as exc:
            return None, _one_line(exc)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


class SparkLog:
    """A Spark table (by name, from the settings' session) as a temporary view."""

    name = "spark"

    def __init__(self, table: str, settings: Settings | None) -> None:
        from governance.data.engines.spark import session

        self.spark = session(settings)
        self.shown = f"table {table}"
        try:
            frame = self.spark.table(table)  # parsed as a table name, never as SQL
            frame.createOrReplaceTempView(VIEW)
            self.columns = list(frame.columns)
        except Exception as exc:
            raise EngineError(f"spark: {self.shown}: {_one_line(exc)}") from None

    def quote(self, name: str) -> str:
        """An identifier, quoted."""
        return "`" + name.replace("`", "``") + "`"

    def param(self, name: str) -> str:
        """A named query parameter."""
        return f":{name}"

    def epoch_us(self, expression: str) -> str:
        """Microseconds since the epoch of a timestamp expression."""
        return f"unix_micros({expression})"

    def cast_time(self, expression: str) -> str:
        """A column as a timestamp (the session's time zone is UTC for a local master)."""
        return f"CAST({expression} AS TIMESTAMP)"

    def attempt(self, query: str, params: dict[str, Any]) -> tuple[Any, str | None]:
        """The query's result as a pyarrow table, or what Spark says is wrong."""
        try:
            return self.spark.sql(query, args=params).toArrow(), None
        except Exception as exc:
            return None, _one_line(exc)

    def close(self) -> None:
        """Drop the view (the session stays for the process)."""
        with contextlib.suppress(Exception):  # a stopped session has no view to drop
            self.spark.catalog.dropTempView(VIEW)


@dataclass
class EngineLogReader:
    """The LogReader's interface over a SQL engine: columns checked, windows selected by time."""

    engine: Any
    time_column: str
    columns: Sequence[str]
    width: timedelta
    since: datetime | None = None
    until: datetime | None = None
    text: Sequence[str] = ()
    named: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.until <= self.since:
            self.engine.close()
            raise InputError(
                EMPTY_RANGE.format(until=iso(self.until), since=iso(self.since)), field="until"
            )

    def check_columns(self) -> None:
        """The log has the time column and the manifest's columns, or a DataError (exit 2)."""
        header = self.engine.columns
        if self.time_column not in header:
            shown = ", ".join(header[:8]) + (" ..." if len(header) > 8 else "")
            raise DataError(
                NO_TIME_COLUMN.format(column=self.time_column, columns=shown),
                field="time_column",
            )
        missing = [c for c in self.columns if c not in header]
        if missing:
            why = sorted({(self.named or {}).get(c, "model input") for c in missing})
            raise DataError(
                MISSING_COLUMNS.format(columns=", ".join(missing), why="; ".join(why)), field="log"
            )

    def check_order(self) -> None:
        """Every time is a time and none is empty (rows are selected by time: order is moot)."""
        time = self.engine.quote(self.time_column)
        empty_rows = f"count(*) - count({self.engine.cast_time(time)})"
        query = f"SELECT {empty_rows} AS empty FROM {VIEW}"  # noqa: S608 - quoted names only
        counted, reason = self.engine.attempt(query, {})
        if reason is not None:
            raise DataError(
                NOT_TIMES.format(shown=self.engine.shown, column=self.time_column, reason=reason),
                field="time_column",
            )
        empty = counted.column("empty")[0].as_py()
        if empty:
            raise DataError(
                EMPTY_TIMES.format(shown=self.engine.shown, count=empty, column=self.time_column),
                field="time_column",
            )

    def windows(self) -> Iterator[Window]:
        """The windows holding at least one row, in time order, each selected by one query."""
        time = self.engine.cast_time(self.engine.quote(self.time_column))
        start = self.since or self._first_day(time)
        if start is None:
            return
        step = int(self.width.total_seconds() * 1_000_000)
        since, until = self.engine.param("since"), self.engine.param("until")
        bounds = f"{time} >= {since}" + (f" AND {time} < {until}" if self.until else "")
        params: dict[str, Any] = {"since": start}
        if self.until is not None:
            params["until"] = self.until
        origin = int(start.timestamp()) * 1_000_000 + start.microsecond
        index = f"floor(({self.engine.epoch_us(time)} - {origin}) / {step})"
        listed = self._run(
            f"SELECT DISTINCT CAST({index} AS BIGINT) AS w FROM {VIEW} "  # noqa: S608
            f"WHERE {bounds} ORDER BY w",
            params,
        )
        wanted = ", ".join(
            self.engine.quote(c) for c in dict.fromkeys([self.time_column, *self.columns])
        )
        for value in listed.column("w").to_pylist():
            begin = start + int(value) * self.width
            end = begin + self.width
            rows = self._run(
                f"SELECT {wanted} FROM {VIEW} "  # noqa: S608 - quoted names, bound parameters
                f"WHERE {time} >= {since} AND {time} < {until} "
                f"ORDER BY {time}",
                {"since": begin, "until": min(begin + self.width, self.until or end)},
            )
            yield Window(
                index=int(value), start=begin, end=begin + self.width, table=self._typed(rows)
            )

    def _run(self, query: str, params: dict[str, Any]) -> Any:
        table, reason = self.engine.attempt(query, params)
        if reason is not None:
            raise EngineError(f"{self.engine.name}: {self.engine.shown}: {reason}")
        return table

    def close(self) -> None:
        """Release the engine."""
        self.engine.close()

    def _first_day(self, time: str) -> datetime | None:
        first = self._run(f"SELECT min({time}) AS first FROM {VIEW}", {})  # noqa: S608
        moment: datetime | None = first.column("first")[0].as_py()
        if moment is None:
            return None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    def _typed(self, table: Any) -> Any:
        """Group columns as text, as the file path reads them."""
        import pyarrow as pa

        for name in self.text:
            if name in table.column_names and not pa.types.is_string(table.column(name).type):
                at = table.column_names.index(name)
                table = table.set_column(at, name, table.column(name).cast(pa.string()))
        return table.combine_chunks()


def open_log_reader(
    engine: str, log: str | None, table: str | None, settings: Settings | None, **reader: Any
) -> Any:
    """A reader of the log: :class:`LogReader` for ``arrow``, else :class:`EngineLogReader`."""
    from governance.monitor.windows import LogReader, log_files

    if engine == "arrow":
        return LogReader(files=log_files(log or ""), **reader)
    if engine == "duckdb":
        return EngineLogReader(engine=DuckDBLog(log_files(log or "")), **reader)
    assert table is not None
    return EngineLogReader(engine=SparkLog(table, settings), **reader)


def baseline_data(manifest: Any) -> tuple[str, Any]:
    """The baseline's data digest (as the gate records it) and its rows as a pyarrow table.

    Data the duckdb engine reads (``data.engine duckdb``, or by default) is read through DuckDB
    (files, globs and ``data.where`` as the gate read them); otherwise the file is read whole.
    Sensitive features are text, as the file path reads them.
    """
    import pyarrow as pa

    from governance.data import open_data_file
    from governance.data.engines import engine_name
    from governance.gate import file_digest

    data = manifest.spec.data
    if engine_name(manifest) == "duckdb":
        from governance.data.engines import open_engine
        from governance.data.engines.query import VIEW as DATA_VIEW
        from governance.evaluators.engine_inputs import data_digest

        engine = open_engine(manifest)
        try:
            digest = data_digest(engine.snapshot())
            table = engine.run(f"SELECT * FROM {DATA_VIEW}")  # noqa: S608 - a fixed view name
        finally:
            engine.close()
        for name in data.sensitive_features:
            if name in table.column_names and not pa.types.is_string(table.column(name).type):
                at = table.column_names.index(name)
                table = table.set_column(at, name, table.column(name).cast(pa.string()))
        return digest, table
    source = open_data_file(manifest.data_path)
    source = source.select(source.columns, text=data.sensitive_features)
    table = pa.Table.from_batches(list(source.batches()), schema=source.schema)
    return file_digest(manifest.data_path), table
