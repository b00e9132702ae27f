"""docs/outputs.md shows the real output of the fixture record, as in the golden files.

An example is a fenced block after ``<!-- golden: NAME -->`` (the whole of golden/NAME) or
``<!-- golden: NAME lines 1-3,9 -->`` (those lines of it). It is compared with the format's
output of record.json, which the golden tests compare with golden/NAME; ``UPDATE_GOLDEN=1``
rewrites the examples with the golden files.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from governance.reporting.formats import format_record
from tests.conftest import REPO

OUTPUTS_DOC = REPO / "docs" / "outputs.md"
EXAMPLE = re.compile(
    r"(?P<marker><!-- golden: (?P<name>[\w.]+)(?: lines (?P<lines>[\d,-]+))? -->\n)"
    r"(?P<fence>```\w*\n)(?P<shown>.*?)```\n",
    re.S,
)
FORMAT = {"record.txt": "text", "record.github": "github", "record.md": "markdown"}


def _selected(text: str, lines: str | None) -> str:
    """The lines of ``text`` that ``lines`` names (``1-3,9``; all when None), as a block."""
    if lines is None:
        return text if text.endswith("\n") else text + "\n"
    all_lines = text.splitlines()
    picked: list[str] = []
    for part in lines.split(","):
        first, _, last = part.partition("-")
        picked.extend(all_lines[int(first) - 1 : int(last or first)])
    return "\n".join(picked) + "\n"


def _expected(match: re.Match[str], record: dict[str, Any]) -> str:
    return _selected(format_record(record, FORMAT[match["name"]]), match["lines"])


def _examples(text: str) -> list[re.Match[str]]:
    return list(EXAMPLE.finditer(text))


def test_outputs_doc_shows_text_github_and_markdown_output() -> None:
    names = [match["name"] for match in _examples(OUTPUTS_DOC.read_text(encoding="utf-8"))]
    assert names == ["record.txt", "record.github", "record.md"]


def test_outputs_doc_examples_are_the_golden_output(record: dict[str, Any]) -> None:
    text = OUTPUTS_DOC.read_text(encoding="utf-8")
    if os.environ.get("UPDATE_GOLDEN"):
        text = EXAMPLE.sub(
            lambda m: m["marker"] + m["fence"] + _expected(m, record) + "```\n",
            text,
        )
        OUTPUTS_DOC.write_text(text, encoding="utf-8")
    for match in _examples(text):
        assert match["shown"] == _expected(match, record), (
            f"docs/outputs.md: the example of {match['name']} is not the golden file: "
            "UPDATE_GOLDEN=1 pytest tests/reporting/formats rewrites it"
        )


@pytest.mark.parametrize(
    ("lines", "expected"),
    [(None, "a\nb\nc\n"), ("2", "b\n"), ("1,3", "a\nc\n"), ("1-2", "a\nb\n")],
)
def test_line_selection(lines: str | None, expected: str) -> None:
    assert _selected("a\nb\nc\n", lines) == expected


def test_a_stale_example_is_told_apart(record: dict[str, Any]) -> None:
    """The wording of an earlier version, in an example, is not today's output."""
    stale = "  four-fifths-sex: 0.8634 is below the minimum 0.9\n"
    (match,) = _examples(f"<!-- golden: record.txt lines 14 -->\n```\n{stale}```\n")
    assert match["shown"] == stale
    today = format_record(record, "text").splitlines()[13]
    assert today.startswith("  four-fifths-sex: ")
    assert _expected(match, record) == today + "\n" != stale
