"""Anytime-valid alarms: the false-alarm rate over 100 looks at a stationary stream stays at
its nominal level for the confidence sequence and the alpha-spending intervals, and fixed 95%
intervals recomputed at every look exceed it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from governance.evaluators.sequential import (
    clopper_pearson,
    difference_sequence,
    difference_spending,
    fixed_intervals,
    mixture_radius,
    mixture_rho,
    rate_sequence,
    rate_spending,
    spending_alpha,
)

ALPHA = 0.05
WINDOWS = 100
REPLICATIONS = 2000


def slack(rate: float, replications: int = REPLICATIONS) -> float:
    """Three standard errors of a false-alarm rate estimated from ``replications`` streams."""
    return 3 * math.sqrt(rate * (1 - rate) / replications)


def false_alarms(excludes: np.ndarray) -> float:
    """Share of streams with an alarm at any of their looks."""
    return float(np.mean(excludes.any(axis=-1)))


@pytest.mark.parametrize(("rate", "rows"), [(0.3, 200), (0.05, 40), (0.5, 1000)])
def test_one_rate_false_alarms_over_100_looks(rate: float, rows: int) -> None:
    rng = np.random.default_rng(17)
    successes = rng.binomial(rows, rate, size=(REPLICATIONS, WINDOWS))
    trials = np.full_like(successes, rows)
    ceiling = ALPHA + slack(ALPHA)

    sequence = false_alarms(rate_sequence(successes, trials, alpha=ALPHA).excludes(rate))
    spending = false_alarms(rate_spending(successes, trials, alpha=ALPHA).excludes(rate))
    per_window = false_alarms(fixed_intervals(successes, trials).excludes(rate))
    cumulative = false_alarms(fixed_intervals(successes, trials, cumulative=True).excludes(rate))

    assert sequence <= ceiling
    assert spending <= ceiling
    assert per_window > ceiling
    assert cumulative > ceiling


def test_difference_false_alarms_over_100_looks() -> None:
    rng = np.random.default_rng(23)
    size = (REPLICATIONS, WINDOWS)
    a, b = rng.binomial(150, 0.2, size=size), rng.binomial(50, 0.2, size=size)
    n_a, n_b = np.full_like(a, 150), np.full_like(b, 50)
    ceiling = ALPHA + slack(ALPHA)

    sequence = difference_sequence(a, n_a, b, n_b, alpha=ALPHA).excludes(0.0)
    spending = difference_spending(a, n_a, b, n_b, alpha=ALPHA).excludes(0.0)
    # the usual fixed interval of a difference: Wald, over the rows so far, at every look
    sa, sb = np.cumsum(a, axis=1), np.cumsum(b, axis=1)
    na, nb = np.cumsum(n_a, axis=1), np.cumsum(n_b, axis=1)
    pa, pb = sa / na, sb / nb
    half = 1.959963984540054 * np.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    wald = np.abs(pa - pb) > half

    assert false_alarms(sequence) <= ceiling
    assert false_alarms(spending) <= ceiling
    assert false_alarms(wald) > ceiling


def test_a_shift_is_caught_after_it_and_not_before() -> None:
    rng = np.random.default_rng(5)
    rates = np.where(np.arange(WINDOWS) < 60, 0.2, 0.4)
    successes = rng.binomial(500, rates, size=(200, WINDOWS))
    trials = np.full_like(successes, 500)
    first = [rate_spending(s, n).first_alarm(0.2) for s, n in zip(successes, trials, strict=True)]
    caught = [index for index in first if index is not None]
    assert len(caught) == len(first)  # every stream alarms ...
    assert np.mean([index >= 60 for index in caught]) >= 1 - ALPHA - slack(ALPHA, 200)
    assert np.median(caught) == 60  # ... and typically in the first window after the shift


def test_spent_levels_sum_below_alpha() -> None:
    spent = spending_alpha(10_000, ALPHA)
    assert spent[0] == pytest.approx(ALPHA * 6 / math.pi**2)
    assert spent.sum() < ALPHA
    assert np.all(np.diff(spent) < 0)


def test_clopper_pearson_covers_the_edges() -> None:
    lower, upper = clopper_pearson(np.array([0, 10, 5]), np.array([10, 10, 10]), 0.05)
    assert lower[0] == 0 and upper[1] == 1
    assert 0 < lower[2] < 0.5 < upper[2] < 1
    # the 0-success upper bound has a closed form: 1 - (alpha / 2) ** (1 / n)
    assert upper[0] == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-12)


@pytest.mark.parametrize(("rows", "alpha"), [(100, 0.05), (1000, 0.05), (20_000, 0.01)])
def test_tuned_rho_is_nearly_tightest(rows: int, alpha: float) -> None:
    best = minimize_scalar(
        lambda log_rho: float(mixture_radius(rows, alpha, math.exp(log_rho))),
        bounds=(-10, 15),
        method="bounded",
    )
    tuned = float(mixture_radius(rows, alpha, mixture_rho(rows, alpha)))
    assert tuned <= best.fun * 1.0001


def test_sequence_narrows_and_is_wider_than_a_fixed_interval() -> None:
    successes, trials = np.full(50, 30), np.full(50, 100)
    sequence = rate_sequence(successes, trials)
    fixed = fixed_intervals(successes, trials, cumulative=True)
    widths = sequence.upper - sequence.lower
    assert np.all(np.diff(widths) < 0)
    assert np.all(widths > fixed.upper - fixed.lower)


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="successes <= trials"):
        rate_sequence([5], [3])
    with pytest.raises(ValueError, match="alpha"):
        rate_sequence([1], [3], alpha=1.5)
