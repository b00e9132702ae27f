"""The evaluation data held in memory, and the checks of the columns the manifest names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.data.labels import TargetCheck
from governance.data.source import open_table, to_pandas
from governance.errors import DataError
from governance.manifest import Manifest

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

NOT_READ = "not read"  # the type recorded for a column no check needed
NOT_A_COLUMN = "column {column!r} is not in {file} (its header has {count} columns)"


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
    header: tuple[str, ...] = ()
    """Every column of the file, when ``frame`` holds only those the checks need."""
    class_values: tuple[Any, ...] = ()
    """A multiclass task's labels by class id (``y_true`` holds class ids, not 0/1)."""

    @property
    def rows(self) -> int:
        """Number of rows in the file."""
        return len(self.frame) if self.total_rows is None else self.total_rows

    def columns(self) -> list[dict[str, str]]:
        """Name and type of every column of the file, for schema facets and the record.

        A column no check needed was not read: its type is ``not read``.
        """
        types = {str(name): str(dtype) for name, dtype in self.frame.dtypes.items()}
        names = self.header or tuple(types)
        return [{"name": name, "type": types.get(name, NOT_READ)} for name in names]


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
                NOT_A_COLUMN.format(
                    column=column, file=manifest.data_path.name, count=len(columns)
                ),
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


def load_evaluation_data(manifest: Manifest) -> EvaluationData:
    """Read the whole file into memory and check the columns the manifest names are usable.

    For data of any size, :func:`governance.evaluators.stream.load_inputs` reads it in chunks.
    """
    import pyarrow as pa

    spec = manifest.spec.data
    source = open_table(manifest)
    check_manifest_columns(manifest, source.columns)
    named = [spec.target, spec.prediction, spec.score, *spec.sensitive_features]
    named += list(spec.features or [])
    source = source.select(
        source.columns,
        text=spec.sensitive_features,
        named=[name for name in named if name is not None],
    )
    batches = list(source.batches())
    table = pa.Table.from_batches(batches, schema=batches[0].schema if batches else None)
    if table.num_rows == 0:
        raise DataError("evaluation data has no rows", path=manifest.data_path)
    target = TargetCheck(manifest)
    y_true = target.add(table.column(manifest.spec.data.target))
    target.finish()
    data = EvaluationData(
        frame=to_pandas(table),
        y_true=y_true,
        path=manifest.data_path,
        format=source.format,
        class_values=tuple(target.classes.values),
    )
    check_group_columns(data, list(manifest.spec.data.sensitive_features))
    return data
