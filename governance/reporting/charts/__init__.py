"""Charts of a finding's evidence, drawn when a report or web page is rendered.

The evaluation record keeps the data a chart needs (a finding's ``evidence``: per-group metrics
and intervals, SHAP importance overall and by group, feature associations) and no pictures.
:func:`finding_charts` decides which charts a finding has (from its check, its evidence and,
for fairness and per-group performance charts, whether its rule can block the gate) and gives
their titles; a chart is drawn (matplotlib imported) only when its ``draw`` is called. Records
of version 1, which held SVG text drawn during the check, are charted the same way, from their
evidence: their stored SVG is never rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from governance.record import EvaluationRecord, FindingRecord

UNITS = {
    "log_odds": "log-odds",
    "probability": "probability",
    "decision_function": "decision function",
    "raw": "model output",
}
"""The unit of SHAP values by the explained output (``evidence.explanation.output``)."""
TOP_FEATURES = 10
"""Features shown in a by-group importance chart."""


@dataclass(frozen=True)
class Chart:
    """A chart of a finding: its title, and how to draw it (SVG text)."""

    title: str
    draw: Callable[[], str]


def finding_charts(finding: FindingRecord, *, fail_on: str, strict: bool) -> list[Chart]:
    """The charts of one finding, not yet drawn.

    Parameters
    ----------
    finding
        A finding of a stored record.
    fail_on, strict
        The record's gate settings: fairness and per-group performance findings are charted
        when their rule can block the gate, when they did not pass, or when their severity is
        medium or above (never when skipped).

    Returns
    -------
    list of Chart
        In the order the report shows them; empty when the evidence holds nothing to chart.
    """
    check = finding.check
    evidence = finding.evidence
    if check.startswith(("fairness.", "performance.")):
        return _group_metrics(finding, fail_on=fail_on, strict=strict)
    if not check.startswith("explainability.") or not _explained(evidence):
        return []
    from governance.reporting.charts import explainability as draw

    unit = UNITS.get(str(evidence["explanation"].get("output")), "model output")
    importance = evidence_rows(evidence.get("importance"))
    if check == "explainability.available" and "importance" in evidence:
        return [Chart(draw.IMPORTANCE_TITLE, partial(draw.importance_chart, importance, unit))]
    if check == "explainability.top_features" and "importance" in evidence:
        flagged = [str(row.get("feature")) for row in evidence_rows(evidence.get("violations"))]
        return [
            Chart(
                draw.IMPORTANCE_TITLE,
                partial(draw.importance_chart, importance, unit, highlight=flagged),
            )
        ]
    if check == "explainability.sensitive_attribution_share":
        top = [row["feature"] for row in importance if (row.get("mean_abs_shap") or 0) > 0]
        return [
            Chart(
                draw.GROUP_TITLE.format(feature=table.get("sensitive_feature")),
                partial(
                    draw.group_chart,
                    evidence_rows(table.get("groups")),
                    top[:TOP_FEATURES],
                    unit,
                ),
            )
            for table in evidence_rows(evidence.get("by_group"))
        ]
    if check == "explainability.proxy_features" and "features" in evidence:
        chart = partial(
            draw.proxy_chart,
            evidence_rows(evidence.get("features")),
            float(evidence.get("min_association", 0.0)),
            float(evidence.get("min_attribution_share", 0.0)),
        )
        return [Chart(draw.PROXY_TITLE, chart)]
    return []


def _group_metrics(finding: FindingRecord, *, fail_on: str, strict: bool) -> list[Chart]:
    from governance.reporting.charts.fairness import finding_chart, gating

    shown = finding.model_dump(mode="json", by_alias=True)
    if finding.outcome == "skipped":
        return []
    if not (gating(shown, fail_on, strict) or finding.outcome != "pass" or _notable(finding)):
        return []
    chart = finding_chart(shown)
    return [] if chart is None else [Chart(*chart)]


def _notable(finding: FindingRecord) -> bool:
    """Severity medium or above: worth a chart even when it passed and does not gate."""
    from governance.policy.model import Severity

    return Severity.parse(finding.severity) >= Severity.parse("medium")


def _explained(evidence: Mapping[str, Any]) -> bool:
    """Whether the evidence comes from an explanation of at least one row."""
    explanation = evidence.get("explanation")
    if not isinstance(explanation, Mapping):
        return False
    explained = explanation.get("rows_explained")
    return isinstance(explained, int) and explained > 0


def evidence_rows(value: Any) -> list[dict[str, Any]]:
    """The objects of a list of the evidence (anything else: none)."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [row for row in value if isinstance(row, dict)]


def record_charts(record: EvaluationRecord) -> list[list[Chart]]:
    """The charts of every finding of a record, in finding order."""
    return [
        finding_charts(finding, fail_on=record.fail_on, strict=record.strict)
        for finding in record.findings
    ]


def drawn_charts(record: EvaluationRecord) -> list[list[dict[str, str]]]:
    """Every finding's charts drawn: ``[{"title", "svg"}]`` per finding, in finding order."""
    return [
        [{"title": chart.title, "svg": chart.draw()} for chart in charts]
        for charts in record_charts(record)
    ]


def with_charts(record: EvaluationRecord) -> dict[str, Any]:
    """The record as templates read it: every finding's ``charts`` drawn from its evidence.

    Returns
    -------
    dict
        The record's payload where each finding's ``charts`` is ``[{"title", "svg"}]`` drawn
        now (a version-1 record's stored SVG replaced).
    """
    shown = record.payload()
    for finding, charts in zip(shown["findings"], drawn_charts(record), strict=True):
        finding["charts"] = charts
    return shown
