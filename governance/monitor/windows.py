"""A production decision log cut into time windows, read in chunks, checked to be in time order.

The log is a CSV or Parquet file, or a glob of them read in name order (a log rotated daily as
``decisions-2026-01-05.csv``, ...). Rows must be in time order, across files too: the first row
earlier than the one before it stops the monitor with a DataError naming the file and row. A
window is ``[start, start + width)``; windows are laid from ``since`` (default: midnight UTC of
the first row's day) and rows at or after ``until`` are left out. Only one window's rows are held
at a time.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from governance.data import open_data_file
from governance.errors import DataError, InputError

DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
NOT_A_DURATION = "{name} must be a duration such as 7d, 12h, 30m or 2w, found {value!r}"
NOT_A_TIME = (
    "{name} must be a date or an ISO 8601 time (2026-02-16, 2026-02-16T08:00:00Z), found {value!r}"
)
NO_LOG = "no log file matches {pattern!r}"
NO_TIME_COLUMN = "the log has no time column {column!r} (columns: {columns})"
MISSING_COLUMNS = "the log lacks {columns}, which the manifest names ({why})"
BAD_TIME = "{where}: {column} {value!r} is not a time (ISO 8601, e.g. 2026-01-05T08:00:00Z)"
NO_TIME = "{where}: {column} is empty"
OUT_OF_ORDER = (
    "{where}: {column} {value} is earlier than the row before it ({previous}): the log must be in "
    "time order"
)
MIXED_TYPES = "the log's files give a column different types: {reason}"
EMPTY_RANGE = "--until ({until}) must be after --since ({since})"


def parse_duration(value: str, name: str = "window") -> timedelta:
    """``"7d"`` -> 7 days; units s, m, h, d, w. Anything else (or zero) is an InputError."""
    match = DURATION.match(value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) == 0:
        raise InputError(NOT_A_DURATION.format(name=name, value=value), field=name)
    return timedelta(seconds=int(match.group(1)) * UNIT_SECONDS[match.group(2)])


def format_duration(width: timedelta) -> str:
    """7 days -> ``"7d"``: the largest unit that divides it."""
    seconds = int(width.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % UNIT_SECONDS[unit] == 0:
            return f"{seconds // UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def parse_time(value: str | datetime, name: str) -> datetime:
    """A date or ISO 8601 time as an aware UTC datetime (a time without zone is UTC)."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(NOT_A_TIME.format(name=name, value=value), field=name) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """UTC, ISO 8601, seconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def log_files(pattern: str | Path) -> list[Path]:
    """The log's files: ``pattern`` itself, or the files its glob matches, in name order."""
    text = str(pattern)
    if any(char in text for char in "*?["):
        files = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
    else:
        files = [Path(text)] if Path(text).is_file() else []
    if not files:
        raise DataError(NO_LOG.format(pattern=text), field="log")
    return files


@dataclass(frozen=True)
class Window:
    """One window of the log: bounds, index from ``since``, and rows (a pyarrow table)."""

    index: int
    start: datetime
    end: datetime
    table: Any

    @property
    def rows(self) -> int:
        """How many decisions fall in the window."""
        return int(self.table.num_rows)


