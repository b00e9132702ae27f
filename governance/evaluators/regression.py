"""Regression counts: per-group sums of the target, the prediction and the residual.

Each group keeps ``n``, Σy, Σŷ, Σe, Σ|e|, Σe², Σy², Σŷ² and Σe⁴ (``e = ŷ - y``, the residual),
added up by ``numpy.bincount`` chunk by chunk (or by a SQL engine); the metrics follow with
scikit-learn's definitions: mean absolute error, root mean squared error, mean prediction, mean
residual and R² (``r2_score``: 1 - Σe² / Σ(y - ȳ)², with ``force_finite``: 1.0 for a perfect fit of
a constant target, 0.0 for an imperfect one; NaN below two rows). Σ(y - ȳ)² is Σy² - (Σy)² / n,
exact for targets on a coarse grid, within float rounding otherwise.

A residual histogram per group counts residuals in :data:`RESIDUAL_BINS` symmetric bins on a log
scale (:data:`PER_DECADE` a decade from 10⁻⁶ to 10⁶, one bin for ``|e| < 10⁻⁶``); edges are fixed,
so streamed chunks and SQL engines bin alike.

Intervals (rows cannot be resampled from sums): the per-group normal approximation. A metric
that is a group mean (of |e|, e, ŷ, or e² for RMSE and R²) is drawn from a normal distribution
with the sample mean and its standard error, ``√((Σx²/n - x̄²) / n)``, from the sums; overall
values are the draws weighted by group size; R² holds each group's Σ(y - ȳ)² at its observed
value. The draws take the evaluation's seed, so intervals repeat.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from governance.evaluators.metrics import Array

N, SY, SP, SE, SA, SE2, SY2, SP2, SE4 = range(9)
SUMS = 9
REGRESSION_METRICS = (
    "count",
    "mean_absolute_error",
    "root_mean_squared_error",
    "mean_prediction",
    "mean_residual",
    "r2",
)
LOWEST_DECADE = -6
DECADES = 12
PER_DECADE = 4
MAGNITUDES = DECADES * PER_DECADE
RESIDUAL_BINS = 2 * MAGNITUDES + 1
ZERO_BIN = MAGNITUDES
SMALLEST = 10.0**LOWEST_DECADE
INTERVAL_METHOD = "normal approximation per group from the sums (no row resampling)"


def residual_bins(residuals: NDArray[np.float64]) -> NDArray[np.int64]:
    """The histogram bin of each residual (0 ... :data:`RESIDUAL_BINS` - 1)."""
    size = np.abs(residuals)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.floor((np.log10(np.maximum(size, SMALLEST)) - LOWEST_DECADE) * PER_DECADE)
    magnitude = np.minimum(step, MAGNITUDES - 1).astype(np.int64)
    bins = np.where(residuals > 0, ZERO_BIN + 1 + magnitude, ZERO_BIN - 1 - magnitude)
    return np.asarray(np.where(size < SMALLEST, ZERO_BIN, bins), dtype=np.int64)


def bin_edges(index: int) -> tuple[float, float]:
    """The residuals bin ``index`` holds, as ``[low, high)`` (the outermost bins are open)."""
    if index == ZERO_BIN:
        return -SMALLEST, SMALLEST
    magnitude = abs(index - ZERO_BIN) - 1
    low = 10.0 ** (LOWEST_DECADE + magnitude / PER_DECADE)
    high = 10.0 ** (LOWEST_DECADE + (magnitude + 1) / PER_DECADE)
    if magnitude == MAGNITUDES - 1:
        high = float("inf")
    return (low, high) if index > ZERO_BIN else (-high, -low)


def histogram_entries(counts: NDArray[Any]) -> list[list[float | int]]:
    """A group's non-empty residual bins as ``[low, high, rows]``."""
    entries: list[list[float | int]] = []
    for index in np.flatnonzero(counts):
        low, high = bin_edges(int(index))
        entries.append([low, high if np.isfinite(high) else None, int(counts[index])])  # type: ignore[list-item]
    return entries


