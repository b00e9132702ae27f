"""Performance check types (computed by governance.evaluators.performance)."""

from __future__ import annotations

from governance.checks.params import PerformanceParams
from governance.checks.registry import CheckType

_PERFORMANCE = "governance.evaluators.performance"

CHECKS = (
    CheckType(
        name="performance.metric",
        summary="A performance metric overall, or its min, max or worst value over groups.",
        params=PerformanceParams,
        runner=f"{_PERFORMANCE}:performance_metric",
        measures="performance metric",
    ),
)
