"""What the monitoring report shows of a period, derived from the stored window records.

:func:`monitoring_view` reads the baseline (the gate evaluation the windows continue) and the
windows' evaluation records (each with its ``monitoring`` part) and returns plain data for
``monitoring.html.j2``: the period's verdict, one trend per rule (its chart drawn here, at render
time), the windows table, the latest window's drift per group, the incidents and the evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from governance.policy.model import Severity

INCIDENT_SEVERITY = Severity.parse("high")
"""A window that failed a rule of this severity or above is an incident (Art. 73)."""
NO_ALARM = "no alarm"
ALARMS = "alarms raised"


def _rule(finding: Mapping[str, Any]) -> str:
    return f"{finding.get('policy')}/{finding.get('rule_id')}"


def _interval(evidence: Mapping[str, Any]) -> list[float] | None:
    pair = evidence.get("interval")
    if (
        isinstance(pair, list | tuple)
        and len(pair) == 2
        and all(isinstance(x, int | float) for x in pair)
    ):
        return [float(pair[0]), float(pair[1])]
    return None


def _severe(finding: Mapping[str, Any]) -> bool:
    try:
        return Severity.parse(str(finding.get("severity"))) >= INCIDENT_SEVERITY
    except KeyError:
        return False


def _groups(finding: Mapping[str, Any]) -> str:
    """The groups a finding names: the most shifted or worst group of its evidence."""
    evidence = finding.get("evidence") or {}
    worst = evidence.get("worst")
    if isinstance(worst, Mapping) and worst.get("group") not in (None, "overall"):
        by = ", ".join(worst.get("sensitive_features") or [])
        where = f" in {worst.get('feature')}" if worst.get("feature") else ""
        return f"{worst['group']}" + (f" (by {by})" if by else "") + where
    groups = evidence.get("groups")
    if isinstance(groups, Mapping) and groups:
        return ", ".join(str(name) for name in groups)
    return "all rows"


def _drift(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each drift finding's features of one window: all rows, and the most shifted group."""
    rows = []
    for finding in record.get("findings") or []:
        if not str(finding.get("check", "")).startswith("drift."):
            continue
        evidence = finding.get("evidence") or {}
        for feature in evidence.get("features") or []:
            cells = [c for c in feature.get("cells") or [] if isinstance(c, Mapping)]
            overall = next((c for c in cells if c.get("group") == "overall"), None)
            groups = [
                c for c in cells if c.get("group") != "overall" and c.get("value") is not None
            ]
            worst = max(groups, key=lambda c: float(c["value"]), default=None)
            rows.append(
                {
                    "rule": _rule(finding),
                    "statistic": evidence.get("statistic"),
                    "feature": feature.get("feature"),
                    "overall": overall.get("value") if overall else None,
                    "overall_rows": overall.get("n_current") if overall else None,
                    "group": worst.get("group") if worst else None,
                    "by": ", ".join(worst.get("sensitive_features") or []) if worst else "",
                    "group_value": worst.get("value") if worst else None,
                    "group_rows": worst.get("n_current") if worst else None,
                    "threshold": finding.get("threshold"),
                }
            )
    return rows


