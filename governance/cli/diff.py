"""``governance diff``: two recorded evaluations compared rule by rule."""

from __future__ import annotations

from pathlib import Path

import click

from governance.cli.options import config_option, resolve_store_url, store_option


@click.command()
@click.argument("evaluation_a")
@click.argument("evaluation_b")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@store_option
@config_option
def diff(
    evaluation_a: str,
    evaluation_b: str,
    output_format: str,
    store_url: str | None,
    config_file: Path | None,
) -> int:
    """Compare two recorded evaluations rule by rule (ids, or `latest`); always exit 0.

    For every rule: outcome A -> B, measured A -> B and the threshold; the policies whose
    version or content changed; rules found in only one. Both records are read from their
    hash-checked log entries. An unknown evaluation id is an error (exit 2).
    """
    from governance.diffs import diff_evaluations, format_json, format_text

    found = diff_evaluations(resolve_store_url(config_file, store_url), evaluation_a, evaluation_b)
    click.echo(format_json(found) if output_format == "json" else format_text(found), nl=False)
    return 0
