"""``governance verify``: a signed report is intact, whole, trusted, attested and on record."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from governance.cli.options import config_option
from governance.errors import EXIT_INVALID, EXIT_OK, InputError

APPROVALS_NEED_STORE = "--approvals reads the approvals from the audit store: give --store"


@click.command()
@click.argument("report", type=click.Path(path_type=Path))
@click.option(
    "--trust-root",
    "trust_roots",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM or DER certificate to trust as a root (signer or timestamp authority); repeatable.",
)
@click.option(
    "--attestation",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The detached attestation (REPORT.intoto.json) to check against the report.",
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="Audit store: the evaluation must be in it and its chain must verify.",
)
@click.option(
    "--approvals",
    "check_approvals",
    is_flag=True,
    help="Also require the evaluation's signed approvals (with --store): every signature "
    "valid and every role its risk tier needs (docs/approvals.md).",
)
@config_option
def verify(
    report: Path,
    trust_roots: tuple[Path, ...],
    attestation: Path | None,
    store_url: str | None,
    check_approvals: bool,
    config_file: Path | None,
) -> int:
    """Verify REPORT; exit 0 valid, 1 invalid or tampered (every reason listed), 2 bad usage.

    Checks that the PAdES signature is intact, covers the whole file and chains to a trust
    root; that the embedded and (with --attestation) detached attestations are signed by the
    same signer and name this file, its evaluation record and policies; and (with --store) that
    the evaluation is in the audit store, unchanged, and the store's chain verifies; and (with
    --approvals) that its approvals are signed, bound to it and complete for its risk tier.
    """
    from governance.cli import one_line
    from governance.extras import require
    from governance.reporting import verify_report

    require("gate")  # a missing package is a missing extra, not an invalid report
    require("report")
    if check_approvals and not store_url:
        raise InputError(APPROVALS_NEED_STORE, field="approvals")
    with contextlib.ExitStack() as stack:
        store = None
        if store_url:
            from governance.audit import AuditStore

            store = stack.enter_context(AuditStore.open(store_url, create=False))
        result = verify_report(
            report, trust_roots=trust_roots, attestation=attestation, store=store
        )
    for problem in result.archive_problems:
        click.echo(f"warning: not PDF/A-3b: {one_line(problem)}", err=True)
    if not result.valid:
        click.echo(f"INVALID: {report}")
        for problem in result.problems:
            click.echo(f"  - {one_line(problem)}")
        return EXIT_INVALID
    dev = " (DEVELOPMENT key)" if result.dev_key else ""
    when = f" at {result.signed_at}" if result.signed_at else ""
    click.echo(f"VALID: {report} signed by {result.signer_subject}{dev}{when}")
    click.echo("  - the signature covers the whole file and chains to a trusted root")
    if result.timestamp is not None:
        click.echo(f"  - timestamped by a trusted authority at {result.timestamp}")
    click.echo(f"  - evaluation {result.evaluation_id}: its record and attestation are attached")
    if result.attestation_checked:
        click.echo(f"  - the attestation {attestation} names this file and is signed by the signer")
    if result.store_checked:
        click.echo("  - the evaluation is in the audit store, unchanged, and the chain verifies")
    if not result.archive_problems:
        click.echo("  - PDF/A-3b structure: as required (structural check)")
    if check_approvals and result.evaluation_id is not None:
        return _approvals(result.evaluation_id, store_url, config_file)
    return EXIT_OK


def _approvals(evaluation_id: str, store_url: str | None, config_file: Path | None) -> int:
    """The approvals of the report's evaluation: one line if complete, else each problem."""
    from governance.api import approval_status
    from governance.cli import one_line
    from governance.cli.approve import echo_problems
    from governance.cli.options import settings

    status = approval_status(evaluation_id, settings=settings(config_file, store_url=store_url))
    valid = [item for item in status.approvals if item.valid and item.subject == "evaluation"]
    names = ", ".join(one_line(f"{item.role} ({item.approver})") for item in valid) or "none"
    tier = status.risk_tier or "no"
    if status.complete:
        click.echo(f"  - approvals: {names}; every role the {tier} risk tier requires")
        return EXIT_OK
    click.echo(f"NOT APPROVED: evaluation {evaluation_id} (approvals: {names})")
    echo_problems(status)
    return EXIT_INVALID
