"""The explainability pages, derived from the findings: facts, one feature table, groups, findings.

Every explainability rule of an evaluation reads the same explanation, so the report states how
the model was explained once, merges what the rules measured per feature into one table (rank,
mean |SHAP|, share, sensitive, strongest association, proxy of, stability), shows importance by
group as a table of the most influential features, and gives each rule one sentence and the few
figures it decided on. Nothing here dumps evidence: an evidence key this module does not know is
left to the attached record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from governance.reporting.charts import evidence_rows
from governance.reporting.filters import number as _number

MAX_FEATURE_ROWS = 25
"""Features listed in the feature table; the rest are counted in a line below it."""
GROUP_TABLE_FEATURES = 10
"""Features (the most influential) in each importance-by-group table."""
GROUP_TABLE_COLUMNS = 6
"""Groups per importance-by-group table; more groups continue in another table."""

MEASURES = {"cramers_v": "V", "correlation_ratio": "η"}
"""Short names of the association measures, explained below the feature table."""
EXPLAINERS = {
    "tree": "tree (exact, path-dependent or interventional)",
    "linear": "linear (exact for a linear model)",
    "permutation": "permutation (model-agnostic, sampled)",
    "kernel": "kernel (model-agnostic, sampled)",
}
OUTPUTS = {"log_odds": "log-odds", "probability": "probability", "raw": "raw model output"}


def explanation_facts(explanation: Mapping[str, Any]) -> list[tuple[str, str]]:
    """How the model was explained, as ``(label, sentence)`` pairs; unknown keys are left out."""
    facts: list[tuple[str, str]] = []
    explainer = explanation.get("explainer")
    if explainer:
        name = explanation.get("shap_explainer")
        text = EXPLAINERS.get(str(explainer), str(explainer))
        facts.append(("Explainer", f"{text}{f', {name}' if name else ''}"))
    if explanation.get("fallback_reason"):
        facts.append(("Fallback", str(explanation["fallback_reason"])))
    estimator, model = explanation.get("estimator"), explanation.get("model")
    if estimator:
        inside = f" inside a {model}" if model and model != estimator else ""
        facts.append(("Model explained", f"{estimator}{inside}"))
    explained, available = explanation.get("rows_explained"), explanation.get("rows_available")
    if isinstance(explained, int):
        rows = f"{explained:,}"
        if isinstance(available, int) and available != explained:
            rows += f" of {available:,} evaluation rows (a seeded random sample)"
        elif explanation.get("data_sampled"):
            rows += " (from a sample of the evaluation data)"
        if explanation.get("partial"):
            rows += "; stopped early by the time budget"
        facts.append(("Rows explained", rows))
    background = explanation.get("background_rows")
    if isinstance(background, int) and background > 0:
        how = explanation.get("feature_perturbation") or "interventional"
        facts.append(("Background", f"{background:,} rows ({how})"))
    elif explanation.get("feature_perturbation"):
        facts.append(("Background", f"none needed ({explanation['feature_perturbation']})"))
    if explanation.get("seed") is not None:
        facts.append(("Seed", str(explanation["seed"])))
    additivity = explanation.get("additivity")
    if isinstance(additivity, Mapping) and additivity:
        verdict = "holds" if additivity.get("passed") else "does NOT hold"
        facts.append(
            (
                "Additivity",
                f"{verdict}: attributions sum to the model output within "
                f"{_number(additivity.get('max_abs_error'))} (tolerance "
                f"{_number(additivity.get('tolerance'))})",
            )
        )
    output = explanation.get("output")
    if output:
        facts.append(("Unit", f"SHAP values in {OUTPUTS.get(str(output), str(output))}"))
    space, attribution = explanation.get("feature_space"), explanation.get("attribution")
    if space == "original" and attribution:
        columns = explanation.get("preprocessed_columns")
        across = f" ({columns} preprocessed columns)" if isinstance(columns, int) else ""
        facts.append(("Features", f"the data's own columns: {attribution}{across}"))
    elif space:
        facts.append(("Features", f"the model's {space} columns"))
    seconds = explanation.get("seconds")
    if isinstance(seconds, int | float):
        budget = explanation.get("max_seconds")
        within = f" (budget {budget} s)" if budget else ""
        facts.append(("Time", f"{seconds:.2f} s{within}"))
    return facts


def _association(row: Mapping[str, Any]) -> str:
    """The strongest association of a feature with a sensitive attribute, in words."""
    best: tuple[float, str, str] | None = None
    for sensitive, found in (row.get("association") or {}).items():
        if isinstance(found, Mapping) and isinstance(found.get("value"), int | float):
            value = float(found["value"])
            if best is None or value > best[0]:
                measure = MEASURES.get(str(found.get("measure")), str(found.get("measure") or ""))
                best = (value, str(sensitive), measure)
    if best is None:
        return "—"
    value, sensitive, measure = best
    return f"{sensitive} {_number(value)} {measure}".rstrip()


def feature_table(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One row per feature, merging importance, proxy screening and stability evidence."""
    rows: dict[str, dict[str, Any]] = {}
    order: list[str] = []

    def row(name: str) -> dict[str, Any]:
        if name not in rows:
            rows[name] = {"feature": name}
            order.append(name)
        return rows[name]

    for item in items:
        evidence = item.get("evidence") or {}
        for entry in evidence_rows(evidence.get("importance")):
            found = row(str(entry.get("feature")))
            for key in ("rank", "mean_abs_shap", "share", "sensitive"):
                if entry.get(key) is not None:
                    found.setdefault(key, entry[key])
        check = item.get("check")
        if check == "explainability.proxy_features":
            for entry in evidence_rows(evidence.get("features")):
                found = row(str(entry.get("feature")))
                found.setdefault("rank", entry.get("rank"))
                found.setdefault("share", entry.get("share"))
                found["association"] = _association(entry)
                found["proxy_of"] = list(entry.get("proxy_of") or [])
                found["dropped"] = bool(entry.get("dropped_by_preprocessing"))
        if check == "explainability.stability":
            for entry in evidence_rows(evidence.get("features")):
                found = row(str(entry.get("feature")))
                low, high = entry.get("rank_p05"), entry.get("rank_p95")
                if low is not None and high is not None:
                    found["rank_range"] = f"{low}–{high}" if low != high else str(low)
                found["in_top_share"] = entry.get("in_top_k_share")
    ranked = sorted(
        order, key=lambda name: (rows[name].get("rank") is None, rows[name].get("rank") or 0)
    )
    listed = [rows[name] for name in ranked]
    shown, rest = listed[:MAX_FEATURE_ROWS], listed[MAX_FEATURE_ROWS:]
    columns = {
        "association": any("association" in r for r in listed),
        "stability": any("rank_range" in r for r in listed),
    }
    most = max((float(r.get("share") or 0) for r in rest), default=0.0)
    return {"rows": shown, "more": len(rest), "more_share": most, "columns": columns}


