"""`sequential: true` on a rate difference: the false-alarm rate over 100 windows of a stream
whose disparity sits at the threshold stays below alpha; a rule on the point estimate alarms
in almost every stream; a real shift is still caught."""

from __future__ import annotations

import math

import numpy as np
import pytest

from governance.checks.builtin import default_registry
from governance.evaluators.sequential_rules import gap_bounds

ALPHA = 0.05
STREAMS = 1000
LOOKS = 100


def _alarms(
    rates: tuple[float, float], rows: int, threshold: float, seed: int
) -> tuple[float, float, float]:
    """Share of streams with an alarm at any of the looks: the sequential bound, the lower end
    of a fixed 95% (Wald) interval of the difference, and the point estimate."""
    rng = np.random.default_rng(seed)
    sequential = np.zeros(STREAMS, dtype=bool)
    point = np.zeros(STREAMS, dtype=bool)
    fixed = np.zeros(STREAMS, dtype=bool)
    trials = np.array([rows, rows], dtype=np.float64)
    for look in range(1, LOOKS + 1):
        successes = rng.binomial(rows, rates, size=(STREAMS, 2)).astype(np.float64)
        bounds = gap_bounds(successes, trials, look=look, alpha=ALPHA, groups=2)
        sequential |= bounds.lower > threshold
        rate = successes / rows
        se = np.sqrt((rate * (1 - rate)).sum(axis=-1) / rows)
        fixed |= np.abs(rate[:, 0] - rate[:, 1]) - 1.96 * se > threshold  # Wald, 95%
        point |= np.abs(successes[:, 0] - successes[:, 1]) / rows > threshold
    return float(sequential.mean()), float(fixed.mean()), float(point.mean())


def test_false_alarms_stay_below_alpha_over_100_windows() -> None:
    sequential, fixed, point = _alarms((0.35, 0.25), rows=150, threshold=0.1, seed=5)
    pass_mark = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / STREAMS)
    assert sequential <= pass_mark
    assert fixed > pass_mark  # fixed intervals checked every window exceed it
    assert point > 0.99  # the point estimate crosses a threshold it sits on, nearly always


def test_a_real_disparity_is_caught() -> None:
    rng = np.random.default_rng(9)
    successes = rng.binomial(400, (0.5, 0.2)).astype(np.float64)
    bounds = gap_bounds(successes, np.array([400.0, 400.0]), look=20, alpha=ALPHA, groups=2)
    assert bounds.lower > 0.1
    assert bounds.lower <= bounds.point <= bounds.upper


def test_later_looks_spend_less_so_their_bounds_are_wider() -> None:
    s, n = np.array([60.0, 30.0]), np.array([200.0, 200.0])
    first = gap_bounds(s, n, look=1, alpha=ALPHA, groups=2)
    tenth = gap_bounds(s, n, look=10, alpha=ALPHA, groups=2)
    assert tenth.lower < first.lower < first.point < first.upper < tenth.upper


@pytest.mark.parametrize("params", [{"method": "to_overall"}, {"gate_on": "ci_lower"}])
def test_sequential_goes_with_between_groups_and_the_point(params: dict[str, str]) -> None:
    check = default_registry().get("fairness.demographic_parity_difference")
    assert check is not None
    with pytest.raises(ValueError, match="sequential: true goes with method between_groups"):
        check.params.model_validate({"sequential": True, **params})
