"""Bootstrap confidence intervals by resampling counts, not rows.

Scheme (stratified by group): each group keeps its size ``n_g``; a resample of the group is one
multinomial draw of ``n_g`` rows over the group's cells with the observed cell shares. For
predictions the cells are the four confusion cells ``(tn, fp, fn, tp)``, so a resample costs
``O(groups)`` whatever the number of rows; for scores they are the non-empty (label, fine score
bin) cells (:data:`BOOT_BINS` equal-width bins), each row taking its cell's mean score; as
binning moves a score metric slightly, the resampled values are shifted by the difference
between the exact value and the binned value of the data, so the interval centres where the
point estimate is. The overall population of a resample is
the sum of its groups. Metrics and disparities are computed on every resample exactly as on the
data; the interval is the percentile interval ``[q((1 - c) / 2), q((1 + c) / 2)]`` of the
resampled values (NumPy's linear quantiles, as fairlearn's ``ci_quantiles``).

Resamples are seeded from ``(seed, grouping)``: the same seed and data give the same interval,
whatever other rules ran. One seed, resample count and confidence hold for a whole evaluation
(:data:`EVALUATION_SPEC`, recorded as the record's ``intervals``), so the same quantity has the
same interval in every rule. Per-group rates get Wilson intervals instead
(:mod:`governance.evaluators.rate_intervals`).
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from governance.checks.params import DEFAULT_CONFIDENCE, DEFAULT_N_BOOT, DEFAULT_SEED
from governance.evaluators.counts import (
    GroupCounts,
    ScoresUnavailable,
    ece_bin_ids,
    ece_from_bins,
    histogram_auc,
    score_metric,
)
from governance.evaluators.metrics import METRICS, Array
from governance.evaluators.regression import resampled_regression

BOOT_BINS = 512  # score cells per label for resampling: FINE_BINS merged 4 to 1
CONFUSION_STREAM = 0
SCORE_STREAM = 1
REGRESSION_STREAM = 2


@dataclass(frozen=True)
class BootstrapSpec:
    """How many resamples, the interval's confidence, and the seed."""

    n_boot: int = DEFAULT_N_BOOT
    confidence: float = DEFAULT_CONFIDENCE
    seed: int = DEFAULT_SEED

    @property
    def quantiles(self) -> tuple[float, float]:
        """The lower and upper quantile of the interval."""
        tail = (1.0 - self.confidence) / 2.0
        return tail, 1.0 - tail


EVALUATION_SPEC = BootstrapSpec()
"""The resampling of every rule of an evaluation (rules may only turn it off, ``n_boot: 0``)."""


def evaluation_spec(n_boot: int) -> BootstrapSpec:
    """The evaluation's resampling, or none (``n_boot`` 0) for a rule that turned it off."""
    spec = EVALUATION_SPEC
    return spec if n_boot else BootstrapSpec(n_boot=0, confidence=spec.confidence, seed=spec.seed)


def generator(spec: BootstrapSpec, counts: GroupCounts, stream: int) -> np.random.Generator:
    """A generator seeded by the spec's seed, the grouping and the kind of resample."""
    grouping = zlib.crc32("\x1f".join((*counts.features, *counts.key[1:])).encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence([spec.seed, grouping, stream]))


def resample_confusion(counts: GroupCounts, spec: BootstrapSpec) -> NDArray[np.int64]:
    """``(n_boot, G, 4)`` resampled confusion counts, each group's size kept."""
    sizes = counts.sizes
    shares = counts.confusion / np.maximum(sizes, 1)[:, None]
    rng = generator(spec, counts, CONFUSION_STREAM)
    draws = rng.multinomial(sizes, shares, size=(spec.n_boot, len(sizes)))
    return np.asarray(draws, dtype=np.int64)


def multinomial(rng: np.random.Generator, rows: int, shares: Array, boots: int) -> Array:
    """``boots`` multinomial draws of ``rows`` over cells with ``shares``, as float counts.

    With fewer rows than cells, the rows are drawn one by one (the same distribution, and
    cheaper than NumPy's multinomial, which visits every cell).
    """
    cells = len(shares)
    if rows * max(np.log2(cells), 1.0) >= cells:
        return np.asarray(rng.multinomial(rows, shares, size=boots), dtype=np.float64)
    cumulative = np.cumsum(shares)
    picks = np.searchsorted(cumulative, rng.random((boots, rows)) * cumulative[-1], side="right")
    picks = np.minimum(picks, cells - 1) + np.arange(boots)[:, None] * cells
    counts = np.bincount(picks.ravel(), minlength=boots * cells)
    return np.asarray(counts.reshape(boots, cells), dtype=np.float64)


def interval(samples: Array, spec: BootstrapSpec) -> tuple[Array, Array]:
    """Percentile interval over the first axis (NaN resamples ignored)."""
    with (
        np.errstate(invalid="ignore"),
        warnings.catch_warnings(action="ignore", category=RuntimeWarning),
    ):
        low, high = np.nanquantile(samples, spec.quantiles, axis=0)
    return low, high


def resampled_metric(
    counts: GroupCounts,
    name: str,
    spec: BootstrapSpec,
    confusion: NDArray[np.int64] | None = None,
    *,
    n_bins: int = 10,
) -> tuple[Array, Array]:
    """``name`` on every resample: ``(n_boot, G)`` by group and ``(n_boot,)`` overall.

    ``confusion`` passes precomputed confusion resamples (shared by the metrics of a rule).
    """
    if counts.regression is not None:
        rng = generator(spec, counts, REGRESSION_STREAM)
        return resampled_regression(name, counts.regression, rng, spec.n_boot)
    if METRICS[name].kind == "confusion":
        draws = resample_confusion(counts, spec) if confusion is None else confusion
        return counts.from_cells(name, draws), counts.from_cells(name, draws.sum(axis=1))
    return _resampled_score_metric(counts, name, spec, n_bins)


