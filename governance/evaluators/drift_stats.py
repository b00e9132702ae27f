"""Two-sample drift statistics: a reference sample against a current sample of one feature.

numpy (pandas to count categories and missing values, scipy for the p-values), on arrays of
values with missing values already removed, except :func:`missing_share` which counts them.

Binning (PSI and Jensen-Shannon of a numeric feature)
    The edges are the reference's quantiles at ``i / bins`` for ``i = 1 .. bins - 1`` (numpy's
    default linear interpolation), duplicates removed, so a feature with many ties gets fewer
    bins. Bins are closed on the right, ``(e[i-1], e[i]]``; the first bin takes everything up to
    the first edge and the last everything above the last edge, so a current value outside the
    reference's range still falls in a bin. Each bin holds about ``1 / bins`` of the reference.

Categoricals
    The categories are those seen in either sample (as text); PSI and Jensen-Shannon compare the
    two samples' shares of each, and the chi-square test is the test of homogeneity of the 2 × k
    table of counts (categories empty in both samples left out; no continuity correction).

Empty bins
    PSI divides by and takes the log of shares; a share of 0 is replaced by ``epsilon``
    (:data:`DEFAULT_EPSILON`) in both samples before the sum, without renormalising.
    Jensen-Shannon needs no epsilon (``0 log 0 = 0``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Array = np.ndarray[Any, np.dtype[Any]]

DEFAULT_BINS = 10
DEFAULT_EPSILON = 1e-4


def quantile_edges(reference: Array, bins: int = DEFAULT_BINS) -> Array:
    """Interior bin edges: the reference's quantiles at ``1/bins .. (bins-1)/bins``, unique."""
    if bins < 2:
        raise ValueError("bins must be at least 2")
    values = np.asarray(reference, dtype=np.float64)
    if values.size == 0:
        return np.empty(0)
    probabilities = np.arange(1, bins) / bins
    edges: Array = np.unique(np.quantile(values, probabilities))
    return edges


def bin_counts(values: Array, edges: Array) -> Array:
    """Counts of ``values`` in the ``len(edges) + 1`` right-closed bins the edges define."""
    index = np.searchsorted(edges, np.asarray(values, dtype=np.float64), side="left")
    return np.bincount(index, minlength=len(edges) + 1).astype(np.float64)


def category_counts(reference: Sequence[Any], current: Sequence[Any]) -> tuple[Array, Array]:
    """Counts of each category (as text) seen in either sample, in the same order for both."""
    import pandas as pd

    ref = pd.Series(reference, dtype=object).astype(str).value_counts()
    cur = pd.Series(current, dtype=object).astype(str).value_counts()
    categories = sorted(set(ref.index) | set(cur.index))
    return (
        ref.reindex(categories, fill_value=0).to_numpy(dtype=np.float64),
        cur.reindex(categories, fill_value=0).to_numpy(dtype=np.float64),
    )


def _shares(counts: Array) -> Array:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        raise ValueError("a sample with no values has no distribution")
    shares: Array = counts / total
    return shares


def psi(reference_counts: Array, current_counts: Array, epsilon: float = DEFAULT_EPSILON) -> float:
    """Population stability index ``sum((q - p) * ln(q / p))`` over bins or categories.

    ``p`` are the reference's shares, ``q`` the current's; a share of 0 becomes ``epsilon``.
    Common reading: below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a major one.
    """
    p = np.maximum(_shares(reference_counts), epsilon)
    q = np.maximum(_shares(current_counts), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def js_distance(reference_counts: Array, current_counts: Array) -> float:
    """Jensen-Shannon distance (base 2, so in [0, 1]): the square root of the divergence."""
    p = _shares(reference_counts)
    q = _shares(current_counts)
    m = (p + q) / 2

    def kl(a: Array) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / m[mask])))

    divergence = max((kl(p) + kl(q)) / 2, 0.0)
    return float(np.sqrt(divergence))


def _sorted(values: Array) -> Array:
    data = np.sort(np.asarray(values, dtype=np.float64))
    if data.size == 0:
        raise ValueError("a sample with no values has no distribution")
    return data


def ks_statistic(reference: Array, current: Array) -> float:
    """Kolmogorov-Smirnov statistic: the largest distance between the two empirical CDFs."""
    ref, cur = _sorted(reference), _sorted(current)
    points = np.concatenate([ref, cur])
    ref_cdf = np.searchsorted(ref, points, side="right") / ref.size
    cur_cdf = np.searchsorted(cur, points, side="right") / cur.size
    return float(np.max(np.abs(ref_cdf - cur_cdf)))


def ks_test(reference: Array, current: Array) -> tuple[float, float]:
    """KS statistic and two-sided p-value (scipy's ``ks_2samp``, exact for small samples)."""
    import warnings

    from scipy.stats import ks_2samp

    statistic = ks_statistic(reference, current)
    method = "exact" if max(len(reference), len(current)) <= 2_000 else "asymp"
    with warnings.catch_warnings():  # scipy falls back to asymp itself when exact fails
        warnings.simplefilter("ignore", RuntimeWarning)
        result = ks_2samp(reference, current, method=method)
    return statistic, float(result.pvalue)


def wasserstein(reference: Array, current: Array) -> float:
    """Wasserstein-1 (earth mover's) distance: the area between the two empirical CDFs."""
    ref, cur = _sorted(reference), _sorted(current)
    points = np.sort(np.concatenate([ref, cur]))
    widths = np.diff(points)
    ref_cdf = np.searchsorted(ref, points[:-1], side="right") / ref.size
    cur_cdf = np.searchsorted(cur, points[:-1], side="right") / cur.size
    return float(np.sum(np.abs(ref_cdf - cur_cdf) * widths))


def chi_square(reference_counts: Array, current_counts: Array) -> tuple[float, float, int]:
    """Chi-square test of homogeneity of two samples' category counts: statistic, p, dof.

    Categories empty in both samples are left out; with one category left the samples cannot
    differ (statistic 0, p-value 1, no degrees of freedom).
    """
    from scipy.stats import chi2

    table = np.vstack([reference_counts, current_counts]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0, 0
    rows = table.sum(axis=1, keepdims=True)
    if np.any(rows <= 0):
        raise ValueError("a sample with no values has no distribution")
    expected = rows * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    dof = table.shape[1] - 1
    return statistic, float(chi2.sf(statistic, dof)), dof


def missing_share(values: Any) -> float:
    """Share of missing values (None, NaN, NaT) in a column; 0 for an empty column."""
    import pandas as pd

    series = pd.Series(values)
    return float(series.isna().mean()) if len(series) else 0.0


def out_of_range_share(reference: Array, current: Array) -> float:
    """Share of current values below the reference's minimum or above its maximum."""
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    if cur.size == 0:
        return 0.0
    if ref.size == 0:
        return 1.0
    return float(np.mean((cur < ref.min()) | (cur > ref.max())))


def unseen_share(reference: Sequence[Any], current: Sequence[Any]) -> float:
    """Share of current values whose category (as text) the reference never shows."""
    import pandas as pd

    if len(current) == 0:
        return 0.0
    seen = pd.Series(reference, dtype=object).astype(str).unique()
    unseen = ~pd.Series(current, dtype=object).astype(str).isin(seen)
    return float(unseen.mean())
