"""``governance verify-model``: allow or deny a model artifact's deployment from its signed VSA."""

from __future__ import annotations

from pathlib import Path

import click

from governance.errors import EXIT_INVALID, EXIT_OK


@click.command("verify-model")
@click.argument("artifact", type=click.Path(path_type=Path))
@click.option(
    "--policy-set",
    "policy_set",
    multiple=True,
    required=True,
    metavar="NAME",
    help="A policy the passing evaluation must have applied: its metadata.name, or pack:NAME "
    "for a shipped pack; repeatable (all must be in the VSA's policy set).",
)
@click.option(
    "--attestation",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The VSA: a Sigstore bundle or DSSE envelope [default: ARTIFACT.vsa.sigstore.json, "
    "else ARTIFACT.vsa.json].",
)
@click.option(
    "--trust-root",
    "trust_roots",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM or DER certificate to trust: the VSA's signer must be it or chain to it; "
    "repeatable. None: nothing is trusted.",
)
@click.option(
    "--image-digest",
    metavar="[NAME@]sha256:HEX",
    help="A container image digest the VSA must also name as a subject.",
)
@click.option(
    "--max-age",
    metavar="DURATION",
    help="Deny a VSA verified longer ago than this (3600s, 90m, 12h, 30d).",
)
def verify_model(
    artifact: Path,
    policy_set: tuple[str, ...],
    attestation: Path | None,
    trust_roots: tuple[Path, ...],
    image_digest: str | None,
    max_age: str | None,
) -> int:
    """Print allow (exit 0) or deny: REASON (exit 1) for deploying ARTIFACT; 2 bad input.

    Computes ARTIFACT's sha256 and allows it only if a VSA signed by a trusted key names that
    digest (and --image-digest), says PASSED, comes from governance's verifier, and its policy
    set includes every --policy-set NAME.
    """
    from governance.deploy import parse_image_digest, parse_max_age
    from governance.deploy import verify_model as decide

    decision = decide(
        artifact,
        policy_set,
        attestation=attestation,
        trust_roots=trust_roots,
        image=None if image_digest is None else parse_image_digest(image_digest, "image_digest"),
        max_age=None if max_age is None else parse_max_age(max_age),
    )
    if not decision.allowed:
        click.echo(f"deny: {decision.reason}")
        return EXIT_INVALID
    click.echo(
        f"allow: sha256:{decision.artifact_sha256} passed evaluation {decision.evaluation_id}"
    )
    return EXIT_OK
