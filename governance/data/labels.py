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


def is_numeric_type(arrow_type: Any) -> bool:
    """Whether a pyarrow type holds numbers (booleans and decimals included)."""
    return _is_numeric_type(arrow_type)


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


class ClassEncoder:
    """Class ids of a multiclass task's labels (target and predictions), in first-seen order.

    Labels compare as :func:`label_key` (numbers as numbers, else text); ``first_row`` keeps,
    per class, the first data row (1-based) where it was seen, 0 when rows are not known.
    """

    def __init__(self) -> None:
        self.ids: dict[Any, int] = {}
        self.values: list[Any] = []
        self.first_row: list[int] = []

    def encode(
        self, array: Any, offset: int | None = None
    ) -> tuple[np.ndarray[Any, np.dtype[np.int64]], int]:
        """Class ids of one chunk's rows (-1 where missing) and how many are missing.

        ``offset`` is the number of data rows before the chunk (None: rows not known).
        """
        import numpy as np

        numeric = _is_numeric_type(array.type)
        codes, values, missing = encode_column(array)
        lookup = np.empty(len(values) + 1, dtype=np.int64)
        lookup[-1] = -1
        for index, value in enumerate(values):
            key = label_key(plain(value), numeric)
            found = self.ids.get(key)
            if found is None:
                found = self.ids[key] = len(self.values)
                self.values.append(plain(value))
                first = int(np.flatnonzero(codes == index)[0])
                self.first_row.append(0 if offset is None else offset + first + 1)
            lookup[index] = found
        return lookup[codes], missing


class TargetCheck:
    """The target column over all chunks: labels seen, missing values, any positive row.

    A binary target is compared with the positive label (0/1 per row); a multiclass target
    becomes class ids (:attr:`classes`, shared with the predictions); a regression target
    becomes numbers.
    """

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.task = manifest.spec.data.task
        self.labels: set[Any] = set()
        self.keys: set[Any] = set()
        self.numeric = False
        self.missing = 0
        self.infinite = 0
        self.positives = 0
        self.classes = ClassEncoder()
        self.target_classes: set[int] = set()
        self.rows = 0

    def add(self, array: Any) -> np.ndarray[Any, Any]:
        """One chunk of the target as the task counts it; too many labels stop at once."""
        spec = self.manifest.spec.data
        if self.task == "regression":
            return self._numbers(array)
        if self.task == "multiclass":
            codes, missing = self.classes.encode(array, self.rows)
            self.rows += len(codes)
            self.missing += missing
            self.target_classes.update(int(c) for c in set(codes.tolist()) if c >= 0)
            self.labels = {self.classes.values[c] for c in self.target_classes}
            return codes
        chunk = binarise(array, spec.positive_label)
        self.numeric = chunk.numeric
        self.missing += chunk.missing
        self.positives += int(chunk.positive.sum())
        self.labels.update(chunk.labels)
        self.keys.update(label_key(v, chunk.numeric) for v in chunk.labels)
        if len(self.labels) > 2:
            raise DataError(
                f"target column {spec.target!r} has {len(self.labels)} labels; a binary task "
                "needs two (set data.task: multiclass for more)",
                path=self.manifest.data_path,
                field=spec.target,
            )
        return chunk.positive

    def _numbers(self, array: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
        spec = self.manifest.spec.data
        if not _is_numeric_type(array.type) and len(array) > array.null_count:
            raise DataError(
                f"target column {spec.target!r} is {array.type}, not numbers: a regression "
                "target holds numbers",
                path=self.manifest.data_path,
                field=spec.target,
            )
        values, missing, infinite = numeric_values(array)
        self.missing += missing
        self.infinite += infinite
        return values

    def finish(self) -> None:
        """Errors only the whole column shows: missing values, a positive label never seen."""
        spec = self.manifest.spec.data
        if self.missing:
            raise DataError(
                f"target column {spec.target!r} has {self.missing} missing values",
                path=self.manifest.data_path,
                field=spec.target,
            )
        if self.infinite:
            raise DataError(
                f"target column {spec.target!r} has {self.infinite} infinite values",
                path=self.manifest.data_path,
                field=spec.target,
            )
        if self.task == "multiclass" and len(self.target_classes) < 2:
            raise DataError(
                f"target column {spec.target!r} has {len(self.target_classes)} label; a "
                "multiclass task needs two or more",
                path=self.manifest.data_path,
                field=spec.target,
            )
        if self.task != "binary":
            return
        if not self.positives:
            raise self.manifest.error(
                f"positive_label {spec.positive_label!r} does not occur in column "
                f"{spec.target!r}, which holds {len(self.labels)} other labels",
                "data",
                "positive_label",
            )

    def check_predicted_classes(self, what: str, path: Path | None, *, show: bool) -> None:
        """Multiclass: every predicted class must be a label of the target.

        The first such prediction is named by its data row (and by its label when ``show``:
        a model's class, not a value read from the data).
        """
        spec = self.manifest.spec.data
        odd = [c for c in range(len(self.classes.values)) if c not in self.target_classes]
        if not odd:
            return
        first = min(odd, key=lambda c: self.classes.first_row[c] or 1 << 62)
        row = self.classes.first_row[first]
        named = f"label {self.classes.values[first]!r}" if show else "a label"
        where = f", first at data row {row}" if row else ""
        such = f"{len(odd)} such label{'s' if len(odd) > 1 else ''}"
        raise DataError(
            f"{what} has {named} the target {spec.target!r} does not have{where} ({such}); "
            f"predictions must use the target's {len(self.target_classes)} labels",
            path=path,
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
