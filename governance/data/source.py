"""An evaluation data file (CSV or Parquet), opened to be read chunk by chunk.

CSV and Parquet are read with pyarrow in chunks (CSV: the streaming reader, blocks of
:data:`CSV_BLOCK_BYTES`; Parquet: ``iter_batches``), so a file of any size can be evaluated in
bounded memory (see :mod:`governance.evaluators.stream`). CSV cells are read as pandas'
``read_csv`` reads them (the same missing-value markers and booleans; dates stay text); a CSV
column's type is inferred from the first block, and a later value that does not fit it is an
error naming the column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.errors import DataError
from governance.manifest import Manifest
from governance.redact import without_quoted

if TYPE_CHECKING:
    import pandas as pd

SUFFIX_FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".csv.bz2": "csv",
    ".csv.zst": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
CSV_BLOCK_BYTES = 16 << 20
# The widest tables a fairness or performance check needs have a few thousand columns (one-hot or
# text features); pyarrow's CSV type inference costs memory per column of a 16 MiB block (a
# 100,000-column, 5 MB file took 1.2 GB), so a wider file is refused, not read. 10,000 names of
# up to 400 bytes fit in MAX_HEADER_BYTES; a first line longer than that is not a header.
MAX_COLUMNS = 10_000
MAX_HEADER_BYTES = 4 << 20
# A Parquet footer grows with columns x row groups (a few hundred bytes each): 64 MiB holds
# 10,000 columns in 32 row groups, or 100 columns in 3,000; pyarrow parses it whole.
MAX_PARQUET_FOOTER_BYTES = 64 << 20
PARQUET_BATCH_BYTES = 64 << 20
PARQUET_BATCH_ROWS = (1 << 16, 1 << 20)
# pandas.read_csv's default missing-value markers and booleans, so both readers agree.
NA_VALUES = [
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
]
TRUE_VALUES = ["True", "TRUE", "true"]
FALSE_VALUES = ["False", "FALSE", "false"]

# Errors about the file name columns the manifest, the rules or the model ask for, and numbers
# and positions: never a value read from the file, nor a column name only the file gives (the
# file may be a .env or a key named as data; the error goes to a CI log).
TOO_MANY_COLUMNS = "the header has {count} columns; at most {limit} are read"
HEADER_TOO_LONG = (
    "the first line is longer than {limit} MiB: not a header (at most {columns} columns are read)"
)
HEADER_NOT_TEXT = "the header is not UTF-8 text"
EMPTY_CSV = "the file is empty: no header"
PARQUET_FOOTER_TOO_LARGE = (
    "the Parquet metadata is {size} MiB; at most {limit} MiB are read "
    "(and at most {columns} columns)"
)
ROW_WIDTH = "a row has {got} fields where the header has {expected}"
BAD_VALUE = (
    "a value is not a valid {type} (a column's type is inferred from the first {mib} MiB of "
    "the file)"
)
NOT_TEXT = "a value is not UTF-8 text"
GROUP_NOT_TEXT = "sensitive feature {column!r}: the value in data row {row} is not UTF-8 text"
UNKNOWN_FORMAT = (
    "cannot tell the format from the file name: a CSV file ends in .csv (or .csv.gz, .csv.bz2, "
    ".csv.zst), a Parquet file in .parquet or .pq"
)
NO_DATA_FILE = "no such data file"
ROW_WIDTH_RE = re.compile(r"Expected (\d+) columns, got (\d+)")
CONVERSION_RE = re.compile(r"CSV conversion error to ([\w\[\], ]+?):")


def suffix_format(path: Path) -> str | None:
    """``csv`` or ``parquet`` as the file's suffix implies, or None."""
    name = path.name.lower()
    for suffix, fmt in SUFFIX_FORMATS.items():
        if name.endswith(suffix):
            return fmt
    return None


