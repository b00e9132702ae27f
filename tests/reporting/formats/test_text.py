"""``--format text``: the table, notes per kind of finding, waivers, colour only as decoration."""

from __future__ import annotations

import re
from typing import Any

from governance.reporting.formats import format_record
from governance.reporting.formats.text import format_record as text_record
from tests.reporting.formats.conftest import Golden, findings_by_outcome

ANSI = re.compile(r"\033\[[0-9;]*m")


def section(text: str, heading: str) -> list[str]:
    """The indented lines under a heading."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        body.append(line.strip())
    return body


def test_golden(record: dict[str, Any], golden: Golden) -> None:
    golden("record.txt", format_record(record, "text"))
    golden("record.color.txt", format_record(record, "text", color=True))


def test_without_colour_there_are_no_escape_codes(record: dict[str, Any]) -> None:
    assert "\033" not in format_record(record, "text")


def test_colour_never_carries_meaning_alone(record: dict[str, Any]) -> None:
    coloured = format_record(record, "text", color=True)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == format_record(record, "text")


def test_outcome_column_says_what_blocks_and_what_is_a_warning(record: dict[str, Any]) -> None:
    rows = {line.split()[0]: line for line in format_record(record, "text").splitlines()[3:11]}
    assert "FAIL (blocks)" in rows["four-fifths-sex"]
    assert "FAIL (warning)" in rows["accuracy-floor"]
    assert "INSUFFICIENT (warning)" in rows["intersectional-groups"]
    assert "ERROR (blocks)" in rows["recall-by-group"]
    assert "WAIVED" in rows["parity-difference-group"]
    assert "SKIPPED" in rows["minimal-risk-only"]
    assert rows["balanced-accuracy"].split()[2] == "PASS"


def test_waived_and_skipped_findings_show_their_waiver_and_reason(record: dict[str, Any]) -> None:
    text = format_record(record, "text")
    waived = section(text, "Waived:")
    assert len(waived) == 1 and waived[0].startswith("parity-difference-group:")
    assert "RISK-1234" in waived[0] and "Group c is a pilot region" in waived[0]
    assert section(text, "Skipped:") == [
        'minimal-risk-only: skipped: when is false: model.risk_tier == "minimal"'
    ]
    warnings = section(text, "Warnings")
    assert [line.split(":")[0] for line in warnings] == ["accuracy-floor", "intersectional-groups"]
    blocking = section(text, "Blocking")
    assert [line.split(":")[0] for line in blocking] == [
        "four-fifths-sex",
        "equalized-odds-sex",
        "recall-by-group",
    ]
    assert "waiver expired on 2020-01-31" in blocking[1]


def test_every_waiver_is_listed_with_its_status(record: dict[str, Any]) -> None:
    waivers = section(format_record(record, "text"), "Waivers:")
    assert [line.split()[:2] for line in waivers] == [
        ["APPLIED", "parity-difference-group"],
        ["EXPIRED", "equalized-odds-sex"],
        ["UNMATCHED", "balanced-accuracy"],
    ]
    assert "nothing to waive" in waivers[2]


def test_verdict_counts_blocking_findings_and_warnings(record: dict[str, Any]) -> None:
    lines = format_record(record, "text").splitlines()
    assert lines[-2] == "Verdict: FAILED, 3 blocking findings, 2 warnings; fail-on high"
    assert lines[-3] == (
        "8 rules: 1 passed, 3 failed, 1 insufficient, 1 errors, 1 skipped, 1 waived"
    )


def test_a_record_without_waivers_or_locations_still_renders(record: dict[str, Any]) -> None:
    """Records stored before waivers and locations existed are re-rendered from the store."""
    waived = findings_by_outcome(record)["waived"]["message"]
    del record["waivers"]
    for finding in record["findings"]:
        for key in ("waiver", "skip_reason", "location", "assert", "when", "override"):
            finding.pop(key, None)
    text = text_record(record)
    assert "Waivers:" not in text
    assert f"  parity-difference-group: {waived}\n" in text
