"""Read the evaluation data a manifest points at, in chunks, and check it fits the manifest.

CSV and Parquet are read with pyarrow in chunks (CSV: the streaming reader, blocks of
:data:`CSV_BLOCK_BYTES`; Parquet: ``iter_batches``), so a file of any size can be evaluated in
bounded memory (see :mod:`governance.evaluators.stream`). CSV cells are read as pandas'
``read_csv`` reads them (the same missing-value markers and booleans; dates stay text); a CSV
column's type is inferred from the first block, and a later value that does not fit it is an
error naming the column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.errors import DataError
from governance.manifest import Manifest

if TYPE_CHECKING:
    import numpy as np
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


@dataclass(frozen=True)
class EvaluationData:
    """The evaluation table with the target binarised against the positive label.

    ``frame`` and ``y_true`` hold every row, or, when ``sampled``, a seeded uniform sample of
    the rows of data too large to hold (``rows`` is always the file's row count).
    """

    frame: pd.DataFrame
    y_true: np.ndarray[Any, np.dtype[np.int8]]
    path: Path
    format: str
    total_rows: int | None = None
    sampled: bool = False

    @property
    def rows(self) -> int:
        """Number of rows in the file."""
        return len(self.frame) if self.total_rows is None else self.total_rows

    def columns(self) -> list[dict[str, str]]:
        """Name and type of every column, for schema facets and the record."""
        return [
            {"name": str(name), "type": str(dtype)} for name, dtype in self.frame.dtypes.items()
        ]


def data_format(manifest: Manifest) -> str:
    """The declared format, or the one the file's suffix implies."""
    declared = manifest.spec.data.format
    if declared:
        return declared
    name = manifest.data_path.name.lower()
    for suffix, fmt in SUFFIX_FORMATS.items():
        if name.endswith(suffix):
            return fmt
    raise manifest.error(
        f"cannot tell the format of {manifest.spec.data.path!r}: set data.format to csv or parquet",
        "data",
        "path",
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class TableSource:
    """An evaluation data file, opened to be read chunk by chunk.

    Attributes
    ----------
    path, format
        The file and ``csv`` or ``parquet``.
    schema
        The pyarrow schema of its columns.
    rows
        The number of rows when the file says (Parquet), else None.
    """

    path: Path
    format: str
    schema: Any
    rows: int | None = None
    _csv_types: tuple[tuple[str, Any], ...] = ()
    _hidden: tuple[str, ...] = ()  # a pandas index stored as a Parquet column

    @property
    def columns(self) -> list[str]:
        """The column names."""
        return [str(name) for name in self.schema.names if name not in self._hidden]

    def batches(self, dictionary_columns: tuple[str, ...] = ()) -> Iterator[Any]:
        """The file's rows as pyarrow record batches, in order.

        ``dictionary_columns`` (Parquet) are read dictionary-encoded, which spares building
        their strings.
        """
        try:
            if self.format == "csv":
                yield from self._csv_reader()
            else:
                yield from self._parquet_batches(dictionary_columns)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise self._read_error(exc) from None

    def _read_error(self, exc: BaseException) -> DataError:
        """A read failure, naming the column when pyarrow says which (by number)."""
        text = _first_line(exc)
        found = re.match(r"In CSV column #(\d+): (.*)", text)
        if found and int(found.group(1)) < len(self.schema.names):
            column = str(self.schema.names[int(found.group(1))])
            return DataError(
                f"cannot read csv data: {found.group(2)} (a column's type is inferred from the "
                f"first {CSV_BLOCK_BYTES >> 20} MiB of the file)",
                path=self.path,
                field=column,
            )
        return DataError(f"cannot read {self.format} data: {text}", path=self.path)

    def _csv_reader(self) -> Any:
        import pyarrow.csv as pcsv

        return pcsv.open_csv(
            self.path,
            read_options=pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            convert_options=_csv_convert_options(dict(self._csv_types)),
        )

    def _parquet_batches(self, dictionary_columns: tuple[str, ...]) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        textual = [
            name
            for name in dictionary_columns
            if pa.types.is_string(self.schema.field(name).type)
            or pa.types.is_large_string(self.schema.field(name).type)
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
        columns = self.columns if self._hidden else None
        for batch in handle.iter_batches(
            batch_size=size, columns=columns, use_pandas_metadata=False
        ):
            yield batch.replace_schema_metadata(None)


def _csv_convert_options(column_types: dict[str, Any]) -> Any:
    import pyarrow.csv as pcsv

    return pcsv.ConvertOptions(
        null_values=NA_VALUES,
        true_values=TRUE_VALUES,
        false_values=FALSE_VALUES,
        strings_can_be_null=True,
        column_types=column_types or None,
    )


def open_table(manifest: Manifest) -> TableSource:
    """Open the manifest's evaluation data; a missing or unreadable file is an error here."""
    fmt = data_format(manifest)
    path = manifest.data_path
    if not path.is_file():
        raise manifest.error(f"evaluation data not found: {path}", "data", "path")
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            handle = pq.ParquetFile(path)
            schema = handle.schema_arrow
            index = (schema.pandas_metadata or {}).get("index_columns", [])
            hidden = tuple(name for name in index if isinstance(name, str))
            return TableSource(path, fmt, schema, rows=handle.metadata.num_rows, _hidden=hidden)
        return _open_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {fmt} data: {_first_line(exc)}", path=path) from None


def _open_csv(path: Path) -> TableSource:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    def schema_of(types: dict[str, Any]) -> Any:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            convert_options=_csv_convert_options(types),
        )
        schema = reader.schema
        reader.close()
        return schema

    schema = schema_of({})
    # pandas leaves dates and times as text; so do we.
    temporal = {
        field.name: pa.string()
        for field in schema
        if pa.types.is_temporal(field.type) or pa.types.is_null(field.type)
    }
    if temporal:
        schema = schema_of(temporal)
    return TableSource(path, "csv", schema, _csv_types=tuple(temporal.items()))


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


def encode_column(column: Any) -> tuple[np.ndarray[Any, np.dtype[np.int64]], list[Any], int]:
    """Codes (-1 for missing), the distinct values, and how many values are missing.

    ``column`` is a pandas Series or a pyarrow array; NaN counts as missing.
    """
    import numpy as np
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray | pa.Array):
        return _encode_arrow(column)
    import pandas as pd

    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    return codes, [plain(v) for v in uniques], int(np.count_nonzero(codes < 0))


def _encode_arrow(array: Any) -> tuple[np.ndarray[Any, np.dtype[np.int64]], list[Any], int]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_floating(array.type):  # NaN is missing too (as in pandas)
        array = pc.if_else(pc.is_nan(array), pa.scalar(None, array.type), array)
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    indices = array.indices
    missing = indices.null_count
    if missing:
        indices = pc.fill_null(indices, -1)
    codes = np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes, array.dictionary.to_pylist(), int(missing)


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds."""
    return value.item() if hasattr(value, "item") else value


def _is_numeric_type(arrow_type: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    return bool(
        pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_decimal(arrow_type)
    )


def value_matches(value: Any, label: Any, numeric: bool) -> bool:
    """Whether one value equals ``label``, as :func:`matches_label` compares."""
    if numeric:
        if isinstance(label, str):
            try:
                label = float(label)
            except ValueError:
                return str(value) == str(label)
        return bool(value == label)  # numbers and booleans compare as numbers
    return str(value) == str(label)


def label_key(value: Any, numeric: bool) -> Any:
    """A value as labels are compared: a number for numeric columns, else text."""
    if numeric and not isinstance(value, str):
        return float(value)
    return str(value)


@dataclass(frozen=True)
class LabelChunk:
    """One chunk of a label column compared with the positive label."""

    positive: np.ndarray[Any, np.dtype[np.int8]]
    labels: list[Any]
    missing: int
    numeric: bool


def binarise(array: Any, label: Any) -> LabelChunk:
    """Rows of a pyarrow ``array`` equal to ``label`` (compared as :func:`matches_label`)."""
    import numpy as np

    numeric = _is_numeric_type(array.type)
    codes, values, missing = encode_column(array)
    matches = np.asarray([value_matches(v, label, numeric) for v in values] + [False], dtype=bool)
    positive = matches[codes].astype(np.int8)  # code -1 (missing) takes the trailing False
    return LabelChunk(positive, values, missing, numeric)


def numeric_values(array: Any) -> tuple[np.ndarray[Any, np.dtype[np.float64]], int, int]:
    """A column as float64 (text coerced as ``pandas.to_numeric``), missing and infinite counts."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    if _is_numeric_type(array.type):
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
    else:
        series = pd.to_numeric(array.to_pandas(), errors="coerce")
        values = np.asarray(series, dtype=np.float64)
    missing = int(np.count_nonzero(np.isnan(values)))
    infinite = int(np.count_nonzero(np.isinf(values)))
    return values, missing, infinite


def shown_labels(labels: list[Any], limit: int = 5) -> str:
    """``'a', 'b', 'c'`` (at most ``limit``), sorted as text."""
    return ", ".join(repr(plain(v)) for v in sorted(labels, key=str)[:limit])


def matches_label(values: pd.Series, label: Any) -> pd.Series:
    """Rows of ``values`` equal to ``label``, comparing as text when the types differ."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        if isinstance(label, str):
            try:
                label = float(label)
            except ValueError:
                return values.astype(str) == label
        return values == label
    return values.astype(str) == str(label)


def missing_group_values(column: str, missing: int, path: Path) -> DataError:
    """The error for a sensitive feature with missing values."""
    return DataError(
        f"sensitive feature {column!r} has {missing} missing values; "
        "fill them with an explicit group (e.g. 'unknown') so no row drops out",
        path=path,
        field=column,
    )


def single_group(column: str, path: Path) -> DataError:
    """The error for a sensitive feature with one group only."""
    return DataError(
        f"sensitive feature {column!r} has a single group; comparing groups needs two",
        path=path,
        field=column,
    )


def check_group_columns(data: EvaluationData, columns: list[str]) -> None:
    """Columns that define groups must be complete and hold at least two groups."""
    for column in columns:
        values = data.frame[column]
        missing = int(values.isna().sum())
        if missing:
            raise missing_group_values(column, missing, data.path)
        if values.nunique() < 2:
            raise single_group(column, data.path)


def check_manifest_columns(manifest: Manifest, columns: list[str]) -> None:
    """The target, prediction, score and sensitive columns the manifest names must exist."""
    spec = manifest.spec.data
    named = {"target": spec.target, "prediction": spec.prediction, "score": spec.score}
    for field_name, column in named.items():
        if column is not None and column not in columns:
            raise manifest.error(
                f"column {column!r} is not in {manifest.data_path.name} "
                f"(columns: {', '.join(map(str, columns[:12]))})",
                "data",
                field_name,
            )
    for index, column in enumerate(spec.sensitive_features):
        if column not in columns:
            raise manifest.error(
                f"sensitive feature {column!r} is not a column of {manifest.data_path.name}",
                "data",
                "sensitive_features",
                index,
            )


class TargetCheck:
    """The target column over all chunks: labels seen, missing values, any positive row."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.labels: set[Any] = set()
        self.keys: set[Any] = set()
        self.numeric = False
        self.missing = 0
        self.positives = 0

    def add(self, array: Any) -> np.ndarray[Any, np.dtype[np.int8]]:
        """Binarise one chunk of the target; more than two labels stop at once."""
        spec = self.manifest.spec.data
        chunk = binarise(array, spec.positive_label)
        self.numeric = chunk.numeric
        self.missing += chunk.missing
        self.positives += int(chunk.positive.sum())
        self.labels.update(chunk.labels)
        self.keys.update(label_key(v, chunk.numeric) for v in chunk.labels)
        if len(self.labels) > 2:
            raise DataError(
                f"target column {spec.target!r} has {len(self.labels)} labels "
                f"({shown_labels(list(self.labels))}...); a binary task needs two",
                path=self.manifest.data_path,
                field=spec.target,
            )
        return chunk.positive

    def finish(self) -> None:
        """Errors only the whole column shows: missing values, a positive label never seen."""
        spec = self.manifest.spec.data
        if self.missing:
            raise DataError(
                f"target column {spec.target!r} has {self.missing} missing values",
                path=self.manifest.data_path,
                field=spec.target,
            )
        if not self.positives:
            raise self.manifest.error(
                f"positive_label {spec.positive_label!r} does not occur in column "
                f"{spec.target!r} (values: {shown_labels(list(self.labels), 100)})",
                "data",
                "positive_label",
            )

    def check_predicted(self, labels: set[Any], what: str, path: Path | None) -> None:
        """Predicted labels must be the target's labels (or the positive label)."""
        spec = self.manifest.spec.data
        texts = {str(v) for v in self.labels}
        numbers = {k for k in self.keys if not isinstance(k, str)}

        def known(value: Any) -> bool:
            numeric = not isinstance(value, str)
            if numeric and label_key(value, True) in numbers:
                return True
            return str(value) in texts or value_matches(value, spec.positive_label, numeric)

        odd = [value for value in labels if not known(value)]
        if odd:
            raise DataError(
                f"{what} has labels the target {spec.target!r} does not have "
                f"({shown_labels(odd)}); predictions must use the target's labels "
                f"({shown_labels(list(self.labels))})",
                path=path,
            )


def load_evaluation_data(manifest: Manifest) -> EvaluationData:
    """Read the whole file into memory and check the columns the manifest names are usable.

    For data of any size, :func:`governance.evaluators.stream.load_inputs` reads it in chunks.
    """
    import pyarrow as pa

    source = open_table(manifest)
    check_manifest_columns(manifest, source.columns)
    batches = list(source.batches())
    table = pa.Table.from_batches(batches, schema=batches[0].schema if batches else None)
    if table.num_rows == 0:
        raise DataError("evaluation data has no rows", path=manifest.data_path)
    target = TargetCheck(manifest)
    y_true = target.add(table.column(manifest.spec.data.target))
    target.finish()
    data = EvaluationData(
        frame=to_pandas(table), y_true=y_true, path=manifest.data_path, format=source.format
    )
    check_group_columns(data, list(manifest.spec.data.sensitive_features))
    return data


def finite(value: float) -> bool:
    """Neither NaN nor infinite."""
    return not (math.isnan(value) or math.isinf(value))