class SumsCounter:
    """Per-group regression sums and residual histograms, accumulated chunk by chunk."""

    def __init__(self) -> None:
        self.sums = np.zeros((0, SUMS))
        self.histogram = np.zeros((0, RESIDUAL_BINS), dtype=np.int64)

    def add(self, codes: NDArray[np.int64], groups: int, truth: Any, predicted: Any) -> None:
        """Add one chunk's targets and predictions by group id."""
        extra = groups - len(self.sums)
        if extra > 0:
            self.sums = np.concatenate([self.sums, np.zeros((extra, SUMS))])
            self.histogram = np.concatenate(
                [self.histogram, np.zeros((extra, RESIDUAL_BINS), dtype=np.int64)]
            )
        y = np.asarray(truth, dtype=np.float64)
        p = np.asarray(predicted, dtype=np.float64)
        e = p - y
        squared = e * e
        columns = (None, y, p, e, np.abs(e), squared, y * y, p * p, squared * squared)
        for column, weights in enumerate(columns):
            self.sums[:, column] += np.bincount(codes, weights=weights, minlength=groups)
        index = codes * RESIDUAL_BINS + residual_bins(e)
        self.histogram += np.bincount(index, minlength=groups * RESIDUAL_BINS).reshape(
            groups, RESIDUAL_BINS
        )


def _r2(squared: Array, sums: Array) -> Array:
    n = sums[..., N]
    with np.errstate(divide="ignore", invalid="ignore"):
        total = sums[..., SY2] - sums[..., SY] ** 2 / n
        fitted = np.where(total > 0, 1.0 - squared / total, np.where(squared == 0, 1.0, 0.0))
    return np.where(n < 2, np.nan, fitted)


def regression_metric(name: str, sums: Array) -> Array:
    """``name`` from sums whose last axis is :data:`SUMS` long (NaN for an empty group)."""
    n = sums[..., N]
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "count":
            return np.asarray(n)
        if name == "mean_absolute_error":
            return sums[..., SA] / n
        if name == "root_mean_squared_error":
            return np.asarray(np.sqrt(sums[..., SE2] / n))
        if name == "mean_prediction":
            return sums[..., SP] / n
        if name == "mean_residual":
            return sums[..., SE] / n
        if name == "r2":
            return _r2(sums[..., SE2], sums)
    raise KeyError(name)


_MOMENTS = {
    "mean_absolute_error": (SA, SE2),
    "mean_prediction": (SP, SP2),
    "mean_residual": (SE, SE2),
    "root_mean_squared_error": (SE2, SE4),
    "r2": (SE2, SE4),
}


def resampled_regression(
    name: str, sums: Array, rng: np.random.Generator, n_boot: int
) -> tuple[Array, Array]:
    """``name`` on ``n_boot`` normal draws: ``(n_boot, G)`` by group and ``(n_boot,)`` overall."""
    n = sums[:, N]
    if name == "count":
        return np.broadcast_to(n, (n_boot, len(n))).copy(), np.full(n_boot, n.sum())
    first, second = _MOMENTS[name]
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = sums[:, first] / n
        spread = np.sqrt(np.maximum(sums[:, second] / n - mean * mean, 0.0) / n)
        drawn = mean + rng.standard_normal((n_boot, len(n))) * spread
        drawn = np.where(n > 0, drawn, np.nan)
        totals = np.nansum(drawn * n, axis=1)
        overall = totals / n.sum()
        if name in ("mean_absolute_error", "mean_prediction", "mean_residual"):
            return drawn, overall
        drawn = np.maximum(drawn, 0.0)
        overall = np.maximum(overall, 0.0)
        if name == "root_mean_squared_error":
            return np.sqrt(drawn), np.sqrt(overall)
        whole = sums.sum(axis=0)
        return _r2(drawn * n, sums), _r2(overall * whole[N], whole)
