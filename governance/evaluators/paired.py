"""Challenger against champion: paired counts and a paired bootstrap of the difference.

Both models predict the same rows (the challenger's evaluation data), so each grouping is
counted once into joint cells: per group, label x challenger prediction x champion prediction
(8 cells, index ``4 * y + 2 * challenger + champion``). Each model's confusion counts are a
marginal of those cells, so its metrics equal those of its own counts (and fairlearn's).

The interval of a difference between the models is a *paired* bootstrap: one multinomial draw
of each group's rows over its 8 joint cells (group sizes fixed, the scheme of
:mod:`governance.evaluators.bootstrap`) gives both models' counts on the same resampled rows;
where the models agree on most rows their errors move together and the interval of the
difference is narrower than two independent resamples would give. The seed, resample count
and confidence are the evaluation's (:data:`~governance.evaluators.bootstrap.EVALUATION_SPEC`).

Without a champion (``--baseline``) the comparison checks are ``error``: they fail closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from governance.checks.params import ComparisonDisparityParams, PerformanceDropParams
from governance.errors import InternalError
from governance.evaluators.bootstrap import BootstrapSpec, generator, interval
from governance.evaluators.context import EvaluationContext
from governance.evaluators.counts import GroupCounts, GroupEncoder
from governance.evaluators.fairness import EO_METRICS, combine, disparity_of, resolve_reference
from governance.evaluators.group_evidence import bootstrap_spec, finite, pair
from governance.evaluators.metrics import METRICS, Array, confusion_metric
from governance.policy.model import Measurement

PAIRED_STREAM = 3
"""The bootstrap stream of paired resamples (after confusion, score and regression)."""
SCHEME = (
    "paired: one multinomial resample of each group's joint cells (label x challenger x "
    "champion prediction), group sizes fixed; both models' metrics from the same rows"
)
NO_BASELINE = (
    "{check} compares the model with a champion, and no baseline was given "
    "(governance check --baseline MANIFEST)"
)
BINARY_ONLY = "{check} compares binary classifiers (data.task is {task})"
DISPARITY_METRICS: dict[str, tuple[str, ...]] = {
    "demographic_parity_difference": ("selection_rate",),
    "equal_opportunity_difference": ("true_positive_rate",),
    "equalized_odds_difference": EO_METRICS,
    "predictive_parity_difference": ("precision",),
}
"""The disparities ``comparison.disparity_increase`` compares, and the rates they are of."""


@dataclass(frozen=True)
class Champion:
    """The baseline model's predictions on the challenger's rows, and what it is.

    Attributes
    ----------
    y_pred
        1 where the champion predicts the positive label, for every row of ``data.frame``.
    name, version
        The champion's name and version (its manifest's, or its registry's).
    source
        The model's class name, or ``column <name>`` for a predictions column.
    """

    y_pred: NDArray[np.int8]
    name: str
    version: str
    source: str


def joint_counts(context: EvaluationContext, features: tuple[str, ...]) -> GroupCounts:
    """Per group the 8 joint cells ``4 * y + 2 * challenger + champion`` (as ``confusion``)."""
    champion = _champion(context)

    def compute() -> GroupCounts:
        frame = context.data.frame
        encoder = GroupEncoder(features)
        codes = encoder.encode([frame[name] for name in features], len(frame))
        groups = len(encoder.values)
        truth = np.asarray(context.y_true, dtype=np.int64)
        cells = (
            codes * 8
            + truth * 4
            + np.asarray(context.y_pred, dtype=np.int64) * 2
            + np.asarray(champion.y_pred, dtype=np.int64)
        )
        joint = np.bincount(cells, minlength=groups * 8).reshape(groups, 8)
        return GroupCounts.build(features, encoder.values, joint, None)

    return context.cached(("paired.joint", features), compute)


def challenger_cells(joint: NDArray[Any]) -> NDArray[np.int64]:
    """The challenger's ``(tn, fp, fn, tp)`` from joint cells (last axis of 8)."""
    lead = joint.shape[:-1]
    return np.asarray(joint.reshape(*lead, 2, 2, 2).sum(axis=-1).reshape(*lead, 4))


def champion_cells(joint: NDArray[Any]) -> NDArray[np.int64]:
    """The champion's ``(tn, fp, fn, tp)`` from joint cells (last axis of 8)."""
    lead = joint.shape[:-1]
    return np.asarray(joint.reshape(*lead, 2, 2, 2).sum(axis=-2).reshape(*lead, 4))


