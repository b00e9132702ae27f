"""Wilson score intervals for per-group rates: intervals that do not collapse for small groups.

A rate such as a group's selection rate is a proportion ``x / n`` of the group's rows (or of its
positives, its predicted positives ...). A percentile bootstrap of the counts gives such a rate
the interval ``[1, 1]`` when all ``n`` rows have the same outcome, however small ``n`` is. The
Wilson score interval (Wilson 1927; Brown, Cai and DasGupta 2001, "Interval Estimation for a
Binomial Proportion", Statistical Science 16(2), eq. 4) does not:

    centre = (p + z²/2n) / (1 + z²/n)
    half   = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²)

with ``p = x / n`` and ``z`` the ``(1 + c) / 2`` quantile of the standard normal. It is what
``statsmodels.stats.proportion.proportion_confint(method="wilson")`` computes. Wilson is chosen
over Clopper-Pearson because Clopper-Pearson is conservative (its coverage is above the nominal
level, its intervals wider than needed) while Wilson's coverage is close to nominal even for
small ``n``; and it needs no special function beyond the normal quantile. A group of 3 with all
rows positive gets [0.4385, 1] at 95%.

Differences and ratios between groups keep the bootstrap of the counts
(:mod:`governance.evaluators.bootstrap`).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from governance.evaluators.metrics import RATES, Array, rate_cells

METHOD = "wilson"
"""How per-group (and overall) rates get their intervals."""


def wilson(successes: Array, trials: Array, confidence: float) -> tuple[Array, Array]:
    """Wilson score interval of ``successes / trials`` (NaN where ``trials`` is 0).

    Parameters
    ----------
    successes, trials
        Counts (arrays of the same shape).
    confidence
        The interval's confidence, e.g. 0.95.

    Returns
    -------
    tuple of arrays
        The lower and upper ends.
    """
    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = NormalDist().inv_cdf((1.0 + confidence) / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        z2n = z * z / n
        centre = (p + z2n / 2.0) / (1.0 + z2n)
        half = z / (1.0 + z2n) * np.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    # exactly 0 and 1 at the ends (rounding leaves 1 - 2e-16 where every row is a success)
    low = np.where(n > 0, np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
    high = np.where(n > 0, np.where(x == n, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    return low, high


def is_rate(metric: str) -> bool:
    """Whether ``metric`` is a proportion with a Wilson interval."""
    return metric in RATES


def rate_interval(
    metric: str, confusion: NDArray[np.int64], confidence: float
) -> tuple[Array, Array]:
    """Wilson interval of the rate ``metric`` for each row of ``(..., 4)`` confusion counts."""
    successes, trials = rate_cells(metric, confusion)
    return wilson(successes, trials, confidence)
