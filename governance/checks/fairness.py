"""Fairness check types (computed by governance.evaluators.fairness from per-group counts)."""

from __future__ import annotations

from governance.checks.params import (
    CalibrationParams,
    DisparityParams,
    EqualizedOddsParams,
    GroupSizeParams,
    MetricDisparityParams,
    SequentialDisparityParams,
)
from governance.checks.registry import CheckType

_FAIRNESS = "governance.evaluators.fairness"
_SEQUENTIAL = "governance.evaluators.sequential_rules"

CHECKS = (
    CheckType(
        name="fairness.demographic_parity_difference",
        summary="Largest difference in selection rate between groups (fairlearn definition).",
        params=SequentialDisparityParams,
        runner=f"{_SEQUENTIAL}:demographic_parity_difference",
        measures="difference of selection rates",
    ),
    CheckType(
        name="fairness.demographic_parity_ratio",
        summary="Smallest ratio of selection rates between groups; the four-fifths rule "
        "asks for at least 0.8.",
        params=DisparityParams,
        runner=f"{_FAIRNESS}:demographic_parity_ratio",
        measures="ratio of selection rates",
    ),
    CheckType(
        name="fairness.equalized_odds_difference",
        summary="Larger of the TPR and FPR differences between groups (fairlearn definition).",
        params=EqualizedOddsParams,
        runner=f"{_FAIRNESS}:equalized_odds_difference",
        measures="difference of true and false positive rates",
    ),
    CheckType(
        name="fairness.equalized_odds_ratio",
        summary="Smaller of the TPR and FPR ratios between groups (fairlearn definition).",
        params=EqualizedOddsParams,
        runner=f"{_FAIRNESS}:equalized_odds_ratio",
        measures="ratio of true and false positive rates",
    ),
    CheckType(
        name="fairness.equal_opportunity_difference",
        summary="Difference in true positive rate (recall) between groups.",
        params=SequentialDisparityParams,
        runner=f"{_SEQUENTIAL}:equal_opportunity_difference",
        measures="difference of true positive rates",
    ),
    CheckType(
        name="fairness.equal_opportunity_ratio",
        summary="Ratio of true positive rates (recall) between groups.",
        params=DisparityParams,
        runner=f"{_FAIRNESS}:equal_opportunity_ratio",
        measures="ratio of true positive rates",
    ),
    CheckType(
        name="fairness.predictive_parity_difference",
        summary="Difference in precision (positive predictive value) between groups.",
        params=DisparityParams,
        runner=f"{_FAIRNESS}:predictive_parity_difference",
        measures="difference of precision",
    ),
    CheckType(
        name="fairness.predictive_parity_ratio",
        summary="Ratio of precision (positive predictive value) between groups.",
        params=DisparityParams,
        runner=f"{_FAIRNESS}:predictive_parity_ratio",
        measures="ratio of precision",
    ),
    CheckType(
        name="fairness.calibration_gap",
        summary="Difference in expected calibration error between groups (needs scores).",
        params=CalibrationParams,
        runner=f"{_FAIRNESS}:calibration_gap",
        measures="difference of expected calibration error",
    ),
    CheckType(
        name="fairness.metric_difference",
        summary="Difference of any per-group metric between groups, to overall or to a "
        "reference group.",
        params=MetricDisparityParams,
        runner=f"{_FAIRNESS}:metric_difference",
        measures="difference of a per-group metric",
    ),
    CheckType(
        name="fairness.metric_ratio",
        summary="Ratio of any per-group metric between groups, to overall or to a reference group.",
        params=MetricDisparityParams,
        runner=f"{_FAIRNESS}:metric_ratio",
        measures="ratio of a per-group metric",
    ),
    CheckType(
        name="fairness.min_group_size",
        summary="Number of rows in the smallest group.",
        params=GroupSizeParams,
        runner=f"{_FAIRNESS}:min_group_size",
        measures="rows in the smallest group",
    ),
)
