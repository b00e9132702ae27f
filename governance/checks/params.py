"""Parameter models of the built-in checks (light: no numerical libraries here)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
    model_validator,
)

from governance.validation import DocumentModel

Column = Annotated[str, StringConstraints(min_length=1)]
Method = Literal["between_groups", "to_overall", "to_reference"]
GateOn = Literal["point", "ci_lower", "ci_upper"]
GroupValue = str | int | float | bool
ReferenceGroup = GroupValue | dict[Column, GroupValue]
ClassificationMetric = Literal[
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "accuracy",
    "balanced_accuracy",
    "precision",
    "negative_predictive_value",
    "recall",
    "f1",
    "error_rate",
    "count",
]
ScoreMetric = Literal[
    "roc_auc",
    "brier_score",
    "expected_calibration_error",
    "mean_prediction",
    "mean_absolute_error",
    "root_mean_squared_error",
    "r2",
]
RegressionMetric = Literal["mean_residual"]
GroupMetric = ClassificationMetric | ScoreMetric | RegressionMetric
Average = Literal["per_class", "macro", "micro"]
PerformanceMetric = GroupMetric

DEFAULT_MIN_GROUP_SIZE = 30
DEFAULT_N_BOOT = 1000
DEFAULT_CONFIDENCE = 0.95
DEFAULT_SEED = 0
SmallGroups = Literal["insufficient", "leave_out"]

INTERVALS_PER_EVALUATION = (
    "{field} {value} differs from the evaluation's ({expected}): intervals are set once per "
    "evaluation (seed {seed}, {n_boot} resamples, {confidence:.0%} confidence), so a quantity "
    "has one interval in every rule; remove {field} from the rule's params "
    "(n_boot: 0 turns the rule's intervals off)"
)
DEFAULT_N_BINS = 10

INTERVALS_METHOD = "wilson score for per-group rates; bootstrap of the counts otherwise"


def evaluation_intervals() -> dict[str, str | int | float]:
    """How every rule's intervals are computed, as the evaluation record's ``intervals``."""
    return {
        "method": INTERVALS_METHOD,
        "seed": DEFAULT_SEED,
        "resamples": DEFAULT_N_BOOT,
        "confidence": DEFAULT_CONFIDENCE,
    }


class CheckParams(DocumentModel):
    """Base of every check's params: unknown keys are errors, and no value is coerced."""


class GroupParams(CheckParams):
    """Which groups to compare.

    ``sensitive_features`` lists columns; two or more mean intersectional groups. Left out,
    each of the manifest's sensitive features is examined separately and the worst counts.
    """

    sensitive_features: Annotated[list[Column], Field(min_length=1)] | None = None
    min_group_size: Annotated[int, Field(ge=1)] = DEFAULT_MIN_GROUP_SIZE


class IntervalParams(CheckParams):
    """Confidence intervals and which value the threshold judges.

    ``gate_on`` is ``point`` (the measured value), ``ci_lower`` or ``ci_upper`` (a bound of the
    interval). The intervals are the evaluation's: one seed, resample count and confidence for
    every rule (:data:`DEFAULT_SEED`, :data:`DEFAULT_N_BOOT`, :data:`DEFAULT_CONFIDENCE`), so a
    rule may repeat them but not change them; ``n_boot: 0`` skips the rule's intervals.
    """

    confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = DEFAULT_CONFIDENCE
    n_boot: Annotated[int, Field(ge=0, le=100_000)] = DEFAULT_N_BOOT
    seed: Annotated[int, Field(ge=0)] = DEFAULT_SEED
    gate_on: GateOn = "point"

    @model_validator(mode="after")
    def _resamples_for_bounds(self) -> IntervalParams:
        if self.gate_on != "point" and self.n_boot == 0:
            raise ValueError(f"gate_on {self.gate_on} needs n_boot of at least 1")
        expected = {
            "confidence": DEFAULT_CONFIDENCE,
            "n_boot": DEFAULT_N_BOOT,
            "seed": DEFAULT_SEED,
        }
        for name, wanted in expected.items():
            value = getattr(self, name)
            if value != wanted and not (name == "n_boot" and value == 0):
                raise ValueError(
                    INTERVALS_PER_EVALUATION.format(
                        field=name,
                        value=value,
                        expected=wanted,
                        seed=DEFAULT_SEED,
                        n_boot=DEFAULT_N_BOOT,
                        confidence=DEFAULT_CONFIDENCE,
                    )
                )
        return self


class TaskParams(CheckParams):
    """A multiclass task's classes: which to judge (``classes``, all when left out) and how.

    ``average`` is ``per_class`` (each class against the rest; the worst class is measured),
    ``macro`` (the mean of the per-class values) or ``micro`` (the metric of the one-vs-rest
    cells added up over the classes). Both go with ``data.task: multiclass`` only.
    """

    classes: Annotated[list[GroupValue], Field(min_length=1)] | None = None
    average: Average | None = None


