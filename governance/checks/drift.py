"""Drift check types (computed by governance.evaluators.drift_checks).

Each compares the evaluation data (the current sample) with reference data: the file the rule
names in ``params.reference`` (CSV or Parquet, relative to the manifest's folder), or else the
reference the caller hands the evaluation (``EvaluationContext.reference``, e.g. a monitor
passing its baseline's data). Every feature is compared over all rows and within each group of
the sensitive features; the measured value is the worst cell (largest distance or share,
smallest p-value), and the evidence lists every cell.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from governance.checks.params import DEFAULT_MIN_GROUP_SIZE, CheckParams, Column, SmallGroups
from governance.checks.registry import CheckType

_DRIFT = "governance.evaluators.drift_checks"
DEFAULT_BINS = 10
DEFAULT_EPSILON = 1e-4

DataPath = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class DriftParams(CheckParams):
    """What is compared, against which reference, and per which groups.

    ``features``: the columns compared; left out, the manifest's ``data.features``, else the
    model's input columns. ``scores``: also compare the model's scores (as a feature named like
    the manifest's score column, else ``score``). ``categorical``: columns compared as categories
    although their values are numbers. ``sensitive_features``: as for fairness checks (several
    columns: intersectional groups; left out, each of the manifest's sensitive features
    separately); ``per_group: false`` compares all rows only. A group with fewer than
    ``min_group_size`` rows in either sample makes the finding ``insufficient`` unless
    ``small_groups: leave_out``. ``bins`` and ``epsilon``: the PSI / Jensen-Shannon binning (bins
    at the reference's quantiles) and the share given to an empty bin.
    """

    reference: DataPath | None = None
    features: Annotated[list[Column], Field(min_length=1)] | None = None
    scores: bool = True
    categorical: list[Column] = Field(default_factory=list)
    sensitive_features: Annotated[list[Column], Field(min_length=1)] | None = None
    per_group: bool = True
    min_group_size: Annotated[int, Field(ge=1)] = DEFAULT_MIN_GROUP_SIZE
    small_groups: SmallGroups = "insufficient"
    bins: Annotated[int, Field(ge=2, le=100)] = DEFAULT_BINS
    epsilon: Annotated[float, Field(gt=0, le=0.1, allow_inf_nan=False)] = DEFAULT_EPSILON


class WassersteinParams(DriftParams):
    """The Wasserstein distance, raw or in units of the reference's standard deviation.

    ``scale: reference_std`` divides it by the reference's standard deviation (a constant
    reference is left unscaled), so one threshold suits features of different units.
    """

    scale: Literal["raw", "reference_std"] = "raw"


def _check(
    name: str, summary: str, measures: str, params: type[DriftParams] = DriftParams
) -> CheckType:
    return CheckType(
        name=f"drift.{name}",
        summary=summary,
        params=params,
        runner=f"{_DRIFT}:{name}",
        measures=measures,
    )


CHECKS = (
    _check(
        "psi",
        "Largest population stability index of a feature or the scores against the reference, "
        "overall or in a group (bins at the reference's quantiles; categories for categoricals).",
        "largest population stability index",
    ),
    _check(
        "jensen_shannon",
        "Largest Jensen-Shannon distance (base 2, in [0, 1]) of a feature's distribution "
        "against the reference, overall or in a group.",
        "largest Jensen-Shannon distance",
    ),
    _check(
        "ks_statistic",
        "Largest two-sample Kolmogorov-Smirnov statistic of a numeric feature or the scores, "
        "overall or in a group.",
        "largest Kolmogorov-Smirnov statistic",
    ),
    _check(
        "ks_p_value",
        "Smallest two-sample Kolmogorov-Smirnov p-value of a numeric feature or the scores, "
        "overall or in a group.",
        "smallest Kolmogorov-Smirnov p-value",
    ),
    _check(
        "wasserstein",
        "Largest Wasserstein-1 distance of a numeric feature or the scores, overall or in a "
        "group (optionally in units of the reference's standard deviation).",
        "largest Wasserstein distance",
        WassersteinParams,
    ),
    _check(
        "chi_square_p_value",
        "Smallest chi-square p-value (test of homogeneity) of a categorical feature against "
        "the reference, overall or in a group.",
        "smallest chi-square p-value",
    ),
    _check(
        "missing_share",
        "Largest share of missing values of a feature in the current data, overall or in a "
        "group (the reference's share is in the evidence).",
        "largest missing-value share",
    ),
    _check(
        "out_of_range_share",
        "Largest share of current values outside the reference's range (numeric) or of "
        "categories the reference never shows, overall or in a group.",
        "largest out-of-range share",
    ),
)
