"""Alarms that stay valid when a rate is checked again after every window.

A monitor looks at a rate (a group's selection rate, error rate, ...) after each window. A fixed
95% interval recomputed at every look excludes the true rate at some look far more often than
5% of the time: over 100 looks, almost surely for per-window intervals, and increasingly often
for intervals over the rows so far (the law of the iterated logarithm). Two remedies, both
valid at every look at once with probability at least ``1 - alpha``:

Confidence sequence (cumulative): :func:`rate_sequence`
    The two-sided normal-mixture boundary of Howard, Ramdas, McAuliffe and Sekhon (2021),
    "Time-uniform, nonparametric, nonasymptotic confidence sequences", Annals of Statistics
    49(2): mixing ``exp(lambda * S_n - lambda**2 * v / 2)`` over ``lambda ~ N(0, 1 / rho)`` gives
    a nonnegative supermartingale, and Ville's inequality bounds the chance it ever exceeds
    ``1 / alpha``. For observations in [0, 1] (sub-Gaussian with variance proxy 1/4), with
    ``n`` rows so far and ``v = n / 4``,
    ``|sum(x) - n * p| <= sqrt((v + rho) * log((v + rho) / (rho * alpha**2)))`` holds for every
    ``n`` simultaneously with probability at least ``1 - alpha``. ``rho > 0`` only moves where
    the boundary is tightest: :func:`mixture_rho` tunes it for a number of rows.

Alpha spending (per window): :func:`rate_spending`
    Window ``k`` (from 1) gets ``alpha_k = alpha * 6 / (pi**2 * k**2)`` (the ``alpha_k`` sum to
    ``alpha``) and an exact Clopper-Pearson interval at level ``1 - alpha_k`` over that window's
    rows alone; by the union bound every interval holds at once with probability at least
    ``1 - alpha``. It reacts to a change within one window; the cumulative sequence is tighter
    for a stationary rate but slower to follow a change.

Difference of two groups' rates: :func:`difference_sequence`, :func:`difference_spending`
    Each group gets an interval at ``alpha / 2`` and the difference's interval is
    ``[low_a - high_b, high_a - low_b]``: by the union bound it holds at every look with
    probability at least ``1 - alpha``, whatever the groups' sizes (conservative).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray[Any, np.dtype[np.float64]]
DEFAULT_ALPHA = 0.05
DEFAULT_TUNED_ROWS = 1000


@dataclass(frozen=True)
class Intervals:
    """One interval per look (window): the estimate and its bounds, clipped to the range."""

    estimate: Array
    lower: Array
    upper: Array

    def excludes(self, value: float) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Per look: whether the interval excludes ``value`` (an alarm against it)."""
        return np.asarray((self.lower > value) | (self.upper < value))

    def first_alarm(self, value: float) -> int | None:
        """Index of the first look whose interval excludes ``value``; None if none does."""
        hits = np.flatnonzero(self.excludes(value))
        return int(hits[0]) if hits.size else None


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")


def _counts(
    successes: Sequence[float] | Array, trials: Sequence[float] | Array
) -> tuple[Array, Array]:
    s = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if s.shape != n.shape:
        raise ValueError("successes and trials differ in shape")
    if np.any(n < 0) or np.any(s < 0) or np.any(s > n):
        raise ValueError("need 0 <= successes <= trials")
    return s, n


def mixture_rho(rows: float = DEFAULT_TUNED_ROWS, alpha: float = DEFAULT_ALPHA) -> float:
    """A ``rho`` making the boundary close to tightest after ``rows`` rows.

    ``v / (2 log(1/alpha) + log(1 + 2 log(1/alpha)))`` with ``v = rows / 4``: the radius it
    gives at ``rows`` rows is within 0.01% of the smallest over ``rho`` (checked in the tests).
    Any ``rho > 0`` keeps the sequence valid.
    """
    _check_alpha(alpha)
    if rows <= 0:
        raise ValueError("rows must be positive")
    log_term = 2 * math.log(1 / alpha)
    return (rows / 4) / (log_term + math.log(1 + log_term))


