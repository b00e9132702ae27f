"""``--format markdown``: a summary ready to post as a pull-request comment (GitHub, GitLab).

A verdict line, a table of findings, the waivers. Text from the record (model, rule, message,
waiver fields) is escaped so it cannot inject HTML, links, emphasis, code or table cells, and
cannot @-mention anyone; the output contains no links.
"""

from __future__ import annotations

import re

from governance.reporting.formats.findings import (
    Finding,
    Record,
    dry_run_note,
    gate_effect,
    measured_text,
    note_text,
    subject_text,
    summary_line,
    threshold_text,
    verdict_detail,
    waiver_text,
)

FINDINGS_HEADER = ("Outcome", "Gate", "Rule", "Severity", "Measured", "Threshold", "Details")
WAIVERS_HEADER = (
    "Status",
    "Rule",
    "Subject",
    "Justification",
    "Approved by",
    "Ticket",
    "Expires",
    "Why this status",
)

_HTML = str.maketrans({"&": "&amp;", "<": "&lt;"})
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")
_MENTION = re.compile(r"(?<!\w)@")
_NEWLINES = re.compile(r"[\r\n]+")


def escape(text: object) -> str:
    """Text that renders literally in a Markdown table cell (GitHub Flavored Markdown)."""
    value = _NEWLINES.sub(" ", str(text)).translate(_HTML)
    value = _MARKDOWN.sub(r"\\\1", value)
    return _MENTION.sub("@\u200b", value)


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    return [_row(header), _row(tuple("---" for _ in header)), *(_row(row) for row in rows)]


def _gate(finding: Finding) -> str:
    effect = gate_effect(finding)
    return {"blocks": "**blocks**", "-": ""}.get(effect, effect)


def _finding_row(finding: Finding) -> tuple[str, ...]:
    return (
        finding["outcome"].upper(),
        _gate(finding),
        escape(finding["rule_id"]),
        escape(finding["severity"]),
        escape(measured_text(finding["measured"])),
        escape(threshold_text(finding["threshold"])),
        escape(f"{finding['title']}: {note_text(finding)}"),
    )


def _waiver_rows(record: Record) -> list[tuple[str, ...]]:
    return [
        (
            escape(str(waiver.get("status", "-")).upper()),
            escape(waiver.get("rule_id", "-")),
            escape(subject_text(waiver.get("subject"))),
            escape(waiver.get("justification") or "-"),
            escape(waiver.get("approved_by") or "-"),
            escape(waiver.get("ticket") or "-"),
            escape(waiver.get("expires") or "-"),
            escape(waiver.get("reason") or "-"),
        )
        for waiver in record.get("waivers") or []
    ]


def format_record(record: Record) -> str:
    """The Markdown summary, one trailing newline."""
    model = record["model"]
    verdict = record["verdict"].upper()
    policies = ", ".join(
        f"{escape(p['name'])} {escape(p['version'])} ({escape(p['digest'][:19])}…)"
        for p in record["policies"]
    )
    lines = [
        f"### governance check: {verdict} for {escape(model['name'])} {escape(model['version'])}"
        + dry_run_note(record),
        "",
        f"**Verdict: {verdict}**, {escape(verdict_detail(record))}.",
        "",
        f"{escape(summary_line(record['summary']))}. Policies: {policies}.",
        "",
    ]
    lines += _table(FINDINGS_HEADER, [_finding_row(f) for f in record["findings"]])
    waived = [f for f in record["findings"] if f.get("waiver")]
    waivers = _waiver_rows(record)
    if waivers:
        lines += ["", "#### Waivers", "", *_table(WAIVERS_HEADER, waivers)]
    elif waived:  # an older record: no top-level list, only the waivers on findings
        lines += ["", "#### Waivers", ""]
        lines += [f"- {escape(f['rule_id'])}: {escape(waiver_text(f['waiver']))}" for f in waived]
    lines += ["", f"Evaluation {escape(record['evaluation_id'])}"]
    return "\n".join(lines) + "\n"
