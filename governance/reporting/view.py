"""What the report shows, derived from an evaluation record: counts, coverage, lineage, charts.

Templates get these ready-made (as ``report``), so a custom theme does not have to recompute
them in Jinja2. The derivations read the typed record (:class:`~governance.record.EvaluationRecord`,
version 1 or 2, where fields older records lack have their defaults); the findings handed to
templates are the record's JSON form with their charts drawn
(:func:`governance.reporting.render.charted`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from governance.policy.controls import framework_of
from governance.reporting.check_views import (
    comparison_view,
    documentation_view,
    drawn_in,
    drift_view,
    lineage_view,
)
from governance.reporting.explain_view import explain_view
from governance.reporting.filters import OUTCOME_ORDER
from governance.reporting.lineage_svg import graph_svg, lineage_svg

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
DOCUMENT_CHECK_DOMAINS = ("documentation",)
"""Check domains whose evidence is a document (a model card field), not a measurement."""
UNMAPPED = "Not mapped to a control"

if TYPE_CHECKING:
    from governance.record import EvaluationRecord, FindingRecord


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the report (PDF/A-3 associated file).

    Parameters
    ----------
    name
        File name inside the PDF.
    description
        What it is.
    data
        Its bytes.
    mime_type
        Its media type.
    relationship
        PDF/A-3 ``AFRelationship``: ``Source``, ``Data``, ``Supplement``...
    """

    name: str
    description: str
    data: bytes = field(repr=False)
    mime_type: str = "application/json"
    relationship: str = "Supplement"

    @property
    def sha256(self) -> str:
        """``sha256:<hex>`` of the data."""
        import hashlib

        return "sha256:" + hashlib.sha256(self.data).hexdigest()


def _check_domain(finding: FindingRecord) -> str:
    return finding.check.partition(".")[0]


def outcome_by_severity(findings: Sequence[FindingRecord]) -> list[dict[str, Any]]:
    """Rows ``{"severity", "counts": {outcome: n}, "total"}`` for the severities present."""
    seen = {finding.severity for finding in findings}
    severities = [s for s in SEVERITY_ORDER if s in seen]
    rows = []
    for severity in severities:
        counts = {outcome: 0 for outcome in OUTCOME_ORDER}
        for finding in findings:
            if finding.severity == severity:
                counts[finding.outcome] = counts.get(finding.outcome, 0) + 1
        rows.append({"severity": severity, "counts": counts, "total": sum(counts.values())})
    return rows


def _control_status(outcomes: Sequence[str]) -> str:
    if any(outcome in ("fail", "error", "insufficient") for outcome in outcomes):
        return "not met"
    if outcomes and all(outcome == "skipped" for outcome in outcomes):
        return "not assessed"
    if any(outcome == "waived" for outcome in outcomes):
        return "not met, waived"
    return "met"


def coverage(record: EvaluationRecord) -> list[dict[str, Any]]:
    """Regulatory coverage per policy pack: each control, how it is checked, and its status.

    A control is checked *automatically* when a measurement rule maps to it, and needs
    *documentary evidence* when only documentation rules (``documentation.*`` checks over the
    manifest's model card) map to it.

    Returns
    -------
    list of dict
        ``{"policy", "version", "controls": [{"control", "framework", "rules", "method",
        "status"}], "automatic", "documentary"}``, one per policy, in record order.
    """
    packs = []
    for policy in record.policies:
        name = policy.name
        controls: dict[str, dict[str, Any]] = {}
        for finding in record.findings:
            if finding.policy != name:
                continue
            for control in finding.controls or [UNMAPPED]:
                entry = controls.setdefault(
                    control, {"rules": [], "outcomes": [], "domains": set()}
                )
                entry["rules"].append(finding.rule_id)
                entry["outcomes"].append(finding.outcome)
                entry["domains"].add(_check_domain(finding))
        rows = []
        for control, entry in controls.items():
            documentary = entry["domains"] <= set(DOCUMENT_CHECK_DOMAINS)
            rows.append(
                {
                    "control": control,
                    "framework": UNMAPPED if control == UNMAPPED else framework_of(control),
                    "rules": entry["rules"],
                    "method": "documentary evidence" if documentary else "automatic",
                    "status": _control_status(entry["outcomes"]),
                }
            )
        rows.sort(key=lambda row: (row["framework"] == UNMAPPED, row["framework"], row["control"]))
        packs.append(
            {
                "policy": name,
                "version": policy.version,
                "controls": rows,
                "automatic": sum(1 for r in rows if r["method"] == "automatic"),
                "documentary": sum(1 for r in rows if r["method"] != "automatic"),
            }
        )
    return packs


def svg_data_uri(svg: str) -> str:
    """An SVG document as a ``data:image/svg+xml;base64,...`` URI (for ``<img src>``)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _interval(group: Mapping[str, Any], metric: str) -> tuple[Any, Any] | None:
    """A group's confidence interval for ``metric``, in whichever shape the record has it."""
    intervals = group.get("intervals") or group.get("ci") or {}
    value = intervals.get(metric) if isinstance(intervals, Mapping) else None
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, Mapping):
        low = value.get("low", value.get("lower"))
        high = value.get("high", value.get("upper"))
        if low is not None or high is not None:
            return low, high
    return None