class DisparityParams(GroupParams, IntervalParams, TaskParams):
    """A disparity between groups: fairlearn's ``method``, or to a ``reference_group``.

    ``reference_group`` is a value of the single sensitive feature, an intersection's label
    (``"Female × 25-59"``), or a mapping ``{column: value}``; it goes with
    ``method: to_reference``. Groups below ``min_group_size`` are never compared;
    ``small_groups`` says whether their presence makes the finding ``insufficient`` (the
    default) or whether they are only left out (``leave_out``). Either way the finding is
    ``insufficient`` when fewer than two groups qualify.
    """

    method: Method = "between_groups"
    reference_group: ReferenceGroup | None = None
    small_groups: SmallGroups = "insufficient"

    @model_validator(mode="after")
    def _reference(self) -> DisparityParams:
        if self.method == "to_reference" and self.reference_group is None:
            raise ValueError("method to_reference needs reference_group")
        if self.reference_group is not None and self.method != "to_reference":
            raise ValueError("reference_group goes with method: to_reference")
        return self


class SequentialDisparityParams(DisparityParams):
    """A difference of group rates that may judge an anytime-valid bound (``sequential: true``).

    With ``sequential: true`` the measured value is the lower bound of an interval of the
    largest difference between groups that holds at every look at once with probability at
    least ``1 - alpha``: a monitor's window ``k`` (from 1) spends ``alpha * 6 / (pi**2 k**2)``
    on exact per-group intervals (:mod:`governance.evaluators.sequential`), so a ``max``
    threshold raises an alarm only when the disparity surely exceeds it, however many windows
    are checked. Outside a monitor the evaluation is look 1.
    """

    sequential: bool = False
    alpha: Annotated[float, Field(gt=0, lt=0.5)] = 0.05

    @model_validator(mode="after")
    def _sequential(self) -> SequentialDisparityParams:
        if self.sequential and (self.method != "between_groups" or self.gate_on != "point"):
            raise ValueError("sequential: true goes with method between_groups and gate_on point")
        if not self.sequential and "alpha" in self.model_fields_set:
            raise ValueError("alpha goes with sequential: true")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Without ``sequential`` and ``alpha`` unless sequential: records stay as they were."""
        dumped: dict[str, Any] = handler(self)
        if not self.sequential:
            dumped.pop("sequential", None)
            dumped.pop("alpha", None)
        return dumped


class EqualizedOddsParams(DisparityParams):
    """Equalized odds, aggregated over TPR and FPR as fairlearn's ``agg``."""

    agg: Literal["worst_case", "mean"] = "worst_case"


class MetricDisparityParams(DisparityParams):
    """A disparity of any per-group metric (``n_bins`` for the expected calibration error)."""

    metric: GroupMetric
    n_bins: Annotated[int, Field(ge=2, le=1000)] = DEFAULT_N_BINS


class CalibrationParams(DisparityParams):
    """A disparity of the expected calibration error over ``n_bins`` equal-width bins."""

    n_bins: Annotated[int, Field(ge=2, le=1000)] = DEFAULT_N_BINS


class GroupSizeParams(CheckParams):
    """The smallest group's size."""

    sensitive_features: Annotated[list[Column], Field(min_length=1)] | None = None


class PerformanceParams(IntervalParams, TaskParams):
    """Overall performance, or the worst group's.

    ``min_over_groups`` / ``max_over_groups`` take the smallest / largest group value;
    ``worst_group`` the worse one for the metric (smallest accuracy, largest error).
    """

    metric: PerformanceMetric
    aggregate: Literal["overall", "min_over_groups", "max_over_groups", "worst_group"] = "overall"
    sensitive_features: Annotated[list[Column], Field(min_length=1)] | None = None
    min_group_size: Annotated[int, Field(ge=1)] = DEFAULT_MIN_GROUP_SIZE
    n_bins: Annotated[int, Field(ge=2, le=1000)] = DEFAULT_N_BINS


ComparedDisparity = Literal[
    "demographic_parity_difference",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "predictive_parity_difference",
]
DirectedMetric = Literal[
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "true_positive_rate",
    "true_negative_rate",
    "negative_predictive_value",
    "false_positive_rate",
    "false_negative_rate",
    "error_rate",
]


class ComparisonDisparityParams(DisparityParams):
    """A disparity of the challenger against the same disparity of the champion.

    ``disparity`` names a fairness difference check; ``agg`` goes with equalized odds.
    """

    disparity: ComparedDisparity
    agg: Literal["worst_case", "mean"] = "worst_case"


class PerformanceDropParams(IntervalParams):
    """A performance metric of the challenger against the champion's, over all rows."""

    metric: DirectedMetric
