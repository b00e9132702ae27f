"""``--format markdown``: a pull-request comment that record text cannot break or inject into."""

from __future__ import annotations

import re
from typing import Any

import pytest

from governance.reporting.formats import format_record
from governance.reporting.formats.markdown import FINDINGS_HEADER, WAIVERS_HEADER, escape
from tests.reporting.formats.conftest import Golden

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def table_rows(text: str, header: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_golden(record: dict[str, Any], golden: Golden) -> None:
    golden("record.md", format_record(record, "markdown"))


def test_verdict_line_and_one_row_per_finding(record: dict[str, Any]) -> None:
    text = format_record(record, "markdown")
    assert text.splitlines()[0] == "### governance check: FAILED for synthetic 0.1.0"
    assert "**Verdict: FAILED**, 3 blocking findings, 2 warnings; fail-on high." in text
    rows = table_rows(text, "Outcome")
    assert len(rows) == len(record["findings"])
    assert rows[0].startswith("| FAIL | **blocks** | four-fifths-sex |")
    assert rows[1].startswith("| FAIL | warning | accuracy-floor |")


def test_waivers_table(record: dict[str, Any]) -> None:
    rows = table_rows(format_record(record, "markdown"), "Status")
    assert [row.split(" | ")[0] for row in rows] == ["| APPLIED", "| EXPIRED", "| UNMATCHED"]
    assert "RISK-1234" in rows[0]


HOSTILE = (
    "a | b `code` <img src=x onerror=alert(1)> [link](https://evil.example) "
    "**bold** @everyone\nsecond line &lt;"
)


def test_record_text_cannot_inject_markup(record: dict[str, Any]) -> None:
    for finding in record["findings"]:
        finding["title"] = HOSTILE
        finding["message"] = HOSTILE
    record["model"]["name"] = HOSTILE
    record["waivers"][0]["justification"] = HOSTILE
    text = format_record(record, "markdown")
    rows = table_rows(text, "Outcome")
    assert len(rows) == len(record["findings"])  # a newline did not end a row early
    for row in rows:  # a pipe did not add a cell
        assert len(UNESCAPED_PIPE.findall(row)) == len(FINDINGS_HEADER) + 1
    waiver_row = table_rows(text, "Status")[0]
    assert len(UNESCAPED_PIPE.findall(waiver_row)) == len(WAIVERS_HEADER) + 1
    assert "<" not in text
    assert "](" not in text.replace("\\](", "")
    assert "`" not in text.replace("\\`", "")
    assert "@everyone" not in text
    assert "&lt;" in text and "&amp;lt;" in text  # an entity in the text stays literal
    assert text.splitlines()[0].startswith("### governance check: FAILED for a \\| b \\`code\\`")


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("`x`", "\\`x\\`"),
        ("<b>", "&lt;b>"),
        ("[x](y)", "\\[x\\](y)"),
        ("a\nb", "a b"),
        ("mail me@example.org", "mail me@example.org"),
        ("@team", "@\u200bteam"),
        ("min_group_size", "min\\_group\\_size"),
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped
