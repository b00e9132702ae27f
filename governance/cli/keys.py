"""``governance keys``: signing keys for reports."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_KEY_DIR = Path(".governance/keys")


@click.group()
def keys() -> None:
    """Manage report signing keys."""


@keys.command("init")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_KEY_DIR,
    show_default=True,
    help="Where to write the key and certificate.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing key.")
def init(directory: Path, force: bool) -> int:
    """Create a DEVELOPMENT signing key and self-signed certificate (marked as such in reports)."""
    from governance.reporting import init_dev_keys

    config = init_dev_keys(directory, force=force)
    click.echo(f"Private key: {config.key}")
    click.echo(f"Certificate: {config.cert}")
    click.echo("This is a development key: reports signed with it say so on the cover.", err=True)
    click.echo("To sign reports with it:", err=True)
    click.echo(f"  export GOVERNANCE_SIGNING_KEY={config.key}", err=True)
    click.echo(f"  export GOVERNANCE_SIGNING_CERT={config.cert}", err=True)
    return 0
