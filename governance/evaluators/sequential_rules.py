"""Rate differences judged on anytime-valid bounds: ``sequential: true`` on a fairness rule.

A monitor checks a disparity after every window. With ``sequential: true`` a
``fairness.demographic_parity_difference`` or ``fairness.equal_opportunity_difference`` rule
judges the lower bound of an interval of the largest difference between groups that holds at
every window at once: window ``k`` (``EvaluationContext.look``, 1 outside a monitor) spends
``alpha_k = alpha * 6 / (pi**2 * k**2)`` (:func:`governance.evaluators.sequential.
spending_alpha`; the ``alpha_k`` sum to less than ``alpha``), split evenly over the groups
compared, on exact Clopper-Pearson intervals of each group's rate over the window's rows. By the
union bound every group's interval holds at every window with probability at least
``1 - alpha``, so the largest difference is at least ``max(low) - min(high)`` at every window:
a ``max`` threshold fails only when the disparity surely exceeds it, and the chance of a false
alarm over any number of windows stays below ``alpha``. Without ``sequential`` the rules are
those of :mod:`governance.evaluators.fairness`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from governance.evaluators.metrics import rate_cells
from governance.evaluators.sequential import clopper_pearson, spending_alpha
from governance.policy.model import Measurement

if TYPE_CHECKING:
    from governance.checks.params import SequentialDisparityParams
    from governance.evaluators.context import EvaluationContext

Array = np.ndarray[Any, np.dtype[np.float64]]
DETAIL = "anytime-valid lower bound at look {look}, alpha {alpha:g}; point {point:.4g}"


@dataclass(frozen=True)
class GapBounds:
    """The largest difference of group rates: point, and bounds valid at every look.

    Floats for one set of groups; arrays for a batch (the groups on the last axis).
    """

    point: Any
    lower: Any
    upper: Any
    group_lower: Array
    group_upper: Array


def gap_bounds(
    successes: Array, trials: Array, *, look: int, alpha: float, groups: int
) -> GapBounds:
    """Bounds of ``max(rate) - min(rate)`` at ``look``, each rate at ``alpha_look / groups``.

    ``groups`` is the number of intervals the union bound covers (every group of every
    grouping of the rule); the groups (last axis) have at least one trial each.
    """
    s = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    spent = float(spending_alpha(look, alpha)[-1]) / max(groups, 1)
    low, high = clopper_pearson(s, n, spent)
    rates = s / n
    return GapBounds(
        point=rates.max(axis=-1) - rates.min(axis=-1),
        lower=np.maximum(0.0, low.max(axis=-1) - high.min(axis=-1)),
        upper=high.max(axis=-1) - low.min(axis=-1),
        group_lower=low,
        group_upper=high,
    )


def demographic_parity_difference(
    context: EvaluationContext, params: SequentialDisparityParams
) -> Measurement:
    """Largest difference of selection rates; ``sequential``: its anytime-valid lower bound."""
    if not params.sequential:
        from governance.evaluators import fairness

        return fairness.demographic_parity_difference(context, params)
    return sequential_difference(context, params, "selection_rate")


def equal_opportunity_difference(
    context: EvaluationContext, params: SequentialDisparityParams
) -> Measurement:
    """Largest difference of true positive rates; ``sequential``: its anytime-valid lower bound."""
    if not params.sequential:
        from governance.evaluators import fairness

        return fairness.equal_opportunity_difference(context, params)
    return sequential_difference(context, params, "true_positive_rate")


def sequential_difference(
    context: EvaluationContext, params: SequentialDisparityParams, metric: str
) -> Measurement:
    """The worst grouping's lower bound, with every group's rate and interval as evidence."""
    look = context.look or 1
    prepared = []
    problems: list[str] = []
    for features in context.feature_sets(params.sensitive_features):
        counts = context.group_counts(features)
        successes, trials = (
            np.asarray(a, dtype=np.float64) for a in rate_cells(metric, counts.confusion)
        )
        sizes = np.asarray(counts.sizes)
        small = [
            f"group {label} has {int(size)} rows"
            for label, size in zip(counts.labels, sizes, strict=True)
            if size < params.min_group_size
        ]
        if small and params.small_groups == "insufficient":
            problems.extend(small)
        compared = np.flatnonzero((sizes >= params.min_group_size) & (trials > 0))
        if compared.size < 2:
            problems.append(f"fewer than two groups of {' × '.join(features)} to compare")
        prepared.append((features, counts, successes, trials, compared))
    total = sum(int(item[4].size) for item in prepared)
    tables = []
    worst: GapBounds | None = None
    for features, counts, successes, trials, compared in prepared:
        if compared.size < 2:
            continue
        bounds = gap_bounds(
            successes[compared], trials[compared], look=look, alpha=params.alpha, groups=total
        )
        groups = []
        for position, index in enumerate(compared):
            groups.append(
                {
                    "group": dict(zip(counts.features, counts.groups[index], strict=True)),
                    "label": counts.labels[index],
                    "count": int(counts.sizes[index]),
                    "metrics": {metric: float(successes[index] / trials[index])},
                    "intervals": {
                        metric: [
                            float(bounds.group_lower[position]),
                            float(bounds.group_upper[position]),
                        ]
                    },
                }
            )
        tables.append(
            {
                "sensitive_features": list(features),
                "groups": groups,
                "measured": float(bounds.lower),
                "point": float(bounds.point),
                "interval": [float(bounds.lower), float(bounds.upper)],
            }
        )
        if worst is None or float(bounds.lower) > float(worst.lower):
            worst = bounds
    evidence: dict[str, Any] = {
        "metrics": [metric],
        "method": params.method,
        "min_group_size": params.min_group_size,
        "small_groups": params.small_groups,
        "gate_on": params.gate_on,
        "sequential": {
            "look": look,
            "alpha": params.alpha,
            "alpha_look": float(spending_alpha(look, params.alpha)[-1]),
            "intervals": total,
            "method": "alpha spending over looks (6 / (pi^2 k^2)), Clopper-Pearson per group, "
            "union bound over groups",
        },
        "tables": tables,
    }
    if worst is not None:
        evidence["point"] = float(worst.point)
        evidence["interval"] = [float(worst.lower), float(worst.upper)]
    value = None if worst is None else float(worst.lower)
    if problems or worst is None:
        reason = "; ".join(problems) or "nothing to compare"
        return Measurement(value=value, evidence=evidence, insufficient=reason)
    detail = DETAIL.format(look=look, alpha=params.alpha, point=float(worst.point))
    return Measurement(value=value, evidence=evidence, detail=detail)
