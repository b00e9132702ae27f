"""``governance check``: the pre-deploy gate."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from governance.cli.options import (
    config_option,
    settings,
    signing_flags,
    store_option,
    write_output,
)
from governance.config import SEVERITY_CHOICES
from governance.reporting.formats import FORMAT_NAMES


@click.command()
@click.argument("manifest", type=click.Path(path_type=Path))
@click.option(
    "--policy",
    "-p",
    "policies",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="Policy file, directory of policies (its kind: Waivers files are applied as "
    "--waivers), or pack:NAME (a shipped pack: governance packs); repeatable.",
)
@store_option
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="FORMAT[=FILE]",
    help=f"Output format ({', '.join(FORMAT_NAMES)}) [default: text]; repeatable. FORMAT=FILE "
    "writes that format to FILE; a FORMAT without a file goes to --output or stdout (at most "
    "one format on stdout). With github, $GITHUB_STEP_SUMMARY also gets a Markdown summary.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Write the one FORMAT given without a file here.",
)
@click.option("--report", type=click.Path(path_type=Path), help="Also write a PDF report here.")
@click.option(
    "--sign/--no-sign", default=True, show_default=True, help="Sign the PDF report (PAdES)."
)
@click.option("--signing-key", type=click.Path(path_type=Path), help="PEM private key.")
@click.option("--signing-cert", type=click.Path(path_type=Path), help="PEM certificate.")
@click.option(
    "--trust-model",
    is_flag=True,
    help=(
        "Trust the model file: load joblib/pickle, and skops types outside the audited list "
        "(runs code from the file: only for files whose origin you trust)."
    ),
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITY_CHOICES),
    help="Lowest severity whose failure blocks the gate [default: high].",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Every failing finding blocks, warnings included (waived findings do not).",
)
@click.option(
    "--waivers",
    "waiver_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Waivers file (kind: Waivers); repeatable.",
)
@click.option("--namespace", help="OpenLineage job namespace [default: governance].")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Evaluate and print, but record nothing: no audit log entry, no lineage event, no "
    "forwarding; every output says 'dry run: not recorded'. Refuses --report.",
)
@click.option(
    "--vsa",
    type=click.Path(path_type=Path),
    help="Also write the signed SLSA verification summary (VSA) of the verdict here, PASSED or "
    "FAILED, with its Sigstore bundle beside it (NAME.sigstore.json); needs a signing key "
    "(docs/deploy-gate.md).",
)
@click.option(
    "--baseline",
    metavar="MANIFEST|models:/NAME@ALIAS",
    help="The champion: its manifest (its data must be this manifest's) or a registered "
    "version, predicting the same rows for the comparison.* rules.",
)
@click.option(
    "--promote",
    metavar="ALIAS",
    help="With model.uri: move this alias of the registered model to the gated version when "
    "the gate passes (exit 0); on a failure it stays where it was (docs/registry.md).",
)
@config_option
def check(
    manifest: Path,
    policies: tuple[Path, ...],
    store_url: str | None,
    formats: tuple[str, ...],
    output: Path | None,
    report: Path | None,
    sign: bool,
    signing_key: Path | None,
    signing_cert: Path | None,
    trust_model: bool,
    fail_on: str | None,
    strict: bool,
    waiver_files: tuple[Path, ...],
    namespace: str | None,
    dry_run: bool,
    vsa: Path | None,
    baseline: str | None,
    promote: str | None,
    config_file: Path | None,
) -> int:
    """Evaluate MANIFEST's model against the policies; exit 0 passed, 1 blocked, 2 bad input.

    Every evaluation is appended to the audit store with its OpenLineage events (not with
    --dry-run). Every file to write (formats, --output, --report and its attestation) is checked
    first: its folder must exist and take files, or nothing is evaluated or recorded (exit 2).
    """
    from governance.api import Outputs, run
    from governance.gate import CheckOptions, parse_fail_on
    from governance.reporting.formats.output import use_color

    resolved = settings(
        config_file,
        store_url=store_url,
        fail_on=fail_on,
        namespace=namespace,
        **signing_flags(signing_key, signing_cert),
    )
    options = CheckOptions(
        manifest=manifest,
        policies=policies,
        trust_model=trust_model,
        fail_on=parse_fail_on(resolved.fail_on),
        namespace=resolved.namespace,
        waivers=waiver_files,
        strict=strict,
        settings=resolved,
    )
    outputs = Outputs(
        specs=formats or ("text",),
        output=output,
        stdout=write_output,
        color=use_color(sys.stdout.isatty(), os.environ),
        environ=os.environ,
        warn=lambda message: click.echo(message, err=True),
    )
    evaluation, written = run(
        options,
        store=resolved.store_url,
        report=report,
        sign=sign,
        dry_run=dry_run,
        outputs=outputs,
        vsa=vsa,
        baseline=baseline,
        promote=promote,
    )
    if written is not None:
        state = "signed" if written.signed else "unsigned"
        click.echo(f"Report ({state}): {written.path}", err=True)
    return evaluation.exit_code
