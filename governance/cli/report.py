"""``governance report``: the signed PDF report of a stored evaluation, without re-evaluating."""

from __future__ import annotations

from pathlib import Path

import click

from governance.cli.options import (
    config_option,
    settings,
    signing_flags,
    signing_options,
    store_option,
)


@click.command()
@click.argument("evaluation_id", metavar="EVALUATION_ID|latest")
@click.option("--model", help="With `latest`: the latest evaluation of this model.")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The PDF to write (PDF/A-3b).",
)
@click.option(
    "--sign/--no-sign",
    default=True,
    show_default=True,
    help="Sign the report (PAdES) and write its attestation (DSSE, in-toto).",
)
@click.option(
    "--templates",
    type=click.Path(file_okay=False, path_type=Path),
    help="A template folder overriding the default theme (report_templates/).",
)
@click.option(
    "--attestation",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the attestation [default: beside the PDF, NAME.intoto.json].",
)
@signing_options("key, certificate and chain")
@click.option(
    "--signing-chain",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Intermediate certificate to embed in the signature; repeatable.",
)
@click.option("--tsa-url", help="RFC 3161 timestamp authority: timestamp the signature (B-T).")
@store_option
@config_option
def report(
    evaluation_id: str,
    model: str | None,
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
    output folder included), and then no file is written.
    """
    from governance.audit import AuditStore
    from governance.errors import ConfigError
    from governance.reports import (
        check_report_targets,
        render_limits,
        signing_from_settings,
        write_report,
    )

    if attestation is not None and not sign:
        raise ConfigError(
            "--attestation needs a signed report: an unsigned report has no attestation",
            hint="drop --no-sign, or drop --attestation",
        )
    check_report_targets(output, sign=sign, attestation=attestation)

    resolved = settings(
        config_file,
        store_url=store_url,
        tsa_url=tsa_url,
        **signing_flags(signing_key, signing_cert, signing_pkcs12, signing_chain),
    )
    limits = render_limits(resolved)
    signing = signing_from_settings(resolved) if sign else None
    with AuditStore.open(resolved.require("store_url", "--store URL"), create=False) as store:
        result = write_report(
            store,
            evaluation_id,
            output,
            signing=signing,
            templates=templates,
            model=model,
            attestation=attestation,
            limits=limits,
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
