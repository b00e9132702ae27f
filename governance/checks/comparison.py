"""Challenger-against-champion check types (computed by governance.evaluators.paired)."""

from __future__ import annotations

from governance.checks.params import ComparisonDisparityParams, PerformanceDropParams
from governance.checks.registry import CheckType

_PAIRED = "governance.evaluators.paired"

CHECKS = (
    CheckType(
        name="comparison.disparity_increase",
        summary="The challenger's fairness difference less the champion's on the same rows "
        "(paired bootstrap interval); needs --baseline.",
        params=ComparisonDisparityParams,
        runner=f"{_PAIRED}:disparity_increase",
        measures="increase of a disparity over the champion",
    ),
    CheckType(
        name="comparison.performance_drop",
        summary="How much worse the challenger's metric is than the champion's on the same "
        "rows (paired bootstrap interval); needs --baseline.",
        params=PerformanceDropParams,
        runner=f"{_PAIRED}:performance_drop",
        measures="drop of a metric below the champion's",
    ),
)