def intervals_of(group: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{metric: (low, high)}`` for every metric of a group that has an interval."""
    metrics = group.get("metrics") or {}
    found = {}
    for metric in metrics:
        interval = _interval(group, str(metric))
        if interval is not None:
            found[str(metric)] = interval
    return found


def build_view(
    record: EvaluationRecord,
    shown: Mapping[str, Any],
    *,
    checkpoint: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
    recorded_lineage: Mapping[str, Any] | None = None,
    approvals: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the default theme derives from the record, under the name ``report``.

    Parameters
    ----------
    record
        The evaluation record, parsed.
    shown
        The same record as templates read it (:func:`governance.reporting.render.charted`):
        the findings listed here are its findings, with their drawn ``charts``.
    checkpoint
        The audit checkpoint to show (the record holds none).
    attachments
        The files embedded in the PDF, listed with their digests on the signature page.
    recorded_lineage
        The upstream lineage the audit store recorded (``governance.reports.recorded_lineage``).
    approvals
        The evaluation's approvals and the roles missing
        (:func:`~governance.reporting.approvals_view.approvals_view`), if looked up.

    Returns
    -------
    dict
        ``severity_order``, ``by_severity``, ``blocking``, ``coverage``, ``lineage_svg``,
        ``checkpoint``, ``attachments``, ``sections`` (``(id, title)`` of the sections shown:
        empty ones are left out), ``grouped`` (findings with group tables), ``explain``
        (:func:`~governance.reporting.explain_view.explain_view`), ``lineage_checks``,
        ``documentation``, ``drift``, ``comparison`` (:mod:`governance.reporting.check_views`),
        ``baseline`` (the record's champion, or ``None``), ``undrawn``
        (findings of plugin check types: message only), ``explainability``, ``explainer``
        (always ``None``: kept for themes written when the record was to hold it), ``charts``
        (findings with charts), ``waivers``, ``skipped``, ``recorded`` (the store's lineage,
        with its ``svg``, or ``None``), ``approvals`` (or ``None``) and ``created`` (the
        record's finish time to the second).
    """
    findings: list[Mapping[str, Any]] = list(shown["findings"])
    paired = list(zip(record.findings, findings, strict=True))
    waivers = list(shown.get("waivers") or [])
    if not waivers:
        waivers = [
            {**(item.get("waiver") or {}), "rule_id": finding.rule_id, "status": "applied"}
            for finding, item in paired
            if finding.outcome == "waived"
        ]
    recorded = dict(recorded_lineage) if recorded_lineage else None
    if recorded and recorded.get("found") and recorded.get("nodes"):
        recorded["svg"] = graph_svg(
            list(recorded["nodes"]),
            list(recorded.get("edges") or []),
            label="Upstream lineage recorded in the audit store",
        )
    finished = record.finished_at
    created = finished.split(".")[0] + "Z" if "." in finished else finished
    explain = explain_view(findings)
    lineage_checks = lineage_view(findings)
    documentation = documentation_view(findings)
    drift = drift_view(findings)
    comparison = comparison_view(findings)
    grouped = [item for item in findings if (item.get("evidence") or {}).get("tables")]
    sections = [
        ("summary", "Executive summary"),
        ("model", "Model facts"),
        ("rules", "Rule by rule"),
        *([("fairness", "Fairness and groups")] if grouped else []),
        *([("explainability", "Explainability")] if explain else []),
        *([("comparison", "Challenger against champion")] if comparison else []),
        *([("drift", "Drift")] if drift else []),
        *([("documentation", "Documentation")] if documentation else []),
        ("lineage", "Lineage"),
        *(
            [("waivers", "Waivers and skipped rules")]
            if waivers or any(finding.outcome == "skipped" for finding in record.findings)
            else []
        ),
        ("coverage", "Regulatory coverage"),
        *([("approvals", "Approvals")] if approvals else []),
        ("evidence", "Evidence"),
        ("signature", "Signature"),
    ]
    intervals = record.intervals
    confidence = f"{intervals.confidence:.0%}" if intervals else "95%"
    return {
        "rate_intervals": f"{confidence} Wilson score intervals"
        if intervals
        else "95% bootstrap intervals",
        "bootstrap": f"{intervals.resamples:,} resamples, seed {intervals.seed}"
        if intervals
        else "resamples and seed as each rule's evidence states",
        "sections": sections,
        "grouped": grouped,
        "explain": explain,
        "lineage_checks": lineage_checks,
        "documentation": documentation,
        "drift": drift,
        "comparison": comparison,
        "baseline": record.baseline.model_dump(mode="json") if record.baseline else None,
        "undrawn": [item for item in findings if drawn_in(str(item.get("check") or "")) is None],
        "severity_order": SEVERITY_ORDER,
        "by_severity": outcome_by_severity(record.findings),
        "blocking": [item for finding, item in paired if finding.blocking],
        "coverage": coverage(record),
        "lineage_svg": lineage_svg(shown),
        "checkpoint": checkpoint,
        "attachments": [
            {"name": a.name, "description": a.description, "sha256": a.sha256, "size": len(a.data)}
            for a in attachments
        ],
        "explainability": [
            item for finding, item in paired if _check_domain(finding) == "explainability"
        ],
        "explainer": None,
        "charts": [item for item in findings if item.get("charts")],
        "waivers": waivers,
        "skipped": [item for finding, item in paired if finding.outcome == "skipped"],
        "recorded": recorded,
        "approvals": approvals,
        "created": created,
    }
