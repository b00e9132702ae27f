"""Labels and column values: the target compared with the positive label, chunk by chunk.

A column is encoded as codes and distinct values (:func:`encode_column`); the target is checked
to be binary, complete and to hold the positive label (:class:`TargetCheck`), and predicted
labels to be the target's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.errors import DataError
from governance.manifest import Manifest

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


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
                f"target column {spec.target!r} has {len(self.labels)} labels; a binary task "
                "needs two",
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
                f"{spec.target!r}, which holds {len(self.labels)} other labels",
                "data",
                "positive_label",
            )

    def check_predicted(
        self, labels: set[Any], what: str, path: Path | None, *, show: bool = False
    ) -> None:
        """Predicted labels must be the target's labels (or the positive label).

        ``show`` names the labels predicted that the target lacks (a model's classes, not
        values read from the data); the target's labels are never shown.
        """
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
            shown = shown_labels(odd) if show else f"{len(odd)} of them"
            raise DataError(
                f"{what} has labels the target {spec.target!r} does not have ({shown}); "
                f"predictions must use the target's {len(self.labels)} labels",
                path=path,
            )