@dataclass
class _Pieces:
    """Additive sums of one resampled population, enough for one score metric."""

    rows: Array
    positives: Array
    score_sum: Array
    squared: Array
    absolute: Array
    hist: Array | None  # (B, 2, BOOT_BINS) rows by label and bin, for ROC AUC
    ece: Array | None  # (B, n_bins, 3) rows, Σs, Σy per calibration bin

    def __iadd__(self, other: _Pieces) -> _Pieces:
        for name in ("rows", "positives", "score_sum", "squared", "absolute", "hist", "ece"):
            mine = getattr(self, name)
            if mine is not None:
                setattr(self, name, mine + getattr(other, name))
        return self


def _pieces(
    name: str,
    draws: Array,
    label: NDArray[np.intp],
    bins: NDArray[np.intp],
    mean: Array,
    mean_square: Array,
    n_bins: int,
) -> _Pieces:
    boots = len(draws)
    hist = ece = None
    if name == "roc_auc":
        flat = np.zeros((boots, 2 * BOOT_BINS))
        flat[:, label * BOOT_BINS + bins] = draws
        hist = flat.reshape(boots, 2, BOOT_BINS)
    if name == "expected_calibration_error":
        ece = np.zeros((boots, n_bins, 3))
        calibration = ece_bin_ids(mean, n_bins)
        for index in np.unique(calibration):
            cells = calibration == index
            part = draws[:, cells]
            ece[:, index, 0] = part.sum(axis=1)
            ece[:, index, 1] = part @ mean[cells]
            ece[:, index, 2] = part @ label[cells].astype(np.float64)
    zero = np.zeros(boots)
    return _Pieces(
        rows=draws.sum(axis=1),
        positives=draws[:, label == 1].sum(axis=1),
        score_sum=draws @ mean if name in ("mean_prediction", "mean_residual") else zero,
        squared=draws @ (mean_square - 2 * label * mean + label)
        if name in ("brier_score", "root_mean_squared_error", "r2")
        else zero,
        absolute=draws @ np.where(label == 1, 1.0 - mean, mean)
        if name == "mean_absolute_error"
        else zero,
        hist=hist,
        ece=ece,
    )


def _resampled_score_metric(
    counts: GroupCounts, name: str, spec: BootstrapSpec, n_bins: int
) -> tuple[Array, Array]:
    stats = counts.scores
    if stats is None or stats.cells is None:
        raise ScoresUnavailable(f"no bootstrap interval for {name}: scores are outside [0, 1]")
    rng = generator(spec, counts, SCORE_STREAM)
    merged = stats.cells.reshape(len(counts.groups), 2, BOOT_BINS, -1, 3).sum(axis=3)
    by_group = np.empty((spec.n_boot, len(counts.groups)))
    observed = np.empty(len(counts.groups))
    overall: _Pieces | None = None
    overall_observed: _Pieces | None = None
    for index in range(len(counts.groups)):
        label, bins = np.nonzero(merged[index, ..., 0])
        rows = merged[index, label, bins, 0]
        mean = merged[index, label, bins, 1] / rows
        mean_square = merged[index, label, bins, 2] / rows
        size = int(rows.sum())
        draws = multinomial(rng, size, rows / size, spec.n_boot)
        pieces = _pieces(name, draws, label, bins, mean, mean_square, n_bins)
        seen = _pieces(name, rows[None, :], label, bins, mean, mean_square, n_bins)
        by_group[:, index] = _score_value(name, pieces)
        observed[index] = _score_value(name, seen)[0]
        if overall is None or overall_observed is None:
            overall, overall_observed = pieces, seen
        else:
            overall += pieces
            overall_observed += seen
    assert overall is not None and overall_observed is not None  # there is at least one group
    # Binning moves a score metric slightly (ties within a bin): shift the resamples so they
    # centre on the exact value, as the point estimate does.
    exact, exact_overall = score_metric(name, counts, n_bins=n_bins)
    total = _score_value(name, overall) + (exact_overall - _score_value(name, overall_observed)[0])
    return by_group + (exact - observed), total


def _score_value(name: str, pieces: _Pieces) -> Array:
    rows = pieces.rows
    with np.errstate(invalid="ignore", divide="ignore"):
        if name == "mean_prediction":
            return pieces.score_sum / rows
        if name == "mean_residual":
            return (pieces.score_sum - pieces.positives) / rows
        if name == "brier_score":
            return pieces.squared / rows
        if name == "root_mean_squared_error":
            return np.asarray(np.sqrt(pieces.squared / rows))
        if name == "mean_absolute_error":
            return pieces.absolute / rows
        if name == "r2":
            total = pieces.positives * (rows - pieces.positives) / rows
            fitted = np.where(
                total > 0, 1.0 - pieces.squared / total, np.where(pieces.squared == 0, 1.0, 0.0)
            )
            return np.where(rows < 2, np.nan, fitted)
        if name == "expected_calibration_error" and pieces.ece is not None:
            return ece_from_bins(pieces.ece)
        if name == "roc_auc" and pieces.hist is not None:
            auc, _ = histogram_auc(pieces.hist[:, 0, :], pieces.hist[:, 1, :])
            return auc
    raise KeyError(name)
