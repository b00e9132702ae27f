"""Drift of features and scores between a reference frame and a current frame, per group.

:func:`compare_frames` is the plain entry point (the drift checks and a future monitor call it
with two DataFrames): for each feature it computes every statistic of
:mod:`governance.evaluators.drift_stats` that applies to the feature's kind, over all rows and
within each group of each grouping (a shift confined to one group is what a fairness monitor
must see). A cell whose reference or current sample is smaller than ``min_group_size`` rows is
``insufficient``: its statistics are still computed, but they do not judge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from governance.evaluators import drift_stats as stats
from governance.evaluators.counts import INTERSECTION
from governance.policy.messages import DRIFT_NAMES

Kind = Literal["numeric", "categorical"]
Statistic = Literal[
    "psi",
    "js_distance",
    "ks_statistic",
    "ks_p_value",
    "wasserstein",
    "chi_square_p_value",
    "missing_share",
    "out_of_range_share",
]
NUMERIC_ONLY: frozenset[str] = frozenset({"ks_statistic", "ks_p_value", "wasserstein"})
CATEGORICAL_ONLY: frozenset[str] = frozenset({"chi_square_p_value"})
SMALLER_IS_WORSE: frozenset[str] = frozenset({"ks_p_value", "chi_square_p_value"})
STATISTIC_NAMES = DRIFT_NAMES
OVERALL = "overall"


@dataclass(frozen=True)
class DriftOptions:
    """How the samples are compared (see :mod:`governance.evaluators.drift_stats`)."""

    bins: int = stats.DEFAULT_BINS
    epsilon: float = stats.DEFAULT_EPSILON
    min_group_size: int = 30
    categorical: frozenset[str] = frozenset()
    """Columns compared as categories even when their values are numbers."""


@dataclass(frozen=True)
class Cell:
    """Every statistic of one feature over one slice of rows (all rows, or one group)."""

    grouping: tuple[str, ...]
    group: str
    n_reference: int
    n_current: int
    values: dict[str, float | None]
    sufficient: bool

    def as_dict(self, statistic: str | None = None) -> dict[str, Any]:
        """For evidence: sizes, and every statistic or only ``statistic`` (and its partner)."""
        shown = self.values
        if statistic is not None:
            keep = {statistic, *_PARTNERS.get(statistic, ())}
            shown = {name: value for name, value in self.values.items() if name in keep}
        return {
            "sensitive_features": list(self.grouping),
            "group": self.group,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "sufficient": self.sufficient,
            **shown,
        }


_PARTNERS: dict[str, tuple[str, ...]] = {
    "ks_statistic": ("ks_p_value",),
    "ks_p_value": ("ks_statistic",),
    "chi_square_p_value": ("chi_square",),
    "missing_share": ("reference_missing_share",),
    "wasserstein": ("reference_std",),
}


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's cells: all rows first, then each group of each grouping."""

    feature: str
    kind: Kind
    cells: tuple[Cell, ...] = field(default_factory=tuple)

    @property
    def overall(self) -> Cell:
        """The cell over all rows."""
        return self.cells[0]


def feature_kind(values: Any, name: str, options: DriftOptions) -> Kind:
    """``numeric`` for numbers (booleans excluded), unless listed as categorical."""
    import pandas as pd

    series = pd.Series(values)
    if name in options.categorical or pd.api.types.is_bool_dtype(series):
        return "categorical"
    return "numeric" if pd.api.types.is_numeric_dtype(series) else "categorical"


