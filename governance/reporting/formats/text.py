"""``--format text``: a table of findings, the notes that matter, and the verdict, for people.

Colour is optional decoration (only on a terminal, see ``output.use_color``): every outcome and
gate effect is also spelled out in words, so the output means the same without colour.
"""

from __future__ import annotations

from typing import Any

from governance.reporting.formats.findings import (
    Finding,
    Record,
    dry_run_note,
    gate_effect,
    is_warning,
    measured_text,
    note_text,
    subject_text,
    summary_line,
    threshold_text,
    verdict_detail,
    waiver_text,
)

COLUMNS = ("RULE", "SEVERITY", "OUTCOME", "MEASURED", "THRESHOLD")

# ANSI SGR codes: bold red, yellow, green, cyan, dim, bold.
RED, YELLOW, GREEN, CYAN, DIM, BOLD = "1;31", "33", "32", "36", "2", "1"


def paint(text: str, style: str | None, color: bool) -> str:
    """``text`` wrapped in the ANSI style when colour is on."""
    if not color or not style or not text:
        return text
    return f"\033[{style}m{text}\033[0m"


def _style(finding: Finding) -> str | None:
    if finding["blocking"]:
        return RED
    if is_warning(finding):
        return YELLOW
    return {"pass": GREEN, "waived": CYAN, "skipped": DIM}.get(finding["outcome"])


def outcome_text(finding: Finding) -> str:
    """``FAIL (blocks)``, ``INSUFFICIENT (warning)``, ``WAIVED``: the outcome and its effect."""
    effect = gate_effect(finding)
    outcome = finding["outcome"].upper()
    return outcome if effect == "-" else f"{outcome} ({effect})"


def _row(finding: Finding) -> tuple[str, ...]:
    return (
        finding["rule_id"],
        finding["severity"],
        outcome_text(finding),
        measured_text(finding["measured"]),
        threshold_text(finding["threshold"]),
    )


def _table(record: Record, color: bool) -> list[str]:
    rows = [COLUMNS] + [_row(finding) for finding in record["findings"]]
    styles: list[str | None] = [BOLD, *(_style(f) for f in record["findings"])]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = []
    for row, style in zip(rows, styles, strict=True):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        # the words carry the meaning, colour only repeats it
        cells[2] = paint(row[2], style, color) + " " * (widths[2] - len(row[2]))
        lines.append("  ".join(cells).rstrip())
    return lines


SECTIONS: tuple[tuple[str, str | None, Any], ...] = (
    ("Blocking (these fail the gate):", RED, lambda f: f["blocking"]),
    ("Warnings (failed, but do not block; --strict makes them block):", YELLOW, is_warning),
    ("Waived:", CYAN, lambda f: f["outcome"] == "waived"),
    ("Skipped:", DIM, lambda f: f["outcome"] == "skipped"),
)


def _notes(record: Record, color: bool) -> list[str]:
    lines: list[str] = []
    for heading, style, selects in SECTIONS:
        chosen = [f for f in record["findings"] if selects(f)]
        if chosen:
            lines += ["", paint(heading, style, color)]
            lines += [f"  {f['rule_id']}: {note_text(f)}" for f in chosen]
    return lines


def _waivers(record: Record, color: bool) -> list[str]:
    waivers = record.get("waivers") or []
    if not waivers:
        return []
    lines = ["", paint("Waivers:", BOLD, color)]
    for waiver in waivers:
        status = str(waiver.get("status", "-")).upper()
        style = {"APPLIED": CYAN, "EXPIRED": RED, "UNMATCHED": YELLOW}.get(status)
        reason = f" ({waiver['reason']})" if waiver.get("reason") else ""
        lines.append(
            f"  {paint(status, style, color)} {waiver.get('rule_id', '-')} "
            f"for {subject_text(waiver.get('subject'))}{reason}: {waiver_text(waiver)}"
        )
    return lines


def format_record(record: Record, *, color: bool = False) -> str:
    """Findings table, notes on every finding that did not simply pass, waivers, the verdict."""
    model = record["model"]
    policies = ", ".join(f"{p['name']} {p['version']}" for p in record["policies"])
    lines = [f"{model['name']} {model['version']}  (policies: {policies})", ""]
    lines += _table(record, color)
    lines += _notes(record, color)
    lines += _waivers(record, color)
    lines += ["", summary_line(record["summary"])]
    verdict = record["verdict"].upper()
    style = GREEN if record["verdict"] == "passed" else RED
    lines.append(f"Verdict: {paint(verdict, style, color)}, {verdict_detail(record)}")
    lines.append(f"Evaluation {record['evaluation_id']}{dry_run_note(record)}")
    return "\n".join(lines) + "\n"