@dataclass(frozen=True)
class LogReader:
    """How to read the log: its files, the time column, the columns to keep, the windows."""

    files: Sequence[Path]
    time_column: str
    columns: Sequence[str]
    width: timedelta
    since: datetime | None = None
    until: datetime | None = None
    text: Sequence[str] = ()
    named: dict[str, str] | None = None
    """Columns the manifest names, with why (``"sensitive feature"``), for the column check."""

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise InputError(
                EMPTY_RANGE.format(until=iso(self.until), since=iso(self.since)), field="until"
            )

    def check_columns(self) -> None:
        """Every file has the time column and the manifest's columns, or a DataError (exit 2)."""
        for path in self.files:
            header = open_data_file(path).columns
            if self.time_column not in header:
                shown = ", ".join(header[:8]) + (" ..." if len(header) > 8 else "")
                raise DataError(
                    NO_TIME_COLUMN.format(column=self.time_column, columns=shown),
                    path=path.name,
                    field="time_column",
                )
            missing = [c for c in self.columns if c not in header]
            if missing:
                why = sorted({(self.named or {}).get(c, "model input") for c in missing})
                raise DataError(
                    MISSING_COLUMNS.format(columns=", ".join(missing), why="; ".join(why)),
                    path=path.name,
                    field="log",
                )

    def check_order(self) -> None:
        """Read the time column alone: a row that is not a time, or out of order, stops here."""
        previous: int | None = None
        for path, first_row, batch, micros in self._timed_batches(time_only=True):
            previous = _check_order(micros, previous, path, first_row, self.time_column, batch)

    def windows(self) -> Iterator[Window]:
        """The windows holding at least one row, in time order, each read whole."""
        import pyarrow as pa

        start = None if self.since is None else self.since
        step = int(self.width.total_seconds() * 1_000_000)
        current: int | None = None
        parts: list[Any] = []
        previous: int | None = None
        for path, first_row, batch, micros in self._timed_batches():
            previous = _check_order(micros, previous, path, first_row, self.time_column, batch)
            if start is None:
                day = datetime.fromtimestamp(int(micros[0]) // 1_000_000, UTC)
                start = day.replace(hour=0, minute=0, second=0, microsecond=0)
            origin = _micros(start)
            index = (micros - origin) // step
            keep = micros >= origin
            if self.until is not None:
                keep &= micros < _micros(self.until)
            for value in _distinct_sorted(index[keep]):
                rows = batch.filter(pa.array(keep & (index == value)))
                if current is not None and value != current:
                    yield self._window(current, start, parts)
                    parts = []
                current = int(value)
                parts.append(rows)
        if current is not None and start is not None:
            yield self._window(current, start, parts)

    def close(self) -> None:
        """Nothing to release: each file is opened as it is read."""

    def _window(self, index: int, start: datetime, parts: list[Any]) -> Window:
        import pyarrow as pa

        try:
            table = pa.Table.from_batches(parts)
        except pa.ArrowInvalid:  # files read with other types (a column empty in one file)
            tables = [pa.Table.from_batches([part]) for part in parts]
            try:
                table = pa.concat_tables(tables, promote_options="permissive")
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise DataError(MIXED_TYPES.format(reason=str(exc).splitlines()[0])) from None
        table = table.combine_chunks()
        begin = start + index * self.width
        return Window(index=index, start=begin, end=begin + self.width, table=table)

    def _timed_batches(self, *, time_only: bool = False) -> Iterator[tuple[Path, int, Any, Any]]:
        """``(file, first row number, batch, times in µs since the epoch)`` for every batch."""
        wanted = [self.time_column]
        if not time_only:
            wanted = list(dict.fromkeys([self.time_column, *self.columns]))
        for path in self.files:
            source = open_data_file(path).select(wanted, text=self.text, named=wanted)
            row = 1
            for batch in source.batches():
                micros = _times(batch.column(self.time_column), path, row, self.time_column)
                yield path, row, batch, micros
                row += batch.num_rows


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _distinct_sorted(values: Any) -> list[int]:
    import numpy as np

    return [int(v) for v in np.unique(values)]


def _times(column: Any, path: Path, first_row: int, name: str) -> Any:
    """The column as int64 µs since the epoch (UTC); a value that is not a time is a DataError."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(column.type):
        typed = column if column.type.tz else pc.assume_timezone(column, "UTC")
        stamps = typed.cast(pa.timestamp("us", tz="UTC"))
    else:
        text = column.cast(pa.string())
        stamps = None
        for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):
            try:
                stamps = pc.cast(text, target)
                break
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
        if stamps is None:
            _raise_bad_value(text, path, first_row, name)
        if not stamps.type.tz:  # a time without zone is UTC
            stamps = pc.assume_timezone(stamps, "UTC")
    if stamps.null_count:
        row = first_row + int(np.flatnonzero(np.asarray(stamps.is_null()))[0])
        raise DataError(NO_TIME.format(where=f"row {row}", column=name), path=path.name)
    return np.asarray(stamps.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _raise_bad_value(text: Any, path: Path, first_row: int, name: str) -> None:
    for offset, value in enumerate(text.to_pylist()):
        if value is None:
            continue
        try:
            parse_time(value, name)
        except InputError:
            where = f"row {first_row + offset}"
            raise DataError(
                BAD_TIME.format(where=where, column=name, value=value), path=path.name
            ) from None
    raise DataError(
        BAD_TIME.format(where=f"rows from {first_row}", column=name, value=text[0].as_py()),
        path=path.name,
    )


def _check_order(
    micros: Any, previous: int | None, path: Path, first_row: int, name: str, batch: Any
) -> int:
    """The batch's last time; a row earlier than the one before it is a DataError naming it."""
    import numpy as np

    values = micros if previous is None else np.concatenate([[previous], micros])
    back = np.flatnonzero(np.diff(values) < 0)
    if back.size:
        at = int(back[0]) + (0 if previous is None else -1) + 1
        row = first_row + at
        before = values[int(back[0])]
        raise DataError(
            OUT_OF_ORDER.format(
                where=f"row {row}",
                column=name,
                value=_show(int(micros[at])),
                previous=_show(int(before)),
            ),
            path=path.name,
        )
    return int(micros[-1]) if len(micros) else (previous or 0)


def _show(micros: int) -> str:
    return iso(datetime.fromtimestamp(micros / 1_000_000, UTC))