def resample_joint(counts: GroupCounts, spec: BootstrapSpec) -> NDArray[np.int64]:
    """``(n_boot, G, 8)`` resampled joint cells, each group's size kept."""
    sizes = counts.sizes
    shares = counts.confusion / np.maximum(sizes, 1)[:, None]
    rng = generator(spec, counts, PAIRED_STREAM)
    draws = rng.multinomial(sizes, shares, size=(spec.n_boot, len(sizes)))
    return np.asarray(draws, dtype=np.int64)


def disparity(
    cells: NDArray[Any],
    metrics: tuple[str, ...],
    *,
    method: str,
    agg: str,
    keep: list[int],
    reference: int | None,
) -> Array:
    """A difference disparity of confusion ``cells`` (``(..., G, 4)``), as the fairness checks."""
    overall = cells.sum(axis=-2)
    values = [
        disparity_of(
            confusion_metric(m, cells)[..., keep],
            confusion_metric(m, overall),
            "difference",
            method,
            reference,
        )
        for m in metrics
    ]
    return combine(values, "difference", agg)


def _judged(point: float, low: float | None, high: float | None, gate_on: str) -> float:
    if gate_on == "ci_lower":
        return math.nan if low is None else low
    if gate_on == "ci_upper":
        return math.nan if high is None else high
    return point


def _refusal(context: EvaluationContext, check: str) -> Measurement | None:
    if context.baseline is None:
        return Measurement(error=NO_BASELINE.format(check=check))
    if context.task != "binary":
        return Measurement(error=BINARY_ONLY.format(check=check, task=context.task))
    return None


def _champion(context: EvaluationContext) -> Champion:
    if context.baseline is None:  # the checks refuse first (_refusal)
        raise InternalError("a comparison check ran without a champion")
    return context.baseline


def _champion_evidence(context: EvaluationContext, spec: BootstrapSpec) -> dict[str, Any]:
    champion = _champion(context)
    found: dict[str, Any] = {
        "champion": {"name": champion.name, "version": champion.version},
        "rows_agreeing": int(np.sum(np.asarray(context.y_pred) == champion.y_pred)),
        "rows": len(champion.y_pred),
    }
    if spec.n_boot:
        found["bootstrap"] = {
            "n_boot": spec.n_boot,
            "confidence": spec.confidence,
            "seed": spec.seed,
            "scheme": SCHEME,
        }
    return found


@dataclass
class _Compared:
    table: dict[str, Any]
    point: float
    low: float | None
    high: float | None


def _compare_grouping(
    context: EvaluationContext,
    counts: GroupCounts,
    params: ComparisonDisparityParams,
    metrics: tuple[str, ...],
    spec: BootstrapSpec,
) -> tuple[_Compared | None, list[str]]:
    """One grouping's disparities of both models and their paired difference, or why not."""
    reference = None
    if params.method == "to_reference":
        reference = resolve_reference(counts, params.reference_group, context.data.path)
    keep = [int(i) for i in np.flatnonzero(counts.sizes >= params.min_group_size)]
    grouping = " × ".join(counts.features)
    if len(keep) < 2 or (reference is not None and reference not in keep):
        return None, [f"{grouping}: fewer than two groups reach min_group_size"]
    kept_reference = None if reference is None else keep.index(reference)
    problems: list[str] = []
    if params.small_groups == "insufficient" and len(keep) < len(counts.groups):
        problems.append(f"{grouping}: groups below min_group_size {params.min_group_size}")

    def of(cells: NDArray[Any]) -> Array:
        return disparity(
            cells, metrics, method=params.method, agg=params.agg, keep=keep,
            reference=kept_reference,
        )  # fmt: skip

    models = {"challenger": challenger_cells, "champion": champion_cells}
    for name, cells_of in models.items():
        view = replace(counts, confusion=cells_of(counts.confusion))
        problems.extend(
            f"{name}: {reason}"
            for metric in metrics
            for reason in view.undefined(metric, only=keep)
        )
    values = {name: float(of(cells_of(counts.confusion))) for name, cells_of in models.items()}
    point = values["challenger"] - values["champion"]
    low = high = None
    if spec.n_boot:
        draws = context.cached(
            ("paired.resample", counts.key, spec), lambda: resample_joint(counts, spec)
        )
        difference = of(challenger_cells(draws)) - of(champion_cells(draws))
        lows, highs = interval(difference, spec)
        low, high = float(lows), float(highs)
    table: dict[str, Any] = {
        "sensitive_features": list(counts.features),
        "challenger": finite(values["challenger"]),
        "champion": finite(values["champion"]),
        "point": finite(point),
        "groups": _group_rows(counts, metrics),
    }
    if low is not None and high is not None:
        table["interval"] = pair(low, high)
    if reference is not None:
        table["reference"] = counts.labels[reference]
    table["measured"] = finite(_judged(point, low, high, params.gate_on))
    return _Compared(table, point, low, high), problems


