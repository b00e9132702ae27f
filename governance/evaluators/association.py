"""How strongly each feature is associated with each sensitive attribute, on a 0-1 scale.

- categorical feature, categorical attribute: Cramér's V (with the mutual information in bits
  alongside);
- numeric feature, categorical attribute (or the reverse): the correlation ratio η (the square
  root of the share of the numeric variance explained by the categories);
- numeric feature, numeric attribute: the absolute Pearson correlation.

Missing categories count as a category of their own; rows with a missing numeric value are left
out of that pair. Computed from integer codes with ``numpy.bincount``, so each pair costs one pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Above this many rows, associations are measured on a seeded sample of this size.
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Column:
    """A column prepared once for all its pairs.

    A categorical has integer ``codes`` and the row ``counts`` of each of its ``levels``; a
    numeric has its ``values`` (NaN where missing) and, when none is missing, those values minus
    their mean (``centered``) and their sum of squares (``squares``).
    """

    name: str
    categorical: bool
    codes: Any = None
    levels: int = 0
    counts: Any = None
    values: Any = None
    centered: Any = None
    squares: float = 0.0


def prepare(name: str, series: Any) -> Column:
    """Codes or values of ``series``; bool and non-numeric dtypes are categorical."""
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if len(values) == 0 or np.isnan(values).any():
            return Column(name=name, categorical=False, values=values)
        centered = values - values.mean()
        squares = float(np.dot(centered, centered))
        return Column(
            name=name, categorical=False, values=values, centered=centered, squares=squares
        )
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    codes = codes.astype(np.intp)
    counts = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    return Column(name=name, categorical=True, codes=codes, levels=len(uniques), counts=counts)


def _contingency(a: Column, b: Column) -> Any:
    import numpy as np

    table = np.bincount(a.codes * b.levels + b.codes, minlength=a.levels * b.levels)
    table = table.reshape(a.levels, b.levels).astype(np.float64)
    return table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]


def cramers_v_and_information(a: Column, b: Column) -> tuple[float, float]:
    """Cramér's V and the mutual information (bits) of two categorical columns."""
    import numpy as np

    table = _contingency(a, b)
    total = table.sum()
    smaller = min(table.shape) - 1
    if total == 0 or smaller < 1:
        return 0.0, 0.0
    rows = table.sum(axis=1, keepdims=True)
    columns = table.sum(axis=0, keepdims=True)
    expected = rows @ columns / total
    chi2 = float(((table - expected) ** 2 / expected).sum())
    v = math.sqrt(min(1.0, chi2 / total / smaller))
    nonzero = table > 0
    joint = table[nonzero] / total
    independent = (expected[nonzero]) / total
    information = float((joint * np.log2(joint / independent)).sum())
    return v, max(0.0, information)


def correlation_ratio(groups: Column, numeric: Column) -> float:
    """η: square root of the share of the variance of ``numeric`` explained by ``groups``."""
    import numpy as np

    codes, counts, centered, squares = (
        groups.codes,
        groups.counts,
        numeric.centered,
        numeric.squares,
    )
    if centered is None:  # missing values: leave those rows out
        keep = ~np.isnan(numeric.values)
        codes, values = codes[keep], numeric.values[keep]
        if len(values) == 0:
            return 0.0
        centered = values - values.mean()
        squares = float(np.dot(centered, centered))
        counts = np.bincount(codes, minlength=groups.levels)
    if squares <= 0:
        return 0.0
    sums = np.bincount(codes, weights=centered, minlength=groups.levels)
    present = counts > 0
    between = float((sums[present] ** 2 / counts[present]).sum())
    return math.sqrt(min(1.0, between / squares))


def absolute_correlation(a: Column, b: Column) -> float:
    """|Pearson correlation| of two numeric columns (0 when either is constant)."""
    import numpy as np

    keep = ~(np.isnan(a.values) | np.isnan(b.values))
    x, y = a.values[keep], b.values[keep]
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return 0.0
    return min(1.0, abs(float(np.corrcoef(x, y)[0, 1])))


def association(feature: Column, sensitive: Column) -> dict[str, Any]:
    """``{"measure": ..., "value": ...}`` (and ``mutual_information_bits`` for categoricals)."""
    if feature.categorical and sensitive.categorical:
        v, information = cramers_v_and_information(feature, sensitive)
        return {
            "measure": "cramers_v",
            "value": round(v, 6),
            "mutual_information_bits": round(information, 6),
        }
    if feature.categorical:
        return {
            "measure": "correlation_ratio",
            "value": round(correlation_ratio(feature, sensitive), 6),
        }
    if sensitive.categorical:
        return {
            "measure": "correlation_ratio",
            "value": round(correlation_ratio(sensitive, feature), 6),
        }
    return {"measure": "abs_pearson", "value": round(absolute_correlation(feature, sensitive), 6)}


def association_table(
    features: Any,
    sensitive: Any,
    *,
    columns: Sequence[str] | None = None,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{feature: {sensitive attribute: association}}`` for each feature and attribute.

    ``features`` is a DataFrame, ``sensitive`` a DataFrame or a mapping of names to Series,
    with the same rows in the same order; ``columns`` limits the features (default: all).
    """
    import numpy as np

    rows = len(features)
    if rows > max_rows:
        positions = np.sort(np.random.default_rng(seed).choice(rows, max_rows, replace=False))
        features = features.iloc[positions]
        sensitive = {name: sensitive[name].iloc[positions] for name in sensitive}
    targets = [prepare(str(name), sensitive[name]) for name in sensitive]
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for name in features.columns if columns is None else columns:
        column = prepare(str(name), features[name])
        table[str(name)] = {target.name: association(column, target) for target in targets}
    return table
