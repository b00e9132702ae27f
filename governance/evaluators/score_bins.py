"""Score histograms and ranks: ROC AUC (exact from ranks, or bounded from bins) and ECE bins."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from governance.evaluators.metrics import Array

Codes = NDArray[np.int64]


def histogram_auc(negatives: Array, positives: Array) -> tuple[Array, Array]:
    """ROC AUC from score histograms by label (last axis: bins), and its error bound.

    Pairs in the same bin count as ties (half a concordant pair); the exact AUC differs from the
    result by at most the returned bound, half the share of positive-negative pairs sharing a bin.
    """
    negatives = np.asarray(negatives, dtype=np.float64)
    positives = np.asarray(positives, dtype=np.float64)
    below = np.cumsum(negatives, axis=-1) - negatives
    pairs = positives.sum(axis=-1) * negatives.sum(axis=-1)
    concordant = (positives * (below + 0.5 * negatives)).sum(axis=-1)
    ties = (positives * negatives).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = np.where(pairs > 0, concordant / pairs, np.nan)
        bound = np.where(pairs > 0, 0.5 * ties / pairs, np.nan)
    return auc, bound


def rank_auc(codes: Codes, y_true: NDArray[Any], scores: NDArray[np.float64], groups: int) -> Array:
    """Exact ROC AUC of each group (NaN for a group with a single class)."""
    if len(codes) == 0:
        return np.full(groups, np.nan)
    order = np.lexsort((scores, codes))
    code = codes[order]
    score = scores[order]
    label = np.asarray(y_true, dtype=np.float64)[order]
    rows = len(code)
    new = np.empty(rows, dtype=bool)
    new[0] = True
    new[1:] = (code[1:] != code[:-1]) | (score[1:] != score[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], rows)
    block = np.cumsum(new) - 1
    average = (starts + ends - 1) / 2.0 + 1.0  # 1-based average rank of each tie block
    group_start = np.searchsorted(code, np.arange(groups))
    ranks = average[block] - group_start[code]
    rank_sum = np.bincount(code, weights=ranks * label, minlength=groups)
    positives = np.bincount(code, weights=label, minlength=groups)
    negatives = np.bincount(code, minlength=groups) - positives
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)
    return np.where((positives > 0) & (negatives > 0), auc, np.nan)


def ece_bin_ids(scores: NDArray[np.float64], n_bins: int) -> NDArray[np.intp]:
    """Calibration bin of each score, exactly as scikit-learn's ``calibration_curve``."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], scores)


def ece_from_bins(bins: Array) -> Array:
    """Expected calibration error from ``(..., n_bins, 3)`` rows, Σs, Σy per bin."""
    rows = bins[..., 0].sum(axis=-1)
    gap = np.abs(bins[..., 2] - bins[..., 1]).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: Array = np.where(rows > 0, gap / rows, np.nan)
    return result