def _group_rows(counts: GroupCounts, metrics: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each group's rows, rows where the models agree, and both models' rates."""
    joint = counts.confusion
    mine, theirs = challenger_cells(joint), champion_cells(joint)
    rows = []
    for index, label in enumerate(counts.labels):
        cells = joint[index]
        agree = int(cells[0] + cells[3] + cells[4] + cells[7])
        rows.append(
            {
                "label": label,
                "count": int(cells.sum()),
                "agree": agree,
                "challenger": {m: finite(float(confusion_metric(m, mine[index]))) for m in metrics},
                "champion": {m: finite(float(confusion_metric(m, theirs[index]))) for m in metrics},
            }
        )
    return rows


def disparity_increase(
    context: EvaluationContext, params: ComparisonDisparityParams
) -> Measurement:
    """The challenger's disparity less the champion's, the worst grouping's (paired interval)."""
    refused = _refusal(context, "comparison.disparity_increase")
    if refused is not None:
        return refused
    metrics = DISPARITY_METRICS[params.disparity]
    spec = bootstrap_spec(params)
    compared: list[_Compared] = []
    problems: list[str] = []
    for features in context.feature_sets(params.sensitive_features):
        found, why = _compare_grouping(
            context, joint_counts(context, features), params, metrics, spec
        )
        problems.extend(why)
        if found is not None:
            compared.append(found)
    evidence: dict[str, Any] = {
        "comparison": "disparity_increase",
        "disparity": params.disparity,
        "metrics": list(metrics),
        "method": params.method,
        "min_group_size": params.min_group_size,
        "gate_on": params.gate_on,
        **_champion_evidence(context, spec),
        "groupings": [item.table for item in compared],
    }
    judged = [_judged(c.point, c.low, c.high, params.gate_on) for c in compared]
    defined = [value for value in judged if not math.isnan(value)]
    measured = max(defined) if defined and len(defined) == len(judged) else None
    if measured is not None:
        worst = compared[judged.index(measured)]
        evidence["point"] = finite(worst.point)
        evidence["challenger"] = worst.table["challenger"]
        evidence["champion_value"] = worst.table["champion"]
        if worst.low is not None and worst.high is not None:
            evidence["interval"] = pair(worst.low, worst.high)
    if problems:
        return Measurement(value=measured, evidence=evidence, insufficient="; ".join(problems))
    if measured is None:
        return Measurement(evidence=evidence, insufficient="the difference is undefined")
    return Measurement(value=measured, evidence=evidence)


def performance_drop(context: EvaluationContext, params: PerformanceDropParams) -> Measurement:
    """How much worse the challenger's metric is than the champion's, over all rows."""
    refused = _refusal(context, "comparison.performance_drop")
    if refused is not None:
        return refused
    metric = params.metric
    spec = bootstrap_spec(params)
    counts = joint_counts(context, ())
    sign = 1.0 if METRICS[metric].higher_is_better else -1.0
    whole = counts.confusion.sum(axis=0)
    values = {
        "challenger": float(confusion_metric(metric, challenger_cells(whole))),
        "champion": float(confusion_metric(metric, champion_cells(whole))),
    }
    point = sign * (values["champion"] - values["challenger"])
    low = high = None
    if spec.n_boot:
        draws = context.cached(
            ("paired.resample", counts.key, spec), lambda: resample_joint(counts, spec)
        ).sum(axis=1)
        drops = sign * (
            confusion_metric(metric, champion_cells(draws))
            - confusion_metric(metric, challenger_cells(draws))
        )
        lows, highs = interval(drops, spec)
        low, high = float(lows), float(highs)
    evidence: dict[str, Any] = {
        "comparison": "performance_drop",
        "metric": metric,
        "gate_on": params.gate_on,
        **_champion_evidence(context, spec),
        "challenger": finite(values["challenger"]),
        "champion_value": finite(values["champion"]),
        "point": finite(point),
    }
    if low is not None and high is not None:
        evidence["interval"] = pair(low, high)
    undefined = [
        f"{name}: {reason}"
        for name, cells_of in (("challenger", challenger_cells), ("champion", champion_cells))
        for reason in replace(counts, confusion=cells_of(counts.confusion)).undefined(metric)
    ]
    measured = _judged(point, low, high, params.gate_on)
    if undefined:
        return Measurement(
            value=finite(measured), evidence=evidence, insufficient="; ".join(undefined)
        )
    if math.isnan(measured):
        return Measurement(evidence=evidence, insufficient="the difference is undefined")
    return Measurement(value=measured, evidence=evidence)
