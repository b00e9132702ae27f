"""``governance report``: the signed PDF report of a stored evaluation, without re-evaluating."""

from __future__ import annotations

from pathlib import Path

import click

from governance.cli.options import (
    config_option,
    settings,
    signed_pdf_options,
    signing_flags,
    store_option,
)


@click.command()
@click.argument("evaluation_id", metavar="EVALUATION_ID|latest")
@click.option("--model", help="With `latest`: the latest evaluation of this model.")
@click.option(
    "--monitoring",
    is_flag=True,
    help="The post-market monitoring report of the windows `governance monitor` recorded "
    "against this gate evaluation (the baseline; `latest`: the newest with windows).",
)
@click.option("--since", help="With --monitoring: windows starting at or after this date/time.")
@click.option("--until", help="With --monitoring: windows ending at or before this date/time.")
@signed_pdf_options("report")
@store_option
@config_option
def report(
    evaluation_id: str,
    model: str | None,
    monitoring: bool,
    since: str | None,
    until: str | None,
    output: Path,
    sign: bool,
    templates: Path | None,
    attestation: Path | None,
    signing_key: Path | None,
    signing_cert: Path | None,
    signing_pkcs12: Path | None,
    signing_chain: tuple[Path, ...],
    tsa_url: str | None,
    store_url: str | None,
    config_file: Path | None,
) -> int:
    """Write the PDF report of a stored evaluation (EVALUATION_ID, or `latest`).

    The report is rendered from the audit store alone: the evaluation is not run again. Signed
    reports are written with their attestation beside them; exit 2 on bad input (a missing
    output folder included), and then no file is written. With --monitoring, EVALUATION_ID is
    the baseline gate evaluation, and the report covers its monitored windows in the period.
    """
    from governance.api import write_monitoring_report, write_report

    resolved = settings(
        config_file,
        store_url=store_url,
        tsa_url=tsa_url,
        **signing_flags(signing_key, signing_cert, signing_pkcs12, signing_chain),
    )
    if (since or until) and not monitoring:
        raise click.UsageError("--since and --until need --monitoring")
    if monitoring:
        result = write_monitoring_report(
            evaluation_id,
            output,
            since=since,
            until=until,
            sign=sign,
            model=model,
            templates=templates,
            attestation=attestation,
            settings=resolved,
        )
    else:
        result = write_report(
            evaluation_id,
            output,
            sign=sign,
            model=model,
            templates=templates,
            attestation=attestation,
            settings=resolved,
        )
    state = "signed" if result.signed else "unsigned"
    if result.timestamped:
        state += ", timestamped"
    click.echo(f"Report ({state}, PDF/A-3b): {result.path}  {result.sha256}")
    if result.attestation is not None:
        click.echo(f"Attestation: {result.attestation}  {result.attestation_sha256}")
    if result.dev_key:
        click.echo("Signed with a DEVELOPMENT key: not for production.", err=True)
    return 0
