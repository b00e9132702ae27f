"""Where the report draws each check type's evidence, and the lineage and documentation views.

Every built-in check type has a designed place in the report (:data:`SECTION_OF_DOMAIN`):
fairness and per-group performance as group tables, overall performance in the model facts,
explainability on its own pages (:mod:`governance.reporting.explain_view`), lineage checks as
what each found, documentation checks as the fields present and missing, drift checks as each
feature's value over all rows and in its most shifted group, challenger-against-champion
checks side by side (both values, the difference, its paired interval). A check type from a
plugin is listed rule by rule with its message; its evidence stays in the attached record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from governance.reporting.charts import evidence_rows

SECTION_OF_DOMAIN = {
    "fairness": "fairness",
    "performance": "performance",
    "explainability": "explainability",
    "lineage": "lineage",
    "documentation": "documentation",
    "drift": "drift",
    "comparison": "comparison",
}
"""The report section that draws the evidence of each check domain (``domain.name``)."""


def drawn_in(check: str) -> str | None:
    """The section drawing a check type's evidence, or ``None`` (a plugin's: message only)."""
    return SECTION_OF_DOMAIN.get(check.partition(".")[0])


def _run(run: Mapping[str, Any]) -> str:
    return f"run {run.get('run_id')} of job {run.get('job')}"


def lineage_lines(evidence: Mapping[str, Any], check: str) -> list[str]:
    """What a lineage check found, one sentence per fact."""
    lines: list[str] = []
    run = evidence.get("training_run")
    if isinstance(run, Mapping):
        how = f", found by {evidence['found_by']}" if evidence.get("found_by") else ""
        lines.append(f"Training {_run(run)} ({run.get('state') or 'state unknown'}){how}.")
    datasets = evidence_rows(evidence.get("datasets"))
    if check == "lineage.training_data_traced" and datasets:
        deepest = max(int(row.get("hop") or 0) for row in datasets)
        lines.append(f"{len(datasets)} upstream datasets traced, up to {deepest} hops back.")
    for gap in evidence.get("gaps") or []:
        lines.append(f"Gap: {gap}.")
    if check == "lineage.facets_present" and "required" in evidence:
        required = ", ".join(evidence.get("required") or []) or "none"
        missing = evidence_rows(evidence.get("missing"))
        lines.append(f"Required facets: {required}.")
        lines += [
            f"{row.get('dataset')} lacks {', '.join(row.get('facets') or [])}." for row in missing
        ]
        if datasets and not missing:
            lines.append(f"All {len(datasets)} datasets of the chain carry them.")
    if check == "lineage.code_version_recorded":
        for job, location in (evidence.get("recorded") or {}).items():
            if isinstance(location, Mapping):
                where = location.get("url") or location.get("path") or "a location"
                lines.append(f"{job}: code at {where}, version {location.get('version')}.")
        lines += [
            f"{job}: no source code location with a commit."
            for job in evidence.get("missing") or []
        ]
    if check == "lineage.no_failed_runs":
        failed, unfinished = evidence.get("failed"), evidence.get("unfinished")
        lines += [f"Failed: {_run(run)}." for run in evidence_rows(failed)]
        lines += [f"Not finished: {_run(run)}." for run in evidence_rows(unfinished)]
        if (
            isinstance(run, Mapping)
            and not evidence.get("failed")
            and not evidence.get("unfinished")
        ):
            lines.append("Every run behind the model completed.")
    late = evidence_rows(evidence.get("recorded_late"))
    if late:
        lines.append(
            f"{len(late)} run(s) recorded more than a day after their time: "
            + ", ".join(str(row.get("run_id")) for row in late)
            + "."
        )
    if evidence.get("events_left_out"):
        lines.append(f"{evidence['events_left_out']} events left out (not from an allowed source).")
    return lines


def lineage_view(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The lineage findings with what each found (``lines``)."""
    return [
        {"finding": item, "lines": lineage_lines(item.get("evidence") or {}, str(item["check"]))}
        for item in findings
        if drawn_in(str(item.get("check") or "")) == "lineage"
    ]


def documentation_view(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The documentation findings with the fields they found present and missing."""
    shown = []
    for item in findings:
        if drawn_in(str(item.get("check") or "")) != "documentation":
            continue
        evidence = item.get("evidence") or {}
        shown.append(
            {
                "finding": item,
                "present": [str(f) for f in evidence.get("present") or []],
                "missing": [str(f) for f in evidence.get("missing") or []],
            }
        )
    return shown


def _worst(cells: list[dict[str, Any]], smaller_worse: bool) -> dict[str, Any] | None:
    scored = [c for c in cells if c.get("sufficient") and isinstance(c.get("value"), int | float)]
    if not scored:
        return None
    pick = min if smaller_worse else max
    return pick(scored, key=lambda cell: float(cell["value"]))


def drift_view(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The drift findings: per feature, the value over all rows and in its most shifted group."""
    from governance.evaluators.drift import SMALLER_IS_WORSE

    shown = []
    for item in findings:
        if drawn_in(str(item.get("check") or "")) != "drift":
            continue
        evidence = item.get("evidence") or {}
        smaller_worse = evidence.get("statistic") in SMALLER_IS_WORSE
        rows = []
        for feature in evidence_rows(evidence.get("features")):
            cells = evidence_rows(feature.get("cells"))
            overall = next((c for c in cells if not c.get("sensitive_features")), None)
            grouped = [c for c in cells if c.get("sensitive_features")]
            rows.append(
                {
                    "feature": feature.get("feature"),
                    "kind": feature.get("kind"),
                    "overall": overall,
                    "worst": _worst(grouped, smaller_worse),
                    "small": sum(1 for c in grouped if not c.get("sufficient")),
                }
            )
        shown.append({"finding": item, "rows": rows, "smaller_worse": smaller_worse})
    return shown


def _compared_row(
    what: str, holder: Mapping[str, Any], champion_key: str, measured: Any
) -> dict[str, Any]:
    interval = holder.get("interval")
    return {
        "what": what,
        "challenger": holder.get("challenger"),
        "champion": holder.get(champion_key),
        "difference": holder.get("point"),
        "interval": list(interval) if isinstance(interval, list | tuple) else None,
        "measured": measured,
    }


def comparison_view(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The challenger-against-champion findings, one row per grouping (or the metric)."""
    shown = []
    for item in findings:
        if drawn_in(str(item.get("check") or "")) != "comparison":
            continue
        evidence = item.get("evidence") or {}
        rows = []
        if evidence.get("comparison") == "performance_drop":
            what = f"{str(evidence.get('metric')).replace('_', ' ')}, drop"
            rows.append(_compared_row(what, evidence, "champion_value", item.get("measured")))
        for table in evidence_rows(evidence.get("groupings")):
            disparity = str(evidence.get("disparity") or "disparity").replace("_", " ")
            by = " × ".join(str(f) for f in table.get("sensitive_features") or [])
            what = f"{disparity} by {by}, increase"
            rows.append(_compared_row(what, table, "champion", table.get("measured")))
        champion = evidence.get("champion") or {}
        shown.append(
            {
                "finding": item,
                "rows": rows,
                "gate_on": evidence.get("gate_on") or "point",
                "champion": f"{champion.get('name', '')} {champion.get('version', '')}".strip(),
                "agreeing": evidence.get("rows_agreeing"),
                "total": evidence.get("rows"),
            }
        )
    return shown
