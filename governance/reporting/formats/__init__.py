"""Output formats of ``governance check``: one module per format, registered here explicitly.

Every format renders the evaluation record (docs/evaluation-record.md) to text; the same record
always gives the same bytes. ``text`` alone may be coloured (see ``output.use_color``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from governance.reporting.formats import github, json_format, junit, markdown, sarif, text
from governance.reporting.formats.findings import Record


@dataclass(frozen=True)
class OutputFormat:
    """A format: how to render a record, and what it is for."""

    name: str
    render: Callable[[Record], str]
    help: str
    render_color: Callable[[Record], str] | None = None


def _text_color(record: Record) -> str:
    return text.format_record(record, color=True)


FORMATTERS: dict[str, OutputFormat] = {
    fmt.name: fmt
    for fmt in (
        OutputFormat("text", text.format_record, "a table for people", _text_color),
        OutputFormat("json", json_format.format_record, "the evaluation record"),
        OutputFormat("sarif", sarif.format_record, "SARIF 2.1.0 (GitHub code scanning)"),
        OutputFormat("junit", junit.format_record, "JUnit XML (GitLab, Jenkins test reports)"),
        OutputFormat("github", github.format_record, "GitHub Actions annotations"),
        OutputFormat("markdown", markdown.format_record, "a pull-request comment"),
    )
}
FORMAT_NAMES = tuple(FORMATTERS)


def format_record(record: Record, fmt: str, *, color: bool = False) -> str:
    """Render an evaluation record in ``fmt`` (a key of FORMATTERS), coloured if asked and able."""
    output_format = FORMATTERS[fmt]
    if color and output_format.render_color is not None:
        return output_format.render_color(record)
    return output_format.render(record)
