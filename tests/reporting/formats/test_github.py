"""``--format github``: workflow-command annotations and the step summary."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from governance.reporting.formats import format_record, markdown
from governance.reporting.formats.github import (
    append_step_summary,
    command,
    escape_data,
    escape_property,
)
from governance.reporting.formats.output import OutputTarget, write_outputs
from tests.reporting.formats.conftest import Golden, findings_by_outcome

COMMAND = re.compile(r"^::(error|warning|notice)( [^:]*)?::(.*)$")


def annotations(record: dict[str, Any]) -> list[tuple[str, dict[str, str], str]]:
    """(level, properties, message) of every line, each line a well-formed command."""
    parsed = []
    for line in format_record(record, "github").splitlines():
        match = COMMAND.match(line)
        assert match, line
        props = dict(p.split("=", 1) for p in (match.group(2) or "").strip().split(",") if p)
        parsed.append((match.group(1), props, match.group(3)))
    return parsed


def test_golden(record: dict[str, Any], golden: Golden) -> None:
    golden("record.github", format_record(record, "github"))


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("100% sure", "100%25 sure", "100%25 sure"),
        ("a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"),
        ("rule: x, y", "rule: x, y", "rule%3A x%2C y"),
        ("%0A literal", "%250A literal", "%250A literal"),
    ],
)
def test_escaping_follows_the_runner(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_command_leaves_out_missing_properties() -> None:
    assert command("error", "m", file="p.yaml", line=None, col=3) == "::error file=p.yaml,col=3::m"
    assert command("notice", "m") == "::notice::m"


def test_levels_follow_the_gate(record: dict[str, Any]) -> None:
    levels = {
        props.get("title", "").split("%3A")[0]: level for level, props, _ in annotations(record)
    }
    assert levels == {
        "four-fifths-sex": "error",
        "equalized-odds-sex": "error",
        "recall-by-group": "error",
        "accuracy-floor": "warning",
        "intersectional-groups": "warning",
        "parity-difference-group": "notice",
        "minimal-risk-only": "notice",
        "governance": "warning",  # the unmatched waiver
        "governance check FAILED": "error",
    }


def test_annotations_point_at_the_rule(record: dict[str, Any]) -> None:
    _, props, message = annotations(record)[0]
    assert props["file"] == "policies/lending-fairness.yaml"
    assert (props["line"], props["col"]) == ("7", "5")
    assert props["title"].startswith("four-fifths-sex%3A Selection rate ratio | sex")
    assert "%2C see" in props["title"]  # a comma in a property would end it
    expected = findings_by_outcome(record)["blocking_fail"]["message"].replace("%", "%25")
    assert message.startswith(f"synthetic 0.1.0: {expected}%0AFAIL, severity high, blocks the gate")
    assert "100%25 of reviews" in message


def test_waived_annotation_names_the_waiver(record: dict[str, Any]) -> None:
    notice = next(a for a in annotations(record) if "parity-difference-group" in a[1]["title"])
    assert "RISK-1234" in notice[2] and "Group c is a pilot region" in notice[2]


def test_a_passing_record_has_only_the_verdict(record: dict[str, Any]) -> None:
    record["findings"] = [f for f in record["findings"] if f["outcome"] == "pass"]
    record["waivers"] = []
    record["verdict"] = "passed"
    record["summary"]["blocking"] = 0
    assert [a[0] for a in annotations(record)] == ["notice"]


def test_step_summary_is_appended_never_truncated(record: dict[str, Any], tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("## Earlier step\n", encoding="utf-8")
    append_step_summary(record, summary)
    append_step_summary(record, summary)
    text = summary.read_text(encoding="utf-8")
    expected = markdown.format_record(record)
    assert text == "## Earlier step\n\n" + expected + "\n" + expected


def test_write_outputs_appends_the_summary_only_for_github(
    record: dict[str, Any], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    environ = {"GITHUB_STEP_SUMMARY": str(summary)}
    printed: list[str] = []
    write_outputs(record, [OutputTarget("text")], stdout=printed.append, environ=environ)
    assert not summary.exists()
    write_outputs(record, [OutputTarget("github")], stdout=printed.append, environ=environ)
    assert summary.read_text(encoding="utf-8") == markdown.format_record(record)
    assert printed[-1] == format_record(record, "github")
    write_outputs(record, [OutputTarget("github")], stdout=printed.append, environ={})
    assert summary.read_text(encoding="utf-8") == markdown.format_record(record)


def test_an_unwritable_step_summary_is_a_warning_not_a_lost_verdict(
    record: dict[str, Any], tmp_path: Path
) -> None:
    environ = {"GITHUB_STEP_SUMMARY": str(tmp_path / "missing-folder" / "summary.md")}
    printed: list[str] = []
    warnings: list[str] = []
    targets = [OutputTarget("github")]
    write_outputs(record, targets, stdout=printed.append, environ=environ, warn=warnings.append)
    assert printed == [format_record(record, "github")]
    assert warnings[0].startswith("Warning: ") and "GITHUB_STEP_SUMMARY" in warnings[0]
