"""The nesting count that refuses a too-deep report before WeasyPrint parses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.reporting.html_depth import MAX_DEPTH, too_deep

GOLDEN = Path(__file__).parent / "golden" / "report.html"
DEEP = MAX_DEPTH + 1


def test_the_shipped_themes_report_is_far_below_the_limit() -> None:
    html = GOLDEN.read_text(encoding="utf-8")
    assert not too_deep(html)
    assert not too_deep(html, limit=30)


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * DEEP,
        "<div/>" * DEEP,  # the slash is ignored in HTML: each div stays open
        "<ul><li>" * (DEEP // 2 + 1),
        "<span>" * DEEP + "</p>" * DEEP,  # end tags of elements never opened close nothing
    ],
)
def test_elements_nested_past_the_limit_are_found(html: str) -> None:
    assert too_deep(html)


@pytest.mark.parametrize(
    "html",
    [
        "<ul>" + "<li>item" * 10_000 + "</ul>",  # each <li> closes the one before
        "<table>" + "<tr><td>a<td>b" * 10_000 + "</table>",
        "<dl>" + "<dt>term<dd>definition" * 10_000 + "</dl>",
        "<p>paragraph" * 10_000,
        "<svg>" + "<path d='M0 0'/>" * 10_000 + "</svg>",  # closed in SVG
        "<div>" * (MAX_DEPTH - 1) + "</div>" * (MAX_DEPTH - 1),
    ],
)
def test_long_flat_documents_are_not_mistaken_for_deep_ones(html: str) -> None:
    assert not too_deep(html)
