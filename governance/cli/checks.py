"""``governance checks``: the check types rules can use."""

from __future__ import annotations

import click


@click.command()
def checks() -> int:
    """List every registered check type (built-in and plugins) with its params."""
    from governance.checks import default_registry

    for check in default_registry():
        params = ", ".join(check.params.model_fields)
        click.echo(f"{check.name}\n    {check.summary}\n    params: {params}")
    return 0
