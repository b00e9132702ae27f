"""Read the evaluation data a manifest points at and check it fits the manifest."""

from __future__ import annotations

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


def _read(manifest: Manifest, fmt: str) -> pd.DataFrame:
    import pandas as pd

    path = manifest.data_path
    if not path.is_file():
        raise manifest.error(f"evaluation data not found: {path}", "data", "path")
    try:
        if fmt == "csv":
            return pd.read_csv(path, low_memory=False)
        return pd.read_parquet(path)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {fmt} data: {first_line}", path=path) from None


def _binarise_target(manifest: Manifest, frame: pd.DataFrame) -> np.ndarray[Any, Any]:
    import numpy as np
    import pandas as pd

    spec = manifest.spec.data
    target = frame[spec.target]
    if target.isna().any():
        raise DataError(
            f"target column {spec.target!r} has {int(target.isna().sum())} missing values",
            path=manifest.data_path,
            field=spec.target,
        )
    labels = pd.unique(target)
    if len(labels) > 2:
        shown = ", ".join(repr(_plain(v)) for v in sorted(labels, key=str)[:5])
        raise DataError(
            f"target column {spec.target!r} has {len(labels)} labels ({shown}...); "
            "a binary task needs two",
            path=manifest.data_path,
            field=spec.target,
        )
    positive = matches_label(target, spec.positive_label)
    if not positive.any():
        shown = ", ".join(repr(_plain(v)) for v in sorted(labels, key=str))
        raise manifest.error(
            f"positive_label {spec.positive_label!r} does not occur in column "
            f"{spec.target!r} (values: {shown})",
            "data",
            "positive_label",
        )
    return np.asarray(positive, dtype=np.int8)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


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


def check_group_columns(data: EvaluationData, columns: list[str]) -> None:
    """Columns that define groups must be complete and hold at least two groups."""
    for column in columns:
        values = data.frame[column]
        missing = int(values.isna().sum())
        if missing:
            raise DataError(
                f"sensitive feature {column!r} has {missing} missing values; "
                "fill them with an explicit group (e.g. 'unknown') so no row drops out",
                path=data.path,
                field=column,
            )
        if values.nunique() < 2:
            raise DataError(
                f"sensitive feature {column!r} has a single group; comparing groups needs two",
                path=data.path,
                field=column,
            )


def load_evaluation_data(manifest: Manifest) -> EvaluationData:
    """Read the data and check that the columns the manifest names are usable."""
    fmt = data_format(manifest)
    frame = _read(manifest, fmt)
    spec = manifest.spec.data
    if frame.empty:
        raise DataError("evaluation data has no rows", path=manifest.data_path)
    named = {
        "target": spec.target,
        "prediction": spec.prediction,
        "score": spec.score,
    }
    for field_name, column in named.items():
        if column is not None and column not in frame.columns:
            raise manifest.error(
                f"column {column!r} is not in {manifest.data_path.name} "
                f"(columns: {', '.join(map(str, frame.columns[:12]))})",
                "data",
                field_name,
            )
    for index, column in enumerate(spec.sensitive_features):
        if column not in frame.columns:
            raise manifest.error(
                f"sensitive feature {column!r} is not a column of {manifest.data_path.name}",
                "data",
                "sensitive_features",
                index,
            )
    data = EvaluationData(
        frame=frame, y_true=_binarise_target(manifest, frame), path=manifest.data_path, format=fmt
    )
    check_group_columns(data, list(spec.sensitive_features))
    return data
