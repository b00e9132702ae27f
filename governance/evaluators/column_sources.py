"""Which original column each output column of a fitted scikit-learn preprocessor comes from.

A pipeline's final estimator is explained on the preprocessed matrix; when every preprocessed
column derives from exactly one original column (scalers, imputers, ordinal and one-hot
encoders, column transformers and pipelines of them), its attributions are summed back to the
original columns. Anything else (PCA, polynomial features, custom functions) has no such map and
the caller explains the whole pipeline model-agnostically instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Transformers whose output column i is a function of input column i alone.
ELEMENTWISE = frozenset(
    {
        "StandardScaler",
        "MinMaxScaler",
        "MaxAbsScaler",
        "RobustScaler",
        "PowerTransformer",
        "QuantileTransformer",
        "OrdinalEncoder",
        "Binarizer",
    }
)


def _identity(width: int) -> list[int]:
    return list(range(width))


def _repeat(counts: Sequence[int]) -> list[int]:
    return [index for index, count in enumerate(counts) for _ in range(int(count))]


def _one_hot(encoder: Any) -> list[int] | None:
    counts = getattr(encoder, "_n_features_outs", None)
    if counts is None:
        categories = getattr(encoder, "categories_", None)
        if categories is None or getattr(encoder, "drop_idx_", None) is not None:
            return None
        counts = [len(values) for values in categories]
    return _repeat(counts)


def _kbins(discretizer: Any) -> list[int] | None:
    bins = getattr(discretizer, "n_bins_", None)
    if bins is None:
        return None
    if discretizer.encode == "ordinal":
        return _identity(len(bins))
    return _repeat(bins)


def _imputer(imputer: Any, width: int) -> list[int] | None:
    import numpy as np

    if getattr(imputer, "add_indicator", False):
        return None
    statistics = getattr(imputer, "statistics_", None)
    if statistics is None or getattr(imputer, "keep_empty_features", False):
        return _identity(width)
    try:  # all-missing columns are dropped unless keep_empty_features
        kept = ~np.isnan(np.asarray(statistics, dtype=float))
    except (TypeError, ValueError):  # constant strategy with a non-numeric fill value
        return _identity(width)
    return [index for index in range(width) if kept[index]]


def _column_indices(columns: Any, names: Sequence[str] | None, width: int) -> list[int] | None:
    import numpy as np

    if isinstance(columns, str | int):
        columns = [columns]
    if isinstance(columns, slice):
        if names is not None and isinstance(columns.start, str):
            start = names.index(columns.start)
            stop = names.index(columns.stop) + 1 if columns.stop is not None else width
            return list(range(width))[start:stop]
        return list(range(width))[columns]
    values = list(np.asarray(columns).ravel()) if not isinstance(columns, list) else columns
    if values and all(isinstance(value, bool | np.bool_) for value in values):
        return [index for index, keep in enumerate(values) if keep]
    indices = []
    for value in values:
        if isinstance(value, str):
            if names is None or value not in names:
                return None
            indices.append(names.index(value))
        elif isinstance(value, int | np.integer):
            indices.append(int(value))
        else:
            return None
    return indices


def _column_transformer(transformer: Any, width: int) -> list[int] | None:
    names_in = getattr(transformer, "feature_names_in_", None)
    names = [str(name) for name in names_in] if names_in is not None else None
    slices = getattr(transformer, "output_indices_", None)
    if slices is None:
        return None
    total = max((piece.stop for piece in slices.values()), default=0)
    sources: list[int | None] = [None] * total
    for name, fitted, columns in transformer.transformers_:
        piece = slices.get(name)
        if piece is None or piece.stop == piece.start or fitted == "drop":
            continue
        inputs = _column_indices(columns, names, width)
        if inputs is None:
            return None
        inner = column_sources(fitted, len(inputs))
        if inner is None or len(inner) != piece.stop - piece.start:
            return None
        for offset, source in enumerate(inner):
            sources[piece.start + offset] = inputs[source]
    if any(source is None for source in sources):
        return None
    return [int(source) for source in sources if source is not None]


def _pipeline(pipeline: Any, width: int) -> list[int] | None:
    return steps_sources([step for _, step in pipeline.steps], width)


def steps_sources(steps: list[Any], width: int) -> list[int] | None:
    """The input column behind each output column of ``steps`` applied in turn (None: unknown)."""
    sources = _identity(width)
    for step in steps:
        if step is None or step == "passthrough":
            continue
        inner = column_sources(step, len(sources))
        if inner is None:
            return None
        sources = [sources[index] for index in inner]
    return sources


def column_sources(transformer: Any, width: int) -> list[int] | None:
    """For each output column of the fitted ``transformer``, the input column it comes from.

    Parameters
    ----------
    transformer
        A fitted scikit-learn transformer, ``"passthrough"``, a Pipeline or ColumnTransformer.
    width
        The number of input columns.

    Returns
    -------
    list of int or None
        One input index per output column, or None when an output column may depend on several
        inputs (or the transformer is unknown).
    """
    if isinstance(transformer, str):
        return _identity(width) if transformer == "passthrough" else None
    kind = type(transformer).__name__
    if not type(transformer).__module__.startswith("sklearn."):
        return None
    if kind == "ColumnTransformer":
        return _column_transformer(transformer, width)
    if kind == "Pipeline":
        return _pipeline(transformer, width)
    if kind == "OneHotEncoder":
        return _one_hot(transformer)
    if kind == "KBinsDiscretizer":
        return _kbins(transformer)
    if kind == "SimpleImputer":
        return _imputer(transformer, width)
    if kind in ELEMENTWISE:
        return _identity(width)
    if kind == "FunctionTransformer" and transformer.func is None:
        return _identity(width)  # a fitted ColumnTransformer's "passthrough"
    return None