def data_format(manifest: Manifest) -> str:
    """The declared format, or the one the file's suffix implies."""
    declared = manifest.spec.data.format
    if declared:
        return declared
    fmt = suffix_format(manifest.data_path)
    if fmt is not None:
        return fmt
    raise manifest.error(
        f"cannot tell the format of {manifest.spec.data.path!r}: set data.format to csv or parquet",
        "data",
        "path",
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _reason(exc: BaseException) -> str:
    """What pyarrow says went wrong, without the cells it quotes (they may be secrets)."""
    text = _first_line(exc)
    found = ROW_WIDTH_RE.search(text)
    if found:
        return ROW_WIDTH.format(got=found.group(2), expected=found.group(1))
    found = CONVERSION_RE.search(text)
    if found:
        return BAD_VALUE.format(type=found.group(1), mib=CSV_BLOCK_BYTES >> 20)
    return without_quoted(text)


@dataclass(frozen=True)
class TableSource:
    """An evaluation data file, opened to be read chunk by chunk, only the columns needed.

    Opening reads the header only (CSV: the first line; Parquet: the footer), refusing a file
    wider than :data:`MAX_COLUMNS`. :meth:`select` chooses the columns to read; the types of
    those columns only are inferred (CSV), so a wide file costs memory for what is used.

    Attributes
    ----------
    path, format
        The file and ``csv`` or ``parquet``.
    header
        Every column name, in the file's order.
    rows
        The number of rows when the file says (Parquet), else None.
    selected
        The columns to read, in the file's order; None for every column.
    text
        Columns whose values must be UTF-8 text (the group columns); a binary column of valid
        UTF-8 is read as text, anything else is a DataError naming the column and row.
    named
        Columns an error may name (those the manifest, the rules or the model name); another
        column is named by its number: its name came from the file alone.
    """

    path: Path
    format: str
    header: tuple[str, ...]
    rows: int | None = None
    selected: tuple[str, ...] | None = None
    text: tuple[str, ...] = ()
    named: frozenset[str] = frozenset()
    _file_schema: Any = None  # Parquet: the schema of every column

    @property
    def columns(self) -> list[str]:
        """Every column name in the file."""
        return list(self.header)

    @property
    def read_columns(self) -> list[str]:
        """The columns :meth:`batches` reads."""
        return list(self.header if self.selected is None else self.selected)

    def select(
        self, columns: Iterable[str], *, text: Iterable[str] = (), named: Iterable[str] = ()
    ) -> TableSource:
        """The same file, reading only ``columns`` (in the file's order), ``text`` as UTF-8."""
        wanted = set(columns)
        return replace(
            self,
            selected=tuple(dict.fromkeys(name for name in self.header if name in wanted)),
            text=tuple(name for name in dict.fromkeys(text) if name in wanted),
            named=frozenset(named) & wanted,
        )

    @property
    def schema(self) -> Any:
        """The pyarrow schema of the columns read (text columns as strings)."""
        return self._plan[0]

    @cached_property
    def _plan(self) -> tuple[Any, dict[str, Any], list[Any]]:
        """The schema of the batches, (CSV) the types to convert columns to, and a reader.

        The CSV reader that inferred the types is kept (the third item) when no column needs
        another type than inferred: :meth:`batches` then reads on from it, and the first block
        is parsed once, not twice.
        """
        import pyarrow as pa

        def textual(kind: Any) -> bool:
            return bool(
                pa.types.is_string(kind)
                or pa.types.is_large_string(kind)
                or pa.types.is_binary(kind)
                or pa.types.is_large_binary(kind)
            )

        if self.format == "parquet":
            as_text = {"binary": pa.string(), "large_binary": pa.large_string()}
            fields = []
            for name in self.read_columns:
                field = self._file_schema.field(name).remove_metadata()
                if name in self.text and str(field.type) in as_text:
                    field = field.with_type(as_text[str(field.type)])
                fields.append(field)
            return pa.schema(fields), {}, []
        with self._reading():
            reader = self._csv_reader({})
            inferred = reader.schema
        types: dict[str, Any] = {}
        fields = []
        for field in inferred:
            # pandas leaves dates and times as text; so do we. Text groups are checked to be
            # UTF-8 as they are read (binary ones here, string ones by pyarrow, the row found
            # by _bad_text_row), to name the row that is not.
            loose = pa.types.is_temporal(field.type) or pa.types.is_null(field.type)
            if field.name in self.text and loose:
                types[field.name] = pa.binary()
            elif loose:
                types[field.name] = pa.string()
            as_string = loose or (field.name in self.text and textual(field.type))
            fields.append(field.with_type(pa.string()) if as_string else field)
        if types:
            reader.close()
            return pa.schema(fields), types, []
        return pa.schema(fields), types, [reader]

    def batches(self, dictionary_columns: tuple[str, ...] = ()) -> Iterator[Any]:
        """The file's rows (the columns read) as pyarrow record batches, in order.

        ``dictionary_columns`` (Parquet) are read dictionary-encoded, which spares building
        their strings.
        """
        with self._reading():
            _, types, spare = self._plan  # a schema that cannot be inferred fails here
            if self.format == "csv":
                chunks = spare.pop() if spare else self._csv_reader(types)
            else:
                chunks = self._parquet_batches(dictionary_columns)
            seen = 0
            try:
                for batch in chunks:
                    if self.text:
                        batch = self._as_text(batch, seen)
                    seen += batch.num_rows
                    yield batch
            except ValueError as exc:
                if self._text_not_utf8(exc):
                    self._bad_text_row(types)
                raise

    def _text_not_utf8(self, exc: BaseException) -> bool:
        """Whether pyarrow failed to read a text group column of a CSV file as a string."""
        found = re.match(r"In CSV column #(\d+): ", _first_line(exc))
        conversion = CONVERSION_RE.search(_first_line(exc))
        return bool(
            self.format == "csv"
            and found
            and int(found.group(1)) < len(self.header)
            and self.header[int(found.group(1))] in self.text
            and conversion
            and conversion.group(1) in ("string", "large_string")
        )

    def _bad_text_row(self, types: dict[str, Any]) -> None:
        """Read the file again with text columns as bytes, to raise the error naming the row."""
        import pyarrow as pa

        seen = 0
        for batch in self._csv_reader({**types, **dict.fromkeys(self.text, pa.binary())}):
            self._as_text(batch, seen)  # raises GROUP_NOT_TEXT at the first value not UTF-8
            seen += batch.num_rows

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
            raise self._read_error(exc) from None

    def _read_error(self, exc: BaseException) -> DataError:
        """A read failure without the file's content, naming the column when pyarrow says."""
        text = _first_line(exc)
        found = re.match(r"In CSV column #(\d+): ", text)
        if not found or int(found.group(1)) >= len(self.header):
            return DataError(f"cannot read {self.format} data: {_reason(exc)}", path=self.path)
        index = int(found.group(1))
        column = self.header[index]
        conversion = CONVERSION_RE.search(text)
        textual = conversion is not None and conversion.group(1) in ("string", "large_string")
        reason = NOT_TEXT if textual else _reason(exc)
        if column in self.named:
            return DataError(f"cannot read csv data: {reason}", path=self.path, field=column)
        return DataError(f"cannot read csv data: column {index + 1}: {reason}", path=self.path)

    def _as_text(self, batch: Any, first_row: int) -> Any:
        """``batch`` with its text columns checked to be UTF-8 and typed as strings."""
        import numpy as np
        import pyarrow as pa

        columns = list(batch.columns)
        for name in self.text:
            index = batch.schema.get_field_index(name)
            column = columns[index]
            encoded = pa.types.is_dictionary(column.type)
            values = column.dictionary if encoded else column
            if pa.types.is_binary(values.type):
                as_text = values.view(pa.string())
            elif pa.types.is_large_binary(values.type):
                as_text = values.view(pa.large_string())
            elif pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
                as_text = values
            else:
                continue
            try:
                as_text.validate(full=True)
            except pa.ArrowInvalid as exc:
                found = re.search(r"string index (\d+)", str(exc))
                position = int(found.group(1)) if found else 0
                if encoded:
                    indices = column.indices.to_numpy(zero_copy_only=False)
                    position = int(np.flatnonzero(indices == position)[0])
                raise DataError(
                    GROUP_NOT_TEXT.format(column=name, row=first_row + position + 1),
                    path=self.path,
                    field=name,
                ) from None
            if as_text is not values:
                columns[index] = (
                    pa.DictionaryArray.from_arrays(column.indices, as_text) if encoded else as_text
                )
        names = batch.schema.names
        return pa.RecordBatch.from_arrays(columns, names=names)

    def _csv_reader(self, column_types: dict[str, Any]) -> Any:
        import pyarrow.csv as pcsv

        return pcsv.open_csv(
            self.path,
            read_options=pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            convert_options=_csv_convert_options(column_types, self.read_columns),
        )

    def _parquet_batches(self, dictionary_columns: tuple[str, ...]) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        textual = [
            name
            for name in dictionary_columns
            if name in self.schema.names
            and (
                pa.types.is_string(self.schema.field(name).type)
                or pa.types.is_large_string(self.schema.field(name).type)
            )
        ]
        # pre_buffer caches every range read until the reader is closed (memory would grow with
        # the file); a buffered stream reads column chunks 1 MiB at a time instead.
        handle = pq.ParquetFile(
            self.path, read_dictionary=textual or None, pre_buffer=False, buffer_size=1 << 20
        )
        meta = handle.metadata
        row_bytes = max(
            sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
            / max(meta.num_rows, 1),
            1.0,
        )
        low, high = PARQUET_BATCH_ROWS
        size = int(min(max(PARQUET_BATCH_BYTES / row_bytes, low), high))
        for batch in handle.iter_batches(
            batch_size=size, columns=self.read_columns, use_pandas_metadata=False
        ):
            yield batch.replace_schema_metadata(None)


def _csv_convert_options(column_types: dict[str, Any], include: list[str] | None = None) -> Any:
    import pyarrow.csv as pcsv

    return pcsv.ConvertOptions(
        null_values=NA_VALUES,
        true_values=TRUE_VALUES,
        false_values=FALSE_VALUES,
        strings_can_be_null=True,
        column_types=column_types or None,
        include_columns=include,
    )


def open_table(manifest: Manifest) -> TableSource:
    """Open the manifest's evaluation data, reading its header only.

    A missing or unreadable file, or one wider than :data:`MAX_COLUMNS`, is an error here.
    """
    fmt = data_format(manifest)
    path = manifest.data_path
    if not path.is_file():
        raise manifest.error(f"evaluation data not found: {path}", "data", "path")
    return open_data_file(path, fmt)


def open_data_file(path: Path, fmt: str | None = None) -> TableSource:
    """Open a CSV or Parquet file by its path, reading its header only.

    Parameters
    ----------
    path
        The file.
    fmt
        ``csv`` or ``parquet``; None: the one its suffix implies.

    Returns
    -------
    TableSource
        The file, to select columns from and read in chunks.

    Raises
    ------
    DataError
        If the file is missing, its format cannot be told, or its header cannot be read (or is
        wider than :data:`MAX_COLUMNS`).
    """
    fmt = fmt or suffix_format(path)
    if fmt is None:
        raise DataError(UNKNOWN_FORMAT, path=path)
    if not path.is_file():
        raise DataError(NO_DATA_FILE, path=path)
    try:
        if fmt == "parquet":
            return _open_parquet(path)
        return TableSource(path, fmt, _csv_header(path))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {fmt} data: {_reason(exc)}", path=path) from None


def _csv_header(path: Path) -> tuple[str, ...]:
    """The column names on the first line, read (decompressed) no further than it needs."""
    import csv

    import pyarrow as pa

    with pa.input_stream(str(path), compression="detect") as stream:
        head = stream.read(MAX_HEADER_BYTES + 1)
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")  # pyarrow skips both too
    ends = [end for end in (head.find(b"\n"), head.find(b"\r")) if end >= 0]
    line = head[: min(ends)] if ends else head
    if len(line) > MAX_HEADER_BYTES:
        raise DataError(
            HEADER_TOO_LONG.format(limit=MAX_HEADER_BYTES >> 20, columns=MAX_COLUMNS), path=path
        )
    if not line:
        raise DataError(EMPTY_CSV, path=path)
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(HEADER_NOT_TEXT, path=path, line=1) from None
    # The csv module splits a line as pyarrow's default ParseOptions do (comma, double quotes
    # doubled inside quotes, no escape character); pyarrow itself would take ~9 KB a column.
    names = next(csv.reader([text]))
    if len(names) > MAX_COLUMNS:
        raise DataError(TOO_MANY_COLUMNS.format(count=len(names), limit=MAX_COLUMNS), path=path)
    return tuple(names)


def _open_parquet(path: Path) -> TableSource:
    import pyarrow.parquet as pq

    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(size - 8, 0))
        tail = handle.read(8)
    footer = int.from_bytes(tail[:4], "little") if len(tail) == 8 else 0
    if footer > MAX_PARQUET_FOOTER_BYTES:
        raise DataError(
            PARQUET_FOOTER_TOO_LARGE.format(
                size=footer >> 20, limit=MAX_PARQUET_FOOTER_BYTES >> 20, columns=MAX_COLUMNS
            ),
            path=path,
        )
    handle = pq.ParquetFile(path)
    width = handle.metadata.num_columns
    if width > MAX_COLUMNS:
        raise DataError(TOO_MANY_COLUMNS.format(count=width, limit=MAX_COLUMNS), path=path)
    schema = handle.schema_arrow
    index = (schema.pandas_metadata or {}).get("index_columns", [])
    hidden = {name for name in index if isinstance(name, str)}  # a pandas index as a column
    header = tuple(str(name) for name in schema.names if name not in hidden)
    return TableSource(path, "parquet", header, rows=handle.metadata.num_rows, _file_schema=schema)


def plain_batch(batch: Any, schema: Any) -> Any:
    """``batch`` with dictionary-encoded columns decoded to the file's own types."""
    import pyarrow as pa

    columns = []
    changed = False
    for index, field in enumerate(batch.schema):
        column = batch.column(index)
        wanted = schema.field(field.name).type
        if pa.types.is_dictionary(field.type) and not pa.types.is_dictionary(wanted):
            column = column.cast(wanted)
            changed = True
        columns.append(column)
    if not changed:
        return batch
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def to_pandas(table: Any) -> pd.DataFrame:
    """A pyarrow table or batch as the DataFrame pandas' own readers would give."""
    frame: pd.DataFrame = table.to_pandas()
    return frame
