"""What every output format says the same way: values, thresholds, gate effects, waivers.

The formats read the evaluation record (docs/evaluation-record.md) only. Fields that older
records lack (``location``, ``waiver``, ``skip_reason``, top-level ``waivers``) are optional here.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]
Finding = dict[str, Any]

DRY_RUN_NOTE = "dry run: not recorded"
"""What every format says of a dry run's record (``"dry_run": true``): it is in no store."""
FAILING = ("fail", "error", "insufficient")
"""Outcomes that block the gate on a gating severity (the gate fails closed)."""


def dry_run_note(record: Record) -> str:
    """`` (dry run: not recorded)`` for a dry run's record, else an empty string."""
    return f" ({DRY_RUN_NOTE})" if record.get("dry_run") else ""


def measured_text(value: float | None) -> str:
    """A measured value to 4 significant digits, or a dash."""
    return "-" if value is None else f"{value:.4g}"


def threshold_text(threshold: dict[str, float | None] | None) -> str:
    """``>= 0.8``, ``<= 0.1``, ``[0.8, 1.25]`` or a dash."""
    if not threshold:
        return "-"
    low, high = threshold.get("min"), threshold.get("max")
    if low is not None and high is not None:
        return f"[{low:g}, {high:g}]"
    if low is not None:
        return f">= {low:g}"
    return f"<= {high:g}" if high is not None else "-"


def is_warning(finding: Finding) -> bool:
    """A failing finding that does not block (severity below ``fail_on``, no ``--strict``)."""
    return finding["outcome"] in FAILING and not finding["blocking"]


def gate_effect(finding: Finding) -> str:
    """``blocks``, ``warning`` or ``-``: what the finding does to the gate."""
    if finding["blocking"]:
        return "blocks"
    return "warning" if is_warning(finding) else "-"


def plural(count: int, word: str) -> str:
    """``1 rule``, ``2 rules``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(summary: dict[str, int]) -> str:
    """``N rules: N passed, N failed, N insufficient, N errors`` (+ skipped, waived if any)."""
    parts = [
        f"{summary['pass']} passed",
        f"{summary['fail']} failed",
        f"{summary['insufficient']} insufficient",
        f"{summary['error']} errors",
    ]
    parts += [f"{summary[key]} {key}" for key in ("skipped", "waived") if summary.get(key)]
    return f"{plural(summary['rules'], 'rule')}: " + ", ".join(parts)


def warning_count(record: Record) -> int:
    """How many findings failed without blocking."""
    return sum(is_warning(finding) for finding in record["findings"])


def verdict_detail(record: Record) -> str:
    """``2 blocking findings, 1 warning; fail-on high``."""
    blocking = record["summary"]["blocking"]
    parts = [plural(blocking, "blocking finding") if blocking else "no blocking findings"]
    warnings = warning_count(record)
    if warnings:
        parts.append(plural(warnings, "warning"))
    text = ", ".join(parts)
    fail_on = record.get("fail_on")
    return f"{text}; fail-on {fail_on}" if fail_on else text


def subject_text(subject: Any) -> str:
    """A waiver's subject (``adult-income 1.0.0``), whether written as a mapping or a string."""
    if isinstance(subject, dict):
        model = subject.get("model") or subject.get("name")
        version = subject.get("version")
        return " ".join(str(part) for part in (model, version) if part) or "-"
    return "-" if subject in (None, "") else str(subject)


def waiver_text(waiver: dict[str, Any]) -> str:
    """``justification (approved by X, ticket T, expires D)``: one line for any output."""
    details = [
        f"{label} {waiver[key]}"
        for key, label in (("approved_by", "approved by"), ("ticket", "ticket"))
        if waiver.get(key)
    ]
    if waiver.get("expires"):
        details.append(f"expires {waiver['expires']}")
    justification = str(waiver.get("justification") or "no justification")
    return f"{justification} ({', '.join(details)})" if details else justification


def note_text(finding: Finding) -> str:
    """The finding's message, with its waiver's justification or its skip reason."""
    message = str(finding.get("message") or "")
    waiver = finding.get("waiver")
    if waiver:
        justification = waiver.get("justification")
        if justification and str(justification) not in message:
            return f"{message}; justification: {justification}" if message else str(justification)
        return message or waiver_text(waiver)
    reason = finding.get("skip_reason")
    if finding["outcome"] == "skipped" and reason and str(reason) not in message:
        return f"{message}; {reason}" if message else str(reason)
    return message


def location_of(finding: Finding, record: Record) -> tuple[str | None, int | None, int | None]:
    """Path, line and column of the finding's rule; the policy's path when the record is older."""
    location = finding.get("location") or {}
    path = location.get("path")
    if path is None:
        path = next(
            (p.get("path") for p in record.get("policies", []) if p["name"] == finding["policy"]),
            None,
        )
    return path, location.get("line"), location.get("column")
