"""What the report shows, derived from an evaluation record: counts, coverage, lineage, charts.

Templates get these ready-made (as ``report``), so a custom theme does not have to recompute
them in Jinja2. Everything here tolerates fields the record may lack (older records, fields
still being added: waivers, explainability, intervals).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from governance.policy.controls import framework_of
from governance.reporting.filters import OUTCOME_ORDER
from governance.reporting.lineage_svg import graph_svg, lineage_svg

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
DOCUMENT_CHECK_DOMAINS = ("documentation",)
"""Check domains whose evidence is a document (a model card field), not a measurement."""
UNMAPPED = "Not mapped to a control"


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


def _check_domain(finding: Mapping[str, Any]) -> str:
    return str(finding.get("check") or "").partition(".")[0]


def outcome_by_severity(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows ``{"severity", "counts": {outcome: n}, "total"}`` for the severities present."""
    seen = [str(f.get("severity")) for f in findings]
    severities = [s for s in SEVERITY_ORDER if s in seen]
    severities += sorted({s for s in seen if s not in SEVERITY_ORDER})
    rows = []
    for severity in severities:
        counts = {outcome: 0 for outcome in OUTCOME_ORDER}
        for finding in findings:
            if str(finding.get("severity")) == severity:
                outcome = str(finding.get("outcome"))
                counts[outcome] = counts.get(outcome, 0) + 1
        rows.append({"severity": severity, "counts": counts, "total": sum(counts.values())})
    return rows


def _control_status(outcomes: Sequence[str]) -> str:
    if any(outcome in ("fail", "error", "insufficient") for outcome in outcomes):
        return "not met"
    if outcomes and all(outcome == "skipped" for outcome in outcomes):
        return "not assessed"
    if any(outcome == "waived" for outcome in outcomes):
        return "met with waiver"
    return "met"


def coverage(record: Mapping[str, Any]) -> list[dict[str, Any]]:
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
    findings = record.get("findings") or []
    for policy in record.get("policies") or []:
        name = policy.get("name")
        controls: dict[str, dict[str, Any]] = {}
        for finding in findings:
            if finding.get("policy") != name:
                continue
            for control in finding.get("controls") or [UNMAPPED]:
                entry = controls.setdefault(
                    str(control), {"rules": [], "outcomes": [], "domains": set()}
                )
                entry["rules"].append(finding.get("rule_id"))
                entry["outcomes"].append(str(finding.get("outcome")))
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
                "version": policy.get("version"),
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


def explainability_findings(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Findings of ``explainability.*`` checks, in record order."""
    return [f for f in record.get("findings") or [] if _check_domain(f) == "explainability"]


def build_view(
    record: Mapping[str, Any],
    *,
    checkpoint: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
    recorded_lineage: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the default theme derives from the record, under the name ``report``.

    Parameters
    ----------
    record
        The evaluation record.
    checkpoint
        The audit checkpoint to show; the record's own ``checkpoint`` when omitted.
    attachments
        The files embedded in the PDF, listed with their digests on the signature page.
    recorded_lineage
        The upstream lineage the audit store recorded (``governance.reports.recorded_lineage``).

    Returns
    -------
    dict
        ``severity_order``, ``by_severity``, ``blocking``, ``coverage``, ``lineage_svg``,
        ``checkpoint``, ``attachments``, ``explainability``, ``charts`` (findings with charts),
        ``waivers``, ``skipped``, ``recorded`` (the store's lineage, with its ``svg``, or
        ``None``) and ``created`` (the record's finish time to the second).
    """
    findings = record.get("findings") or []
    waivers = list(record.get("waivers") or [])
    if not waivers:
        waivers = [
            {**(f.get("waiver") or {}), "rule_id": f.get("rule_id"), "status": "applied"}
            for f in findings
            if f.get("outcome") == "waived"
        ]
    recorded = dict(recorded_lineage) if recorded_lineage else None
    if recorded and recorded.get("found") and recorded.get("nodes"):
        recorded["svg"] = graph_svg(
            list(recorded["nodes"]),
            list(recorded.get("edges") or []),
            label="Upstream lineage recorded in the audit store",
        )
    finished = str(record.get("finished_at") or "")
    created = finished.split(".")[0] + "Z" if "." in finished else finished
    return {
        "severity_order": SEVERITY_ORDER,
        "by_severity": outcome_by_severity(findings),
        "blocking": [f for f in findings if f.get("blocking")],
        "coverage": coverage(record),
        "lineage_svg": lineage_svg(record),
        "checkpoint": checkpoint if checkpoint is not None else record.get("checkpoint"),
        "attachments": [
            {"name": a.name, "description": a.description, "sha256": a.sha256, "size": len(a.data)}
            for a in attachments
        ],
        "explainability": explainability_findings(record),
        "explainer": record.get("explainability"),
        "charts": [f for f in findings if f.get("charts")],
        "waivers": waivers,
        "skipped": [f for f in findings if f.get("outcome") == "skipped"],
        "recorded": recorded,
        "created": created,
    }
