"""``governance vsa``: the signed SLSA VSA of a stored evaluation, without re-evaluating."""

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
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The DSSE envelope to write; its Sigstore bundle goes beside it (NAME.sigstore.json).",
)
@click.option(
    "--image-digest",
    metavar="NAME@sha256:HEX",
    help="A container image serving the model, as a second subject.",
)
@click.option("--model", help="With `latest`: the latest evaluation of this model.")
@signing_options("key and certificate")
@store_option
@config_option
def vsa(
    evaluation_id: str,
    output: Path,
    image_digest: str | None,
    model: str | None,
    signing_key: Path | None,
    signing_cert: Path | None,
    signing_pkcs12: Path | None,
    store_url: str | None,
    config_file: Path | None,
) -> None:
    """Write the signed verification summary (SLSA VSA v1) of a recorded evaluation.

    PASSED or FAILED as the evaluation's verdict, bound to its model file's sha256 (and
    --image-digest); verify it with governance verify-model (docs/deploy-gate.md).
    """
    from governance.api import write_vsa

    resolved = settings(
        config_file,
        store_url=store_url,
        **signing_flags(signing_key, signing_cert, signing_pkcs12),
    )
    statement = write_vsa(evaluation_id, output, image=image_digest, model=model, settings=resolved)
    result = statement["predicate"]["verificationResult"]
    click.echo(f"VSA ({result}): {output}", err=True)
