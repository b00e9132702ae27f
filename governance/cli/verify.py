"""``governance verify``: check that a signed report is intact, fully covered and trusted."""

from __future__ import annotations

from pathlib import Path

import click

from governance.errors import EXIT_INVALID, EXIT_OK


@click.command()
@click.argument("report", type=click.Path(path_type=Path))
@click.option(
    "--trust-root",
    "trust_roots",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM certificate to trust as a root; repeatable.",
)
def verify(report: Path, trust_roots: tuple[Path, ...]) -> int:
    """Verify REPORT's PAdES signature; exit 0 valid, 1 invalid or tampered."""
    from governance.reporting import verify_report

    result = verify_report(report, trust_roots=trust_roots)
    if result.valid:
        when = f" at {result.signed_at}" if result.signed_at else ""
        dev = " (DEVELOPMENT key)" if result.dev_key else ""
        click.echo(f"VALID: {report} signed by {result.signer_subject}{dev}{when}")
        click.echo("The signature covers the whole file and chains to a trusted root.")
        return EXIT_OK
    click.echo(f"INVALID: {report}")
    for problem in result.problems:
        click.echo(f"  - {problem}")
    return EXIT_INVALID
