"""``governance models``: the model inventory (every model version, its verdict and state)."""

from __future__ import annotations

from pathlib import Path

import click

from governance.cli.options import config_option, settings, store_option, write_output


@click.command()
@click.option("--model", help="Only this model.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="A table for people, or JSON / CSV for a risk register (columns: docs/inventory.md).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@store_option
@config_option
def models(
    model: str | None,
    output_format: str,
    output: Path | None,
    store_url: str | None,
    config_file: Path | None,
) -> int:
    """List every model version in the audit store with its state.

    Per version: the latest gate evaluation and its verdict under the policies required for the
    model's risk tier (`incomplete` when it did not apply one), open and expired waivers, the
    latest monitored window, the registry link and approvals. Read from the log's hash-checked
    entries; nothing is written to the store.
    """
    import datetime as dt

    from governance.audit import AuditStore
    from governance.inventory import model_inventory
    from governance.inventory.export import render_inventory

    resolved = settings(config_file, store_url=store_url)
    if output is not None:
        from governance.reporting.formats.output import check_writable

        check_writable(output)
    today = dt.datetime.now(dt.UTC).date()
    with AuditStore.open(resolved.store_url, create=False) as store:
        rows = model_inventory(
            store, resolved.required_policies, settings=resolved, model=model, today=today
        )
    write_output(render_inventory(rows, output_format, today), output)
    return 0
