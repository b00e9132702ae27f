"""``governance document``: a model version's EU AI Act Annex IV technical documentation."""

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
@click.argument("model")
@click.option("--version", "version", help="The model version [default: the one evaluated last].")
@signed_pdf_options("document")
@store_option
@config_option
def document(
    model: str,
    version: str | None,
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
    """Write the EU AI Act Annex IV technical documentation of MODEL as a signed PDF.

    Rendered from the audit store alone: the version's evaluations, the documentation section
    recorded with them, their signed reports (the test logs), lineage, monitoring results, the
    changes since the previous version, and a list of gaps naming each Annex IV point without
    evidence. Signed like `governance report`; exit 2 on bad input, and then nothing is written.
    """
    from governance.api import write_document

    resolved = settings(
        config_file,
        store_url=store_url,
        tsa_url=tsa_url,
        **signing_flags(signing_key, signing_cert, signing_pkcs12, signing_chain),
    )
    result = write_document(
        model,
        output,
        version=version,
        sign=sign,
        templates=templates,
        attestation=attestation,
        settings=resolved,
    )
    state = "signed" if result.signed else "unsigned"
    if result.timestamped:
        state += ", timestamped"
    click.echo(f"Annex IV document ({state}, PDF/A-3b): {result.path}  {result.sha256}")
    if result.attestation is not None:
        click.echo(f"Attestation: {result.attestation}  {result.attestation_sha256}")
    if result.dev_key:
        click.echo("Signed with a DEVELOPMENT key: not for production.", err=True)
    return 0
