"""How strongly each feature is associated with each sensitive attribute, on a 0-1 scale.

- categorical feature, categorical attribute: Cramér's V (with the mutual information in bits
  alongside, from the same contingency table);
- numeric feature, categorical attribute (or the reverse): the correlation ratio η (the square
  root of the share of the numeric variance explained by the categories);
- numeric feature, numeric attribute: the absolute Pearson correlation.

Missing categories count as a category of their own; rows with a missing numeric value are left
out of that pair; a constant column (one value, or one category) is associated with nothing (0).

Exact, on every row, and fast: each column is factorized once (:func:`prepare`, which callers
may cache and share), the contingency tables of all categorical features against one attribute
come from a single ``numpy.bincount`` over combined codes, and everything after is array
arithmetic without pandas and without BLAS (whose worker threads spin on a loaded machine).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Above this many rows, associations are measured on a seeded sample of this size.
MAX_ROWS = 200_000
# Contingency tables are counted in batches of features of at most this many (row, feature) codes.
BATCH_CELLS = 1 << 22
# Categorical targets are counted together while their tables hold at most this many cells (sum
# of the features' levels, or number of numeric features, x product of the targets' levels).
JOINT_CELLS = 1 << 20


@dataclass(frozen=True)
class Codes:
    """A column factorized: integer ``codes`` per row and the ``uniques`` they index.

    A missing value is a unique of its own (pandas ``use_na_sentinel=False``), in order of first
    appearance.
    """

    codes: Any  # numpy intp array
    uniques: Any  # pandas Index


def factorize(series: Any) -> Codes:
    """Integer codes of ``series`` (any dtype), missing values included as a level."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return Codes(codes=np.asarray(codes, dtype=np.intp), uniques=uniques)


def is_categorical(series: Any) -> bool:
    """Bool and non-numeric dtypes are categorical; other numeric dtypes are not."""
    import pandas as pd

    dtype = series.dtype
    return not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


@dataclass(frozen=True)
class Column:
    """A column prepared once for all its pairs.

    A categorical has integer ``codes`` and the row ``counts`` of each of its ``levels``; a
    numeric has its ``values`` (NaN where missing) and, when none is missing, those values minus
    their mean (``centered``) and their sum of squares (``squares``, 0 for a constant column).
    """

    name: str
    categorical: bool
    codes: Any = None
    levels: int = 0
    counts: Any = None
    values: Any = None
    centered: Any = None
    squares: float = 0.0

    @property
    def rows(self) -> int:
        """Number of rows."""
        return len(self.codes if self.categorical else self.values)


