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
from dataclasses import dataclass
from typing import Any

# Above this many rows, associations are measured on a seeded sample of this size.
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Column:
    """A column prepared once: integer codes for a categorical, floats for a numeric."""

    name: str
    categorical: bool
    codes: Any  # int64 codes (categorical) or float64 values (numeric)
    levels: int  # number of categories (0 for numeric)


def prepare(name: str, series: Any) -> Column:
    """Codes or values of ``series``; bool and non-numeric dtypes are categorical."""
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return Column(name=name, categorical=False, codes=values, levels=0)
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return Column(name=name, categorical=True, codes=codes.astype(np.int64), levels=len(uniques))


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


def correlation_ratio(groups: Column, values: Column) -> float:
    """η: square root of the share of the variance of ``values`` explained by ``groups``."""
    import numpy as np

    keep = ~np.isnan(values.codes)
    codes = groups.codes[keep]
    numbers = values.codes[keep]
    if len(numbers) == 0:
        return 0.0
    total = float(((numbers - numbers.mean()) ** 2).sum())
    if total == 0:
        return 0.0
    counts = np.bincount(codes, minlength=groups.levels)
    sums = np.bincount(codes, weights=numbers, minlength=groups.levels)
    present = counts > 0
    means = sums[present] / counts[present]
    between = float((counts[present] * (means - numbers.mean()) ** 2).sum())
    return math.sqrt(min(1.0, between / total))


def absolute_correlation(a: Column, b: Column) -> float:
    """|Pearson correlation| of two numeric columns (0 when either is constant)."""
    import numpy as np

    keep = ~(np.isnan(a.codes) | np.isnan(b.codes))
    x, y = a.codes[keep], b.codes[keep]
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
    features: Any, sensitive: Any, *, seed: int = 0, max_rows: int = MAX_ROWS
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{feature: {sensitive attribute: association}}`` for every feature and attribute.

    ``features`` and ``sensitive`` are DataFrames with the same rows in the same order.
    """
    import numpy as np

    rows = len(features)
    if rows > max_rows:
        positions = np.sort(np.random.default_rng(seed).choice(rows, max_rows, replace=False))
        features = features.iloc[positions]
        sensitive = sensitive.iloc[positions]
    targets = [prepare(str(name), sensitive[name]) for name in sensitive.columns]
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for name in features.columns:
        column = prepare(str(name), features[name])
        table[str(name)] = {target.name: association(column, target) for target in targets}
    return table
