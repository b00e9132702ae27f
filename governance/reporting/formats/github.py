"""``--format github``: GitHub Actions workflow commands, one annotation per finding that matters.

- a blocking finding is an ``::error``, a failing finding that does not block a ``::warning``,
  a waived or skipped finding a ``::notice`` (with the waiver or the reason); passing findings
  make no annotation
- each annotation points at the rule in its policy file (``file``, ``line``, ``col``)
- a last annotation gives the verdict; a waiver that matched nothing is a ``::warning``

Values are escaped as the runner expects: ``%``, CR and LF in messages, and also ``:`` and
``,`` in properties. With ``$GITHUB_STEP_SUMMARY`` set, :func:`append_step_summary` appends
the Markdown summary to that file (``governance check`` does this for ``--format github``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from governance.reporting.formats import markdown
from governance.reporting.formats.findings import (
    DRY_RUN_NOTE,
    Finding,
    Record,
    is_warning,
    location_of,
    note_text,
    subject_text,
    verdict_detail,
    waiver_text,
)

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def escape_data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property's value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """``::name key=value,...::message``, escaped, properties without a value left out."""
    given = [f"{key}={escape_property(str(v))}" for key, v in properties.items() if v is not None]
    head = f"::{name} {','.join(given)}" if given else f"::{name}"
    return f"{head}::{escape_data(message)}"


def level(finding: Finding) -> str | None:
    """``error``, ``warning``, ``notice``, or None for a finding that needs no annotation."""
    if finding["blocking"]:
        return "error"
    if is_warning(finding):
        return "warning"
    return "notice" if finding["outcome"] in ("waived", "skipped") else None


def _annotation(finding: Finding, record: Record) -> str | None:
    name = level(finding)
    if name is None:
        return None
    path, line, column = location_of(finding, record)
    model = record["model"]
    effect = {"error": "blocks the gate", "warning": "warning, does not block"}.get(name)
    lines = [
        f"{model['name']} {model['version']}: {note_text(finding)}",
        f"{finding['outcome'].upper()}, severity {finding['severity']}"
        + (f", {effect}" if effect else ""),
    ]
    if name != "notice" and finding.get("remediation"):
        lines.append(f"Remediation: {finding['remediation']}")
    return command(
        name,
        "\n".join(lines),
        file=path,
        line=line,
        col=column,
        title=f"{finding['rule_id']}: {finding['title']}",
    )


def format_record(record: Record) -> str:
    """The workflow commands, one per line."""
    lines = [
        annotation
        for finding in record["findings"]
        if (annotation := _annotation(finding, record)) is not None
    ]
    for waiver in record.get("waivers") or []:
        if waiver.get("status") == "unmatched":
            lines.append(
                command(
                    "warning",
                    f"waiver for rule {waiver.get('rule_id')} and "
                    f"{subject_text(waiver.get('subject'))} waives nothing"
                    f"{': ' + str(waiver['reason']) if waiver.get('reason') else ''}. "
                    f"{waiver_text(waiver)}",
                    title="governance: unmatched waiver",
                )
            )
    model = record["model"]
    verdict = record["verdict"].upper()
    lines.append(
        command(
            "error" if record["verdict"] == "failed" else "notice",
            f"{model['name']} {model['version']}: {verdict}, {verdict_detail(record)}",
            title=f"governance check {verdict}",
        )
    )
    if record.get("dry_run"):
        lines.append(command("notice", f"{DRY_RUN_NOTE} in the audit store", title="dry run"))
    return "\n".join(lines) + "\n"


def step_summary_path(environ: Mapping[str, str]) -> Path | None:
    """The file named by ``$GITHUB_STEP_SUMMARY``, if set."""
    value = environ.get(STEP_SUMMARY_ENV)
    return Path(value) if value else None


def append_step_summary(record: Record, path: Path) -> None:
    """Append the Markdown summary to ``path`` (never truncating what is there)."""
    text = markdown.format_record(record)
    with path.open("a", encoding="utf-8") as handle:
        if handle.tell() > 0:
            text = "\n" + text
        handle.write(text)