def latest_windows(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One record per window (start, end), the latest recorded, in time order."""
    chosen: dict[tuple[str, str], Mapping[str, Any]] = {}
    for record in records:
        part = record["monitoring"]
        bounds = (str(part["window_start"]), str(part["window_end"]))
        known = chosen.get(bounds)
        if known is None or str(record.get("finished_at")) >= str(known.get("finished_at")):
            chosen[bounds] = record
    return [dict(chosen[bounds]) for bounds in sorted(chosen)]


def monitoring_view(
    baseline: Mapping[str, Any],
    windows: Sequence[Mapping[str, Any]],
    *,
    since: str | None,
    until: str | None,
    baseline_digest: str,
    draw: bool = True,
) -> dict[str, Any]:
    """The monitoring report's view of a period.

    Parameters
    ----------
    baseline
        The gate evaluation the windows continue.
    windows
        The windows' records in time order (:func:`latest_windows`), at least one.
    since, until
        The period asked for (ISO 8601), or ``None`` for open ends.
    baseline_digest
        ``sha256:`` of the baseline record's canonical JSON.
    draw
        Draw the trend charts (SVG); ``False`` leaves ``svg`` empty.

    Returns
    -------
    dict
        ``period``, ``verdict``, ``failing``, ``rules`` (trend per rule), ``windows``,
        ``drift``, ``drift_window``, ``incidents`` and ``evidence``.
    """
    from governance.reporting.charts.trend import trend_chart

    first, last = windows[0]["monitoring"], windows[-1]["monitoring"]
    rules: dict[str, dict[str, Any]] = {}
    table = []
    incidents = []
    for record in windows:
        part = record["monitoring"]
        outcomes = {}
        for finding in record.get("findings") or []:
            name = _rule(finding)
            outcomes[name] = finding.get("outcome")
            trend = rules.setdefault(
                name,
                {
                    "rule": name,
                    "title": finding.get("title"),
                    "severity": finding.get("severity"),
                    "threshold": finding.get("threshold"),
                    "points": [],
                },
            )
            measured = finding.get("measured")
            trend["points"].append(
                {
                    "label": str(part["window_start"])[:10],
                    "outcome": finding.get("outcome"),
                    "measured": measured if isinstance(measured, int | float) else None,
                    "interval": _interval(finding.get("evidence") or {}),
                }
            )
            if finding.get("outcome") == "fail" and _severe(finding):
                incidents.append(_incident(baseline, record, finding))
        table.append(
            {
                "start": part["window_start"],
                "end": part["window_end"],
                "rows": part.get("rows"),
                "rows_with_outcome": part.get("rows_with_outcome"),
                "verdict": record.get("verdict"),
                "evaluation_id": record.get("evaluation_id"),
                "supersedes": part.get("supersedes"),
                "outcomes": outcomes,
            }
        )
    for trend in rules.values():
        trend["failing"] = sum(1 for p in trend["points"] if p["outcome"] == "fail")
        trend["svg"] = trend_chart(trend["points"], trend["threshold"]) if draw else ""
    failing = sum(1 for row in table if row["verdict"] != "passed")
    return {
        "period": {
            "since": since,
            "until": until,
            "first": first["window_start"],
            "last": last["window_end"],
            "width": first.get("window"),
            "label_delay": first.get("label_delay"),
        },
        "verdict": ALARMS if incidents or failing else NO_ALARM,
        "failing": failing,
        "rules": list(rules.values()),
        "windows": table,
        "drift": _drift(windows[-1]),
        "drift_window": {"start": last["window_start"], "end": last["window_end"]},
        "incidents": incidents,
        "evidence": {
            "baseline": baseline.get("evaluation_id"),
            "baseline_digest": baseline_digest,
            "logs": sorted({str(r["monitoring"].get("log")) for r in windows}),
            "windows": [
                {"start": row["start"], "end": row["end"], "evaluation_id": row["evaluation_id"]}
                for row in table
            ],
        },
    }


def _incident(
    baseline: Mapping[str, Any], record: Mapping[str, Any], finding: Mapping[str, Any]
) -> dict[str, Any]:
    """What a serious-incident notice (EU AI Act Art. 73) needs of a failing window."""
    part = record["monitoring"]
    model = record.get("model") or {}
    tool = record.get("tool") or {}
    return {
        "rule": _rule(finding),
        "title": finding.get("title"),
        "severity": finding.get("severity"),
        "window_start": part["window_start"],
        "window_end": part["window_end"],
        "measured": finding.get("measured"),
        "threshold": finding.get("threshold"),
        "message": finding.get("message"),
        "detected": record.get("finished_at"),
        "model": f"{model.get('name')} {model.get('version')}",
        "risk_tier": model.get("risk_tier"),
        "groups": _groups(finding),
        "rows": part.get("rows"),
        "evaluation_id": record.get("evaluation_id"),
        "baseline": baseline.get("evaluation_id"),
        "baseline_verdict": baseline.get("verdict"),
        "tool": f"{tool.get('name')} {tool.get('version')}",
        "remediation": finding.get("remediation"),
        "controls": list(finding.get("controls") or []),
    }