def group_tables(items: Sequence[Mapping[str, Any]], top: Sequence[str]) -> list[dict[str, Any]]:
    """Importance by group: the most influential features (rows) by each group (columns)."""
    tables: list[dict[str, Any]] = []
    for item in items:
        if item.get("check") != "explainability.sensitive_attribution_share":
            continue
        for table in evidence_rows((item.get("evidence") or {}).get("by_group")):
            groups = evidence_rows(table.get("groups"))
            features = [f for f in top if any(f in (g.get("mean_abs_shap") or {}) for g in groups)]
            features = features[:GROUP_TABLE_FEATURES]
            for start in range(0, len(groups), GROUP_TABLE_COLUMNS):
                part = groups[start : start + GROUP_TABLE_COLUMNS]
                tables.append(
                    {
                        "sensitive_feature": table.get("sensitive_feature"),
                        "groups": [
                            {"label": str(g.get("group")), "count": g.get("count")} for g in part
                        ],
                        "rows": [
                            {
                                "feature": feature,
                                "values": [
                                    (g.get("mean_abs_shap") or {}).get(feature) for g in part
                                ],
                            }
                            for feature in features
                        ],
                    }
                )
        break  # every such rule reads the same explanation
    return tables


def _distinct(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The distinct explanations of the findings, each with the rules that read it."""
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        explanation = (item.get("evidence") or {}).get("explanation")
        if not isinstance(explanation, Mapping):
            continue
        key = json.dumps(explanation, sort_keys=True, default=str)
        entry = seen.setdefault(key, {"facts": explanation_facts(explanation), "rules": []})
        entry["rules"].append(item.get("rule_id"))
    return list(seen.values())


def _unique_charts(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct chart once, with the first rule that drew it."""
    charts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        for chart in item.get("charts") or []:
            svg = str(chart.get("svg", ""))
            if svg in seen:
                continue
            seen.add(svg)
            charts.append({**chart, "rule_id": item.get("rule_id"), "check": item.get("check")})
    return charts


def explain_view(findings: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The explainability pages' content, or ``None`` when no explainability rule ran.

    Returns
    -------
    dict
        ``explanations`` (distinct explanations: ``facts`` and ``rules``), ``features`` (see
        :func:`feature_table`), ``by_group`` (see :func:`group_tables`), ``charts`` (each
        distinct chart once) and ``findings`` (the explainability findings, in record order).
    """
    items = [f for f in findings if str(f.get("check") or "").startswith("explainability.")]
    if not items:
        return None
    features = feature_table(items)
    top = [str(row["feature"]) for row in features["rows"] if (row.get("mean_abs_shap") or 0) > 0]
    return {
        "explanations": _distinct(items),
        "features": features,
        "by_group": group_tables(items, top),
        "charts": _unique_charts(items),
        "findings": items,
    }
