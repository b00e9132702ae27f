"""Parameter models of the built-in checks (light: no numerical libraries here)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Column = Annotated[str, StringConstraints(min_length=1)]
Method = Literal["between_groups", "to_overall"]
GroupMetric = Literal[
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
]
PerformanceMetric = Literal["accuracy", "balanced_accuracy", "roc_auc", "precision", "recall", "f1"]

DEFAULT_MIN_GROUP_SIZE = 30


class CheckParams(BaseModel):
    """Base of every check's params: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupParams(CheckParams):
    """Which groups to compare.

    ``sensitive_features`` lists columns; two or more mean intersectional groups. Left out,
    each of the manifest's sensitive features is examined separately and the worst counts.
    """

    sensitive_features: Annotated[list[Column], Field(min_length=1)] | None = None
    min_group_size: Annotated[int, Field(ge=1)] = DEFAULT_MIN_GROUP_SIZE


class DisparityParams(GroupParams):
    """A disparity between groups, as fairlearn's ``method``."""

    method: Method = "between_groups"


class EqualizedOddsParams(DisparityParams):
    """Equalized odds, aggregated over TPR and FPR as fairlearn's ``agg``."""

    agg: Literal["worst_case", "mean"] = "worst_case"


class MetricDisparityParams(DisparityParams):
    """A disparity of any per-group metric."""

    metric: GroupMetric


class GroupSizeParams(CheckParams):
    """The smallest group's size."""

    sensitive_features: Annotated[list[Column], Field(min_length=1)] | None = None


class PerformanceParams(CheckParams):
    """Overall performance, or the worst group's."""

    metric: PerformanceMetric
    aggregate: Literal["overall", "min_over_groups"] = "overall"
    sensitive_features: Annotated[list[Column], Field(min_length=1)] | None = None
    min_group_size: Annotated[int, Field(ge=1)] = DEFAULT_MIN_GROUP_SIZE
