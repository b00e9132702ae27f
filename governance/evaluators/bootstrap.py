"""Bootstrap confidence intervals by resampling counts, not rows.

Scheme (stratified by group): each group keeps its size ``n_g``; a resample of the group is one
multinomial draw of ``n_g`` rows over the group's cells with the observed cell shares. For
predictions the cells are the four confusion cells ``(tn, fp, fn, tp)``, so a resample costs
``O(groups)`` whatever the number of rows; for scores they are the non-empty (label, fine score
bin) cells of :mod:`governance.evaluators.counts`, each row taking its cell's mean score (the
spread of scores within a 1/2048-wide bin is ignored). The overall population of a resample is
the sum of its groups. Metrics and disparities are computed on every resample exactly as on the
data; the interval is the percentile interval ``[q((1 - c) / 2), q((1 + c) / 2)]`` of the
resampled values (NumPy's linear quantiles, as fairlearn's ``ci_quantiles``).

Resamples are seeded from ``(seed, grouping)``: the same seed and data give the same interval,
whatever other rules ran.
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from governance.evaluators.counts import (
    FINE_BINS,
    GroupCounts,
    ScoresUnavailable,
    ece_bin_ids,
    ece_from_bins,
    histogram_auc,
)
from governance.evaluators.metrics import METRICS, Array, confusion_metric

CONFUSION_STREAM = 0
SCORE_STREAM = 1


@dataclass(frozen=True)
class BootstrapSpec:
    """How many resamples, the interval's confidence, and the seed."""

    n_boot: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def quantiles(self) -> tuple[float, float]:
        """The lower and upper quantile of the interval."""
        tail = (1.0 - self.confidence) / 2.0
        return tail, 1.0 - tail


def generator(spec: BootstrapSpec, counts: GroupCounts, stream: int) -> np.random.Generator:
    """A generator seeded by the spec's seed, the grouping and the kind of resample."""
    grouping = zlib.crc32("\x1f".join(counts.features).encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence([spec.seed, grouping, stream]))


def resample_confusion(counts: GroupCounts, spec: BootstrapSpec) -> NDArray[np.int64]:
    """``(n_boot, G, 4)`` resampled confusion counts, each group's size kept."""
    sizes = counts.sizes
    shares = counts.confusion / np.maximum(sizes, 1)[:, None]
    rng = generator(spec, counts, CONFUSION_STREAM)
    draws = rng.multinomial(sizes, shares, size=(spec.n_boot, len(sizes)))
    return np.asarray(draws, dtype=np.int64)


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
    if METRICS[name].kind == "confusion":
        draws = resample_confusion(counts, spec) if confusion is None else confusion
        return confusion_metric(name, draws), confusion_metric(name, draws.sum(axis=1))
    return _resampled_score_metric(counts, name, spec, n_bins)


def _resampled_score_metric(
    counts: GroupCounts, name: str, spec: BootstrapSpec, n_bins: int
) -> tuple[Array, Array]:
    stats = counts.scores
    if stats is None or stats.cells is None:
        raise ScoresUnavailable(f"no bootstrap interval for {name}: scores are outside [0, 1]")
    rng = generator(spec, counts, SCORE_STREAM)
    boots = spec.n_boot
    groups = len(counts.groups)
    by_group = np.empty((boots, groups))
    overall_hist = np.zeros((boots, 2, FINE_BINS))
    overall_sums = np.zeros((boots, 4))  # rows, positives, Σs, Σ(s - y)²
    overall_abs = np.zeros(boots)
    overall_ece = np.zeros((boots, n_bins, 3))
    for index in range(groups):
        cells = stats.cells[index]  # (2, FINE_BINS, 3)
        label, fine = np.nonzero(cells[..., 0])
        rows = cells[label, fine, 0]
        mean = cells[label, fine, 1] / rows
        mean_square = cells[label, fine, 2] / rows
        size = int(rows.sum())
        draws = rng.multinomial(size, rows / size, size=boots).astype(np.float64)  # (B, K)
        positives = draws[:, label == 1].sum(axis=1)
        score_sum = draws @ mean
        squared = draws @ (mean_square - 2 * label * mean + label)
        absolute = draws @ np.where(label == 1, 1.0 - mean, mean)
        hist = np.zeros((boots, 2, FINE_BINS))
        hist[:, label, fine] = draws
        member = np.zeros((len(mean), n_bins))  # which calibration bin each cell falls in
        member[np.arange(len(mean)), ece_bin_ids(mean, n_bins)] = 1.0
        ece = np.stack([draws @ member, (draws * mean) @ member, (draws * label) @ member], axis=2)
        by_group[:, index] = _score_value(
            name, size, positives, score_sum, squared, absolute, hist, ece
        )
        overall_hist += hist
        overall_sums += np.stack([np.full(boots, size), positives, score_sum, squared], axis=1)
        overall_abs += absolute
        overall_ece += ece
    overall = _score_value(
        name,
        overall_sums[:, 0],
        overall_sums[:, 1],
        overall_sums[:, 2],
        overall_sums[:, 3],
        overall_abs,
        overall_hist,
        overall_ece,
    )
    return by_group, overall


def _score_value(
    name: str,
    size: float | Array,
    positives: Array,
    score_sum: Array,
    squared: Array,
    absolute: Array,
    hist: Array,
    ece: Array,
) -> Array:
    rows = np.asarray(size, dtype=np.float64)
    if name == "mean_prediction":
        return score_sum / rows
    if name == "brier_score":
        return squared / rows
    if name == "root_mean_squared_error":
        return np.sqrt(squared / rows)
    if name == "mean_absolute_error":
        return absolute / rows
    if name == "r2":
        total = positives * (rows - positives) / rows
        with np.errstate(invalid="ignore", divide="ignore"):
            fitted = np.where(total > 0, 1.0 - squared / total, np.where(squared == 0, 1.0, 0.0))
            return np.where(rows < 2, np.nan, fitted)
    if name == "expected_calibration_error":
        return ece_from_bins(ece)
    if name == "roc_auc":
        auc, _ = histogram_auc(hist[:, 0, :], hist[:, 1, :])
        return auc
    raise KeyError(name)
