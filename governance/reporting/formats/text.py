"""``--format text``: a table of findings and a closing summary line, for people."""

from __future__ import annotations

from typing import Any

COLUMNS = ("RULE", "SEVERITY", "OUTCOME", "MEASURED", "THRESHOLD")


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


def summary_line(summary: dict[str, int]) -> str:
    """``N rules: N passed, N failed, N insufficient, N errors`` (+ skipped, waived if any)."""
    parts = [
        f"{summary['pass']} passed",
        f"{summary['fail']} failed",
        f"{summary['insufficient']} insufficient",
        f"{summary['error']} errors",
    ]
    parts += [f"{summary[key]} {key}" for key in ("skipped", "waived") if summary.get(key)]
    rules = summary["rules"]
    return f"{rules} rule{'s' if rules != 1 else ''}: " + ", ".join(parts)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def format_record(record: dict[str, Any]) -> str:
    """Findings table, the messages of findings that did not pass, and the verdict."""
    model = record["model"]
    policies = ", ".join(f"{p['name']} {p['version']}" for p in record["policies"])
    lines = [f"{model['name']} {model['version']}  (policies: {policies})", ""]
    rows = [COLUMNS] + [
        (
            finding["rule_id"],
            finding["severity"],
            finding["outcome"].upper() + (" *" if finding["blocking"] else ""),
            measured_text(finding["measured"]),
            threshold_text(finding["threshold"]),
        )
        for finding in record["findings"]
    ]
    lines += _table(rows)
    notes = [f for f in record["findings"] if f["outcome"] not in ("pass",)]
    if notes:
        lines.append("")
        lines += [f"{f['rule_id']}: {f['message']}" for f in notes]
    summary = record["summary"]
    lines += ["", summary_line(summary)]
    verdict = record["verdict"].upper()
    blocking = summary["blocking"]
    detail = (
        f"{blocking} blocking finding{'s' if blocking != 1 else ''} (* above)"
        if blocking
        else "no blocking findings"
    )
    lines.append(f"Verdict: {verdict}, {detail}; fail-on {record['fail_on']}")
    lines.append(f"Evaluation {record['evaluation_id']}")
    return "\n".join(lines) + "\n"
