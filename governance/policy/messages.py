"""What a finding's message says it measured: one phrase per check type, built from evidence.

A CI reviewer reads only the message (it flows to every output format and the PDF), so the
phrase names what was compared: the grouping and the worst pair of groups for fairness, the
features for explainability, the dataset, run or field for lineage and documentation, the metric
and worst group for performance. :func:`subject` returns the part before ``is below the minimum
0.8``; the engine adds the comparison.

When a rule gates on an interval bound (``gate_on: ci_lower`` / ``ci_upper``) the phrase says so
and shows the point and the interval next to the gated bound: ``upper 95% bound 0.2167 (point
0.0885, interval [0.0476, 0.2167])``. Nothing here reads anything but the evidence and params.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeGuard

from pydantic import BaseModel

from governance.policy.model import GatedBound

BOUND_NAMES: dict[str, str] = {"ci_lower": "lower", "ci_upper": "upper"}
METRIC_NAMES = {
    "selection_rate": "selection-rate",
    "true_positive_rate": "true-positive-rate",
    "false_positive_rate": "false-positive-rate",
    "expected_calibration_error": "calibration-error",
}
LISTED = 5
"""Items named in a message before ``and N more``."""

Evidence = Mapping[str, Any]


def number(value: float) -> str:
    """A measured value as every output shows it: 4 significant digits."""
    return f"{value:.4g}"


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, int | float) else str(value)


def listed(items: Sequence[str]) -> str:
    """``a; b; c`` or ``a; b; c; d; e and 3 more``."""
    shown = "; ".join(items[:LISTED])
    rest = len(items) - LISTED
    return f"{shown} and {rest} more" if rest > 0 else shown


def bound_phrase(gated: GatedBound, value: float) -> str:
    """``upper 95% bound 0.2167 (point 0.0885, interval [0.0476, 0.2167])``."""
    low, high = gated.interval
    return (
        f"{BOUND_NAMES[gated.bound]} {gated.confidence:.0%} bound {number(value)} "
        f"(point {number(gated.point)}, interval [{number(low)}, {number(high)}])"
    )


def gated_interval(params: BaseModel, evidence: Evidence) -> GatedBound | None:
    """The interval of a rule gating on a bound, from its worst table or the evidence."""
    gate_on = getattr(params, "gate_on", "point")
    if gate_on not in ("ci_lower", "ci_upper"):
        return None
    bound: Literal["ci_lower", "ci_upper"] = "ci_lower" if gate_on == "ci_lower" else "ci_upper"
    holder = _worst_table(evidence, None) or evidence
    point, interval = holder.get("point"), holder.get("interval")
    if point is None or not isinstance(interval, list | tuple) or len(interval) != 2:
        point, interval = evidence.get("point"), evidence.get("interval")
    if not _finite(point) or not isinstance(interval, list | tuple) or len(interval) != 2:
        return None
    if not all(_finite(end) for end in interval):
        return None
    confidence = (evidence.get("bootstrap") or {}).get("confidence")
    confidence = confidence if _finite(confidence) else getattr(params, "confidence", 0.95)
    return GatedBound(
        bound=bound,
        confidence=float(confidence),
        point=float(point),
        interval=(float(interval[0]), float(interval[1])),
    )


def _finite(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def value_phrase(value: float, params: BaseModel, evidence: Evidence) -> str:
    """The measured value, or the bound with its point and interval."""
    interval = gated_interval(params, evidence)
    return number(value) if interval is None else bound_phrase(interval, value)


def subject(check: str, params: BaseModel, evidence: Evidence, value: float) -> str:
    """What was measured and its value, in words: the part of a message before ``is ...``.

    ``selection-rate ratio by sex (female 0.725 vs male 0.794): 0.7829``, or with a bound
    ``...: lower 95% bound 0.7829 (point 0.9131, interval [0.7829, 0.9944])``.
    """
    shown = value_phrase(value, params, evidence)
    domain = check.partition(".")[0]
    describe = DESCRIBERS.get(check) or DESCRIBERS.get(domain)
    if describe is None:
        return shown
    try:
        what = describe(check, params, evidence, value)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError):
        what = None  # evidence of an unexpected shape: the bare value still says the result
    return f"{what}: {shown}" if what else shown


# fairness --------------------------------------------------------------------------------


def _worst_table(evidence: Evidence, value: float | None) -> Mapping[str, Any] | None:
    tables = [table for table in evidence.get("tables") or [] if isinstance(table, Mapping)]
    if not tables:
        return None
    if value is not None:
        for table in tables:
            measured = table.get("measured")
            if _finite(measured) and math.isclose(measured, value, rel_tol=1e-9, abs_tol=1e-12):
                return table
    if len(tables) == 1:
        return tables[0]
    return None


def _features(table: Mapping[str, Any]) -> str:
    return " × ".join(str(name) for name in table.get("sensitive_features") or [])


def _pair(
    table: Mapping[str, Any], metric: str, method: str, ratio: bool, minimum: int
) -> tuple[float, str] | None:
    """The disparity and ``A 0.11 vs B 0.48`` of the worst pair of groups for one metric."""
    groups = [
        (str(group.get("label")), group["metrics"][metric])
        for group in table.get("groups") or []
        if int(group.get("count") or 0) >= minimum and _finite(group["metrics"].get(metric))
    ]
    if method == "to_reference":
        reference = table.get("reference")
        anchors = [(label, rate) for label, rate in groups if label == str(reference)]
        others = [(label, rate) for label, rate in groups if label != str(reference)]
    elif method == "to_overall":
        overall = (table.get("overall") or {}).get(metric)
        anchors = [("overall", overall)] if _finite(overall) else []
        others = groups
    else:
        if len(groups) < 2:
            return None
        low = min(groups, key=lambda item: item[1])
        high = max(groups, key=lambda item: item[1])
        anchors, others = [high], [low]
    if not anchors or not others:
        return None
    anchor = anchors[0]

    def badness(item: tuple[str, float]) -> float:
        if ratio:
            small, large = sorted((item[1], anchor[1]))
            return -float(small / large) if large else -1.0
        return float(abs(item[1] - anchor[1]))

    worst = max(others, key=badness)
    first, second = sorted((worst, anchor), key=lambda item: item[1])
    text = f"{first[0]} {_short(first[1])} vs {second[0]} {_short(second[1])}"
    return badness(worst), text


def _fairness(check: str, params: BaseModel, evidence: Evidence, value: float) -> str | None:
    table = _worst_table(evidence, value)
    kind = check.rpartition(".")[2]
    if kind == "min_group_size":
        return _group_size(table, value)
    ratio = kind.endswith("_ratio")
    metrics = list(evidence.get("metrics") or [])
    metric_param = getattr(params, "metric", None)
    name = kind.replace("_", " ")
    if kind in ("metric_ratio", "metric_difference") and metric_param:
        name = f"{METRIC_NAMES.get(metric_param, metric_param.replace('_', '-'))} " + (
            "ratio" if ratio else "difference"
        )
    elif kind.startswith("demographic_parity"):
        name = "selection-rate " + ("ratio" if ratio else "difference")
    elif kind == "calibration_gap":
        name = "calibration-error difference"
    elif kind.startswith("equalized_odds"):
        name = "equalized-odds " + ("ratio" if ratio else "difference")
    if table is None:
        return name
    method = str(evidence.get("method") or getattr(params, "method", "between_groups"))
    minimum_given: Any = evidence.get("min_group_size") or getattr(params, "min_group_size", 1)
    minimum = int(minimum_given)
    pairs = [
        (found, metric)
        for metric in metrics
        if (found := _pair(table, metric, method, ratio, minimum)) is not None
    ]
    by = f"by {_features(table)}"
    view = str(table.get("view") or "")  # a multiclass table: "class low", "macro", "micro"
    if view.startswith("class "):
        by = f"of {view} {by}"
    elif view:
        name = f"{view}-averaged {name}"
    if pairs:
        (_, shown), metric = max(pairs, key=lambda item: item[0][0])
        what = "" if len(metrics) == 1 else f"{METRIC_NAMES.get(metric, metric)}: "
        by += f" ({what}{shown})"
    return f"{name} {by}"


def _group_size(table: Mapping[str, Any] | None, value: float) -> str | None:
    if table is None:
        return None
    smallest = min(table.get("groups") or [], key=lambda group: int(group.get("count") or 0))
    return f"rows in the smallest group ({smallest.get('label')} by {_features(table)})"


# performance -----------------------------------------------------------------------------


def _performance(check: str, params: BaseModel, evidence: Evidence, value: float) -> str | None:
    metric = str(evidence.get("metric") or getattr(params, "metric", "metric"))
    if evidence.get("class") is not None:  # multiclass, per class: the worst class is measured
        worst_class = str(evidence["class"])
        metric += " of " + (
            worst_class if worst_class.startswith("class ") else f"class {worst_class}"
        )
    aggregate = str(evidence.get("aggregate") or "overall")
    if aggregate == "overall":
        return metric
    words = {
        "min_over_groups": "smallest",
        "max_over_groups": "largest",
        "worst_group": "worst",
    }.get(aggregate, aggregate)
    point = evidence.get("point", value)
    table = _worst_table(evidence, point)
    if table is None or not _finite(point):
        return f"{words} group {metric}"
    group = next(
        (
            g
            for g in table.get("groups") or []
            if _finite((g.get("metrics") or {}).get(metric))
            and math.isclose(g["metrics"][metric], point, rel_tol=1e-9, abs_tol=1e-12)
        ),
        None,
    )
    if group is None:
        return f"{words} group {metric} (by {_features(table)})"
    label, count = group.get("label"), group.get("count")
    return f"{words} group {metric} ({label} by {_features(table)}, {count} rows)"


# explainability --------------------------------------------------------------------------


def _proxies(evidence: Evidence, value: float) -> str:
    features = [item for item in evidence.get("features") or [] if item.get("potential_proxy")]
    named = [
        f"{item['feature']} stands for {' and '.join(item.get('proxy_of') or [])}, "
        f"association {_short(item.get('max_association'))}"
        for item in features
    ]
    top = evidence.get("top_k")
    where = f" among the top {top} features" if top else ""
    text = f"potential proxies{where}"
    return f"{text} ({listed(named)})" if named else text


def _sensitive_share(evidence: Evidence, value: float) -> str:
    parts = [
        f"{item['feature']} {_short(item.get('share'))} at rank {item.get('rank')}"
        if item.get("rank") is not None
        else f"{item['feature']} ({item.get('status', 'not used')})"
        for item in evidence.get("sensitive") or []
    ]
    text = "share of attribution on sensitive features"
    return f"{text} ({listed(parts)})" if parts else text


def _top_features(evidence: Evidence, value: float) -> str:
    parts = [
        f"{item['feature']} at rank {item.get('rank')} {item.get('reason')}"
        for item in evidence.get("violations") or []
    ]
    text = f"top {evidence.get('top_k')} features not allowed"
    return f"{text} ({listed(parts)})" if parts else text


def _explainability(check: str, params: BaseModel, evidence: Evidence, value: float) -> str:
    kind = check.rpartition(".")[2]
    if kind == "proxy_features":
        return _proxies(evidence, value)
    if kind == "sensitive_attribution_share":
        return _sensitive_share(evidence, value)
    if kind == "top_features":
        return _top_features(evidence, value)
    if kind == "stability":
        return f"top-{evidence.get('k', '')} overlap across resamples"
    explanation = evidence.get("explanation") or {}
    return (
        f"fraction of rows explained ({explanation.get('rows_explained')} of "
        f"{explanation.get('rows_requested')}, {explanation.get('shap_explainer')})"
    )


# lineage and documentation ---------------------------------------------------------------


def _lineage(check: str, params: BaseModel, evidence: Evidence, value: float) -> str:
    kind = check.rpartition(".")[2]
    model = evidence.get("model_dataset")
    of = f" of {model}" if model else ""
    if kind == "facets_present":
        missing = [
            f"{item['dataset']} lacks {', '.join(item['facets'])}"
            for item in evidence.get("missing") or []
        ]
        text = f"datasets missing facets{of}"
        return f"{text} ({listed(missing)})" if missing else text
    if kind == "code_version_recorded":
        jobs = [str(job) for job in evidence.get("missing") or []]
        text = f"jobs without a recorded commit{of}"
        return f"{text} ({listed(jobs)})" if jobs else text
    if kind == "no_failed_runs":
        runs = [
            f"{run.get('job')} run {run.get('run_id')} {str(run.get('state', '')).lower()}"
            for run in [*(evidence.get("failed") or []), *(evidence.get("unfinished") or [])]
        ]
        text = f"failed runs{of}"
        return f"{text} ({listed(runs)})" if runs else text
    gaps = [str(gap) for gap in evidence.get("gaps") or []]
    text = f"lineage gaps{of}"
    return f"{text} ({'; '.join(gaps[:LISTED])})" if gaps else text


def _documentation(check: str, params: BaseModel, evidence: Evidence, value: float) -> str:
    return "documentation fields missing"


# drift ---------------------------------------------------------------------------------

DRIFT_NAMES = {
    "psi": "PSI",
    "js_distance": "Jensen-Shannon distance",
    "ks_statistic": "KS statistic",
    "ks_p_value": "KS p-value",
    "wasserstein": "Wasserstein distance",
    "chi_square_p_value": "chi-square p-value",
    "missing_share": "missing-value share",
    "out_of_range_share": "out-of-range share",
}


def _drift(check: str, params: BaseModel, evidence: Evidence, value: float) -> str | None:
    """``PSI of age in Female by sex (812 reference vs 640 current rows)``."""
    statistic = str(evidence.get("statistic") or check.rpartition(".")[2])
    name = DRIFT_NAMES.get(statistic, statistic.replace("_", " "))
    if evidence.get("scale") == "reference_std":
        name += " in reference standard deviations"
    worst = evidence.get("worst")
    if not isinstance(worst, Mapping):
        return name
    grouping = [str(column) for column in worst.get("sensitive_features") or []]
    where = f" in {worst.get('group')} by {' × '.join(grouping)}" if grouping else " overall"
    rows = f" ({worst.get('n_reference')} reference vs {worst.get('n_current')} current rows)"
    return f"{name} of {worst.get('feature')}{where}{rows}"


# comparison ------------------------------------------------------------------------------


def _comparison(check: str, params: BaseModel, evidence: Evidence, value: float) -> str:
    """What a comparison measured, with both models' values and the paired interval.

    ``demographic parity difference increase over champion NAME 1.0.0 by sex (challenger
    0.12 vs champion 0.08, difference 0.04, paired 95% interval [0.01, 0.07])``.
    """
    champion = evidence.get("champion") or {}
    against = f"champion {champion.get('name')} {champion.get('version')}".strip()
    if evidence.get("comparison") == "performance_drop":
        what = f"{evidence.get('metric')} drop below {against}"
        holder: Mapping[str, Any] = evidence
    else:
        kind = str(evidence.get("disparity") or "disparity").replace("_", " ")
        table = _worst_table({"tables": evidence.get("groupings")}, value)
        by = f" by {_features(table)}" if table else ""
        what = f"{kind} increase over {against}{by}"
        holder = table or evidence
    challenger = holder.get("challenger")
    baseline = holder.get("champion_value", holder.get("champion"))
    parts = []
    if _finite(challenger) and _finite(baseline):
        parts.append(f"challenger {number(challenger)} vs champion {number(baseline)}")
    if _finite(holder.get("point")):
        parts.append(f"difference {number(holder['point'])}")
    ends = holder.get("interval")
    if isinstance(ends, list | tuple) and len(ends) == 2 and all(_finite(e) for e in ends):
        confidence = (evidence.get("bootstrap") or {}).get("confidence", 0.95)
        parts.append(f"paired {confidence:.0%} interval [{number(ends[0])}, {number(ends[1])}]")
    return f"{what} ({', '.join(parts)})" if parts else what


Describer = Callable[[str, BaseModel, Evidence, float], "str | None"]
DESCRIBERS: dict[str, Describer] = {
    "fairness": _fairness,
    "performance": _performance,
    "explainability": _explainability,
    "lineage": _lineage,
    "documentation": _documentation,
    "drift": _drift,
    "comparison": _comparison,
}
"""Describers by check name or by domain (the part before the first dot)."""