def compare_values(
    reference: Any, current: Any, kind: Kind, options: DriftOptions
) -> dict[str, float | None]:
    """Every statistic of ``kind`` between two columns of values (missing values allowed)."""
    import pandas as pd

    ref_all, cur_all = pd.Series(reference), pd.Series(current)
    values: dict[str, float | None] = {
        "missing_share": stats.missing_share(cur_all),
        "reference_missing_share": stats.missing_share(ref_all),
    }
    ref, cur = ref_all.dropna(), cur_all.dropna()
    names = [name for name in STATISTIC_NAMES if name not in values and applies(name, kind)]
    extra = ("chi_square",) if kind == "categorical" else ("reference_std",)
    values.update(dict.fromkeys([*names, *extra]))
    if len(ref) == 0 or len(cur) == 0:
        return values  # no values on one side: no distribution to compare
    if kind == "numeric":
        ref_x = ref.to_numpy(dtype=np.float64)
        cur_x = cur.to_numpy(dtype=np.float64)
        edges = stats.quantile_edges(ref_x, options.bins)
        ref_counts, cur_counts = stats.bin_counts(ref_x, edges), stats.bin_counts(cur_x, edges)
        ks, p_value = stats.ks_test(ref_x, cur_x)
        values.update(
            ks_statistic=ks,
            ks_p_value=p_value,
            wasserstein=stats.wasserstein(ref_x, cur_x),
            reference_std=float(np.std(ref_x)),
            out_of_range_share=stats.out_of_range_share(ref_x, cur_x),
        )
    else:
        ref_v, cur_v = ref.tolist(), cur.tolist()
        ref_counts, cur_counts = stats.category_counts(ref_v, cur_v)
        chi2, p_value, _ = stats.chi_square(ref_counts, cur_counts)
        values.update(
            chi_square=chi2,
            chi_square_p_value=p_value,
            out_of_range_share=stats.unseen_share(ref_v, cur_v),
        )
    values["psi"] = stats.psi(ref_counts, cur_counts, options.epsilon)
    values["js_distance"] = stats.js_distance(ref_counts, cur_counts)
    return values


def applies(statistic: str, kind: Kind) -> bool:
    """Whether ``statistic`` is defined for a feature of ``kind``."""
    if kind == "numeric":
        return statistic not in CATEGORICAL_ONLY
    return statistic not in NUMERIC_ONLY


def group_labels(frame: Any, grouping: Sequence[str]) -> Any:
    """Each row's group label (``"Female × 25-59"`` for several columns), as a Series."""
    columns = [frame[name].astype(str) for name in grouping]
    labels = columns[0]
    for column in columns[1:]:
        labels = labels + INTERSECTION + column
    return labels


def compare_frames(
    reference: Any,
    current: Any,
    *,
    features: Sequence[str],
    groupings: Iterable[Sequence[str]] = (),
    options: DriftOptions | None = None,
) -> list[FeatureDrift]:
    """Drift of each feature, over all rows and per group of each grouping.

    Parameters
    ----------
    reference, current
        pandas DataFrames holding ``features`` and the grouping columns.
    features
        The columns compared.
    groupings
        Each a list of sensitive columns (two or more: intersectional groups); groups are
        those seen in either frame, so a group absent from the reference is an insufficient
        cell rather than a silent omission.
    options
        Binning, epsilon, minimum group size, columns to treat as categorical.
    """
    options = options or DriftOptions()
    labels = {
        tuple(grouping): (group_labels(reference, grouping), group_labels(current, grouping))
        for grouping in groupings
    }
    result = []
    for feature in features:
        kind = feature_kind(reference[feature], feature, options)
        ref_col, cur_col = reference[feature], current[feature]
        cells = [_cell((), OVERALL, ref_col, cur_col, kind, options)]
        for grouping, (ref_labels, cur_labels) in labels.items():
            groups = sorted(set(ref_labels.unique()) | set(cur_labels.unique()))
            for group in groups:
                cells.append(
                    _cell(
                        grouping,
                        str(group),
                        ref_col[(ref_labels == group).to_numpy()],
                        cur_col[(cur_labels == group).to_numpy()],
                        kind,
                        options,
                    )
                )
        result.append(FeatureDrift(feature=feature, kind=kind, cells=tuple(cells)))
    return result


def _cell(
    grouping: tuple[str, ...], group: str, ref: Any, cur: Any, kind: Kind, options: DriftOptions
) -> Cell:
    sufficient = min(len(ref), len(cur)) >= options.min_group_size
    return Cell(
        grouping=grouping,
        group=group,
        n_reference=len(ref),
        n_current=len(cur),
        values=compare_values(ref, cur, kind, options),
        sufficient=sufficient,
    )