def mixture_radius(rows: Array | float, alpha: float, rho: float) -> Array:
    """Half-width of the confidence sequence for a mean of [0, 1] values after ``rows`` rows."""
    n = np.asarray(rows, dtype=np.float64)
    v = n / 4
    bound = np.sqrt((v + rho) * np.log((v + rho) / (rho * alpha**2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        radius: Array = np.where(n > 0, bound / np.where(n > 0, n, 1), np.inf)
    return radius


def rate_sequence(
    successes: Sequence[float] | Array,
    trials: Sequence[float] | Array,
    *,
    alpha: float = DEFAULT_ALPHA,
    rho: float | None = None,
) -> Intervals:
    """Confidence sequence of a rate over the rows so far, after each window.

    ``successes`` and ``trials`` are per window (last axis); the interval at look ``k`` covers
    windows ``1..k``. Valid at every look at once with probability ``1 - alpha``.
    """
    _check_alpha(alpha)
    s, n = _counts(successes, trials)
    s_cum, n_cum = np.cumsum(s, axis=-1), np.cumsum(n, axis=-1)
    rho = mixture_rho(alpha=alpha) if rho is None else rho
    radius = mixture_radius(n_cum, alpha, rho)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(n_cum > 0, s_cum / np.where(n_cum > 0, n_cum, 1), np.nan)
    lower = np.where(n_cum > 0, np.clip(estimate - radius, 0, 1), 0.0)
    upper = np.where(n_cum > 0, np.clip(estimate + radius, 0, 1), 1.0)
    return Intervals(estimate=estimate, lower=lower, upper=upper)


def spending_alpha(looks: int, alpha: float = DEFAULT_ALPHA) -> Array:
    """``alpha * 6 / (pi**2 * k**2)`` for looks ``k = 1..looks``: they sum to less than alpha."""
    _check_alpha(alpha)
    k = np.arange(1, looks + 1, dtype=np.float64)
    spent: Array = alpha * 6 / (math.pi**2 * k**2)
    return spent


def clopper_pearson(
    successes: Array | float, trials: Array | float, alpha: Array | float
) -> tuple[Array, Array]:
    """Exact two-sided ``1 - alpha`` interval of a binomial rate (0 rows: ``[0, 1]``)."""
    from scipy.stats import beta

    s = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), np.broadcast(s, n).shape)
    with np.errstate(invalid="ignore"):
        lower = np.where(s > 0, beta.ppf(a / 2, s, n - s + 1), 0.0)
        upper = np.where(s < n, beta.ppf(1 - a / 2, s + 1, n - s), 1.0)
    return np.asarray(np.nan_to_num(lower, nan=0.0)), np.asarray(np.nan_to_num(upper, nan=1.0))


def rate_spending(
    successes: Sequence[float] | Array,
    trials: Sequence[float] | Array,
    *,
    alpha: float = DEFAULT_ALPHA,
) -> Intervals:
    """Per-window intervals at spent levels: every window's holds at once w.p. ``1 - alpha``."""
    s, n = _counts(successes, trials)
    spent = spending_alpha(s.shape[-1], alpha)
    lower, upper = clopper_pearson(s, n, spent)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(n > 0, s / np.where(n > 0, n, 1), np.nan)
    return Intervals(estimate=estimate, lower=lower, upper=upper)


def fixed_intervals(
    successes: Sequence[float] | Array,
    trials: Sequence[float] | Array,
    *,
    confidence: float = 0.95,
    cumulative: bool = False,
) -> Intervals:
    """Wilson score intervals at a fixed confidence, per window or over the rows so far.

    Each is valid at one look; recomputed at every look they are not (see the module's text).
    """
    from scipy.stats import norm

    s, n = _counts(successes, trials)
    if cumulative:
        s, n = np.cumsum(s, axis=-1), np.cumsum(n, axis=-1)
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    safe = np.where(n > 0, n, 1)
    p = s / safe
    centre = (p + z**2 / (2 * safe)) / (1 + z**2 / safe)
    half = z * np.sqrt(p * (1 - p) / safe + z**2 / (4 * safe**2)) / (1 + z**2 / safe)
    lower = np.where(n > 0, np.clip(centre - half, 0, 1), 0.0)
    upper = np.where(n > 0, np.clip(centre + half, 0, 1), 1.0)
    return Intervals(estimate=np.where(n > 0, p, np.nan), lower=lower, upper=upper)


def _difference(first: Intervals, second: Intervals) -> Intervals:
    return Intervals(
        estimate=first.estimate - second.estimate,
        lower=first.lower - second.upper,
        upper=first.upper - second.lower,
    )


def difference_sequence(
    successes_a: Sequence[float] | Array,
    trials_a: Sequence[float] | Array,
    successes_b: Sequence[float] | Array,
    trials_b: Sequence[float] | Array,
    *,
    alpha: float = DEFAULT_ALPHA,
) -> Intervals:
    """Confidence sequence of ``rate_a - rate_b``: each rate's at ``alpha / 2``, combined."""
    return _difference(
        rate_sequence(successes_a, trials_a, alpha=alpha / 2),
        rate_sequence(successes_b, trials_b, alpha=alpha / 2),
    )


def difference_spending(
    successes_a: Sequence[float] | Array,
    trials_a: Sequence[float] | Array,
    successes_b: Sequence[float] | Array,
    trials_b: Sequence[float] | Array,
    *,
    alpha: float = DEFAULT_ALPHA,
) -> Intervals:
    """Per-window intervals of ``rate_a - rate_b`` at spent levels (each rate at half)."""
    return _difference(
        rate_spending(successes_a, trials_a, alpha=alpha / 2),
        rate_spending(successes_b, trials_b, alpha=alpha / 2),
    )