def prepare(name: str, series: Any, codes: Codes | None = None) -> Column:
    """Codes or values of ``series``; ``codes``: its factorization, when already made."""
    import numpy as np

    if not is_categorical(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return numeric_column(name, values)
    if codes is None:
        codes = factorize(series)
    levels = len(codes.uniques)
    counts = np.bincount(codes.codes, minlength=levels).astype(np.float64)
    return Column(name=name, categorical=True, codes=codes.codes, levels=levels, counts=counts)


def numeric_column(name: str, values: Any) -> Column:
    """A numeric Column of float ``values`` (NaN where missing)."""
    import numpy as np

    if len(values) == 0 or np.isnan(values).any():
        return Column(name=name, categorical=False, values=values)
    centered, squares = _centered(values)
    return Column(name=name, categorical=False, values=values, centered=centered, squares=squares)


def _centered(values: Any) -> tuple[Any, float]:
    """Values minus their mean and their sum of squares (0 and zeros when all are equal)."""
    import numpy as np

    if values.min() == values.max():  # exactly constant: no variance, whatever the rounding
        return np.zeros_like(values), 0.0
    centered = values - values.mean()
    return centered, float(np.square(centered).sum())


def sample(column: Column, positions: Any) -> Column:
    """``column`` restricted to the rows at ``positions``."""
    import numpy as np

    if column.categorical:
        codes = column.codes[positions]
        counts = np.bincount(codes, minlength=column.levels).astype(np.float64)
        return Column(
            name=column.name, categorical=True, codes=codes, levels=column.levels, counts=counts
        )
    return numeric_column(column.name, column.values[positions])


@dataclass(frozen=True)
class Association:
    """One feature-attribute association, unrounded."""

    measure: str  # cramers_v, correlation_ratio, abs_pearson
    value: float
    information_bits: float | None = None  # mutual information, for two categoricals

    def as_evidence(self) -> dict[str, Any]:
        """``{"measure", "value"}`` (and ``mutual_information_bits``), 6 decimals."""
        entry: dict[str, Any] = {"measure": self.measure, "value": round(self.value, 6)}
        if self.information_bits is not None:
            entry["mutual_information_bits"] = round(self.information_bits, 6)
        return entry


class Joint:
    """Categorical columns measured together: each row's combination of their levels.

    ``codes`` number the combinations (``numpy.ravel_multi_index`` over ``shape``, the columns'
    levels), so one ``bincount`` counts rows for every column at once; :meth:`marginal` sums a
    count (or a sum of values) over the other columns' levels.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        import numpy as np

        self.columns = list(columns)
        self.shape = tuple(column.levels for column in columns)
        self.levels = math.prod(self.shape)
        if len(columns) == 1:
            self.codes = columns[0].codes
        else:
            self.codes = np.ravel_multi_index([column.codes for column in columns], self.shape)

    def marginal(self, array: Any, index: int) -> Any:
        """``array`` (..., combinations) summed to (..., levels of column ``index``)."""
        if len(self.shape) == 1:
            return array
        full = array.reshape(array.shape[:-1] + self.shape)
        lead = array.ndim - 1
        others = tuple(lead + axis for axis in range(len(self.shape)) if axis != index)
        return full.sum(axis=others)


def cramers_v_and_information(
    features: Sequence[Column], targets: Sequence[Column]
) -> list[list[tuple[float, float]]]:
    """Cramér's V and mutual information (bits) of each categorical feature with each target.

    ``result[t][f]`` is for target ``t`` and feature ``f``. The contingency tables of a batch of
    features against all targets come from one ``bincount`` over combined codes: feature ``i``'s
    rows of the table are ``start[i]`` to ``start[i] + levels[i]``, its columns the targets'
    combinations (:class:`Joint`); each target's table is then a marginal of it. Levels absent
    from the rows (a table's empty rows or columns) take no part.
    """
    joint = Joint(targets)
    rows = len(joint.codes)
    batch = max(1, BATCH_CELLS // max(rows, 1))
    results: list[list[tuple[float, float]]] = [[] for _ in targets]
    for first in range(0, len(features), batch):
        chunk = features[first : first + batch]
        for index, pairs in enumerate(_cramers_v_batch(chunk, joint)):
            results[index].extend(pairs)
    return results


def _cramers_v_batch(features: Sequence[Column], joint: Joint) -> list[list[tuple[float, float]]]:
    import numpy as np

    rows, width = len(joint.codes), joint.levels
    levels = np.array([feature.levels for feature in features], dtype=np.intp)
    if rows == 0 or width == 0 or levels.min() == 0:
        return [[(0.0, 0.0)] * len(features) for _ in joint.columns]
    starts = np.concatenate(([0], np.cumsum(levels)[:-1]))
    combined = np.empty((len(features), rows), dtype=np.intp)
    for index, feature in enumerate(features):
        np.multiply(feature.codes, width, out=combined[index])
    combined += (starts * width)[:, None]
    combined += joint.codes
    table = np.bincount(combined.ravel(), minlength=int(levels.sum()) * width)
    table = table.reshape(-1, width).astype(np.float64)
    return [
        _cramers_v_tables(joint.marginal(table, index), starts, rows)
        for index in range(len(joint.columns))
    ]


def _cramers_v_tables(table: Any, starts: Any, rows: int) -> list[tuple[float, float]]:
    """Cramér's V and mutual information of the tables stacked in ``table`` from ``starts``."""
    import numpy as np

    row_sums = table.sum(axis=1)  # per level of each feature
    column_sums = np.add.reduceat(table, starts, axis=0)  # per feature, per target level
    levels = np.diff(np.append(starts, len(table)))
    owner = np.repeat(np.arange(len(starts)), levels)  # the feature of each table row
    expected = row_sums[:, None] * column_sums[owner] / rows
    chi2_terms = np.zeros_like(table)
    np.divide(np.square(table - expected), expected, out=chi2_terms, where=expected > 0)
    chi2 = np.add.reduceat(chi2_terms, starts, axis=0).sum(axis=1)
    ratio = np.ones_like(table)  # observed / expected where observed, so log2 gives 0 elsewhere
    np.divide(table, expected, out=ratio, where=table > 0)
    information_terms = table / rows * np.log2(ratio)
    information = np.add.reduceat(information_terms, starts, axis=0).sum(axis=1)
    present_rows = np.add.reduceat((row_sums > 0).astype(np.intp), starts)
    present_columns = (column_sums > 0).sum(axis=1)
    smaller = np.minimum(present_rows, present_columns) - 1
    results = []
    for position in range(len(starts)):
        if smaller[position] < 1:
            results.append((0.0, 0.0))
            continue
        phi2 = float(chi2[position]) / rows / int(smaller[position])
        results.append((math.sqrt(min(1.0, phi2)), max(0.0, float(information[position]))))
    return results


def correlation_ratio(groups: Column, numeric: Column) -> float:
    """η: square root of the share of the variance of ``numeric`` explained by ``groups``."""
    import numpy as np

    if numeric.centered is not None:
        return correlation_ratios([numeric], [groups])[0][0]
    keep = ~np.isnan(numeric.values)  # missing values: leave those rows out
    codes = groups.codes[keep]
    if len(codes) == 0:
        return 0.0
    centered, squares = _centered(numeric.values[keep])
    counts = np.bincount(codes, minlength=groups.levels)
    present = counts > 0
    if squares <= 0 or present.sum() < 2:
        return 0.0
    sums = np.bincount(codes, weights=centered, minlength=groups.levels)
    between = float((np.square(sums[present]) / counts[present]).sum())
    return math.sqrt(min(1.0, between / squares))


def correlation_ratios(
    numerics: Sequence[Column], groupings: Sequence[Column]
) -> list[list[float]]:
    """η of each numeric column without missing values against each categorical grouping.

    ``result[g][n]`` is for grouping ``g`` and numeric column ``n``: one weighted ``bincount``
    per numeric column over the groupings' combinations (:class:`Joint`), then marginals.
    """
    import numpy as np

    if not numerics:
        return [[] for _ in groupings]
    joint = Joint(groupings)
    sums = np.array(
        [np.bincount(joint.codes, weights=n.centered, minlength=joint.levels) for n in numerics]
    )
    results = []
    for index, groups in enumerate(groupings):
        present = groups.counts > 0
        if present.sum() < 2:  # one group explains nothing
            results.append([0.0] * len(numerics))
            continue
        group_sums = joint.marginal(sums, index)
        between = (np.square(group_sums[:, present]) / groups.counts[present]).sum(axis=1)
        results.append(
            [
                math.sqrt(min(1.0, float(b) / n.squares)) if n.squares > 0 else 0.0
                for n, b in zip(numerics, between, strict=True)
            ]
        )
    return results


def absolute_correlation(a: Column, b: Column) -> float:
    """|Pearson correlation| of two numeric columns (0 when either is constant)."""
    import numpy as np

    if a.centered is not None and b.centered is not None:
        x, sxx, y, syy = a.centered, a.squares, b.centered, b.squares
    else:
        keep = ~(np.isnan(a.values) | np.isnan(b.values))
        if keep.sum() < 2:
            return 0.0
        (x, sxx), (y, syy) = _centered(a.values[keep]), _centered(b.values[keep])
    if sxx <= 0 or syy <= 0:
        return 0.0
    return min(1.0, abs(float((x * y).sum())) / math.sqrt(sxx * syy))


def _pair(feature: Column, target: Column) -> Association:
    if feature.categorical and target.categorical:
        v, information = cramers_v_and_information([feature], [target])[0][0]
        return Association("cramers_v", v, information)
    if feature.categorical:
        return Association("correlation_ratio", correlation_ratio(feature, target))
    if target.categorical:
        return Association("correlation_ratio", correlation_ratio(target, feature))
    return Association("abs_pearson", absolute_correlation(feature, target))


def _target_groups(targets: Sequence[Column], table_rows: int) -> list[list[Column]]:
    """Categorical targets in groups measured together: at most JOINT_CELLS table cells."""
    groups: list[list[Column]] = []
    size = 0
    for target in targets:
        if groups and size * target.levels * max(table_rows, 1) <= JOINT_CELLS:
            groups[-1].append(target)
            size *= target.levels
        else:
            groups.append([target])
            size = target.levels
    return groups


def measure(
    features: Sequence[Column], targets: Sequence[Column]
) -> dict[str, dict[str, Association]]:
    """``{feature: {target: Association}}`` for every prepared feature and target column.

    All columns must cover the same rows in the same order. Against categorical targets, the
    categorical features are measured together, and so are the numeric ones without missing
    values; every other pair on its own.
    """
    result: dict[str, dict[str, Association]] = {feature.name: {} for feature in features}
    categorical = [feature for feature in features if feature.categorical]
    complete = [f for f in features if not f.categorical and f.centered is not None]
    # rows of the contingency tables, or of the per-group sums of the numeric features
    table_rows = max(sum(feature.levels for feature in categorical), len(complete))
    for group in _target_groups([t for t in targets if t.categorical], table_rows):
        tables = cramers_v_and_information(categorical, group) if categorical else []
        for target, pairs in zip(group, tables, strict=False):
            for feature, (v, information) in zip(categorical, pairs, strict=True):
                result[feature.name][target.name] = Association("cramers_v", v, information)
        for target, etas in zip(group, correlation_ratios(complete, group), strict=True):
            for feature, eta in zip(complete, etas, strict=True):
                result[feature.name][target.name] = Association("correlation_ratio", eta)
    for target in targets:
        for feature in features:
            if target.name not in result[feature.name]:
                result[feature.name][target.name] = _pair(feature, target)
    return {
        feature.name: {target.name: result[feature.name][target.name] for target in targets}
        for feature in features
    }


def sample_positions(rows: int, max_rows: int, seed: int) -> Any:
    """Sorted positions of the seeded sample measured when there are over ``max_rows`` rows."""
    import numpy as np

    return np.sort(np.random.default_rng(seed).choice(rows, max_rows, replace=False))


def association_values(
    features: Any,
    sensitive: Any,
    *,
    columns: Sequence[str] | None = None,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> dict[str, dict[str, Association]]:
    """Unrounded :func:`association_table`."""
    names = features.columns if columns is None else columns
    prepared = [prepare(str(name), features[name]) for name in names]
    targets = [prepare(str(name), sensitive[name]) for name in sensitive]
    return measure_sampled(prepared, targets, seed=seed, max_rows=max_rows)


def measure_sampled(
    features: Sequence[Column],
    targets: Sequence[Column],
    *,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> dict[str, dict[str, Association]]:
    """:func:`measure`, on a seeded sample of ``max_rows`` rows when there are more."""
    rows = max((column.rows for column in [*features, *targets]), default=0)
    if rows > max_rows:
        positions = sample_positions(rows, max_rows, seed)
        features = [sample(column, positions) for column in features]
        targets = [sample(column, positions) for column in targets]
    return measure(features, targets)


def as_table(values: Mapping[str, Mapping[str, Association]]) -> dict[str, dict[str, Any]]:
    """The evidence form of :func:`measure`'s result: values rounded to 6 decimals."""
    return {
        feature: {target: link.as_evidence() for target, link in links.items()}
        for feature, links in values.items()
    }


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
    Above ``max_rows`` rows, measured on a sample of ``max_rows`` rows drawn with ``seed``.
    """
    values = association_values(features, sensitive, columns=columns, seed=seed, max_rows=max_rows)
    return as_table(values)
