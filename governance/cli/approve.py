"""``governance approve`` and ``governance approvals verify``: signed approvals of evaluations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from governance.cli.options import config_option, settings, store_option
from governance.errors import EXIT_INVALID, EXIT_OK

if TYPE_CHECKING:
    from governance.approvals import ApprovalStatus


@click.command()
@click.argument("evaluation_id", required=False)
@click.option("--role", required=True, help="The role approved in (see the approvers setting).")
@click.option("--comment", help="Kept with the approval.")
@click.option(
    "--key",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The approver's private key (Ed25519, EC or RSA; passphrase: "
    "GOVERNANCE_SIGNING_PASSPHRASE).",
)
@click.option(
    "--waiver",
    metavar="DIGEST",
    help="Approve the waiver with this digest (as `governance check` shows it) instead.",
)
@store_option
@config_option
def approve(
    evaluation_id: str | None,
    role: str,
    comment: str | None,
    key: Path,
    waiver: str | None,
    store_url: str | None,
    config_file: Path | None,
) -> int:
    """Sign and record an approval of EVALUATION_ID (or of a waiver) in ROLE.

    The approval is bound to the digest of the stored evaluation record. Exit 2, nothing
    recorded, for an unknown evaluation or role, a key not allowed the role, the model's owner
    approving (unless owner_may_approve), or an approval this key already made in this role.
    """
    from governance.api import approve as record_approval
    from governance.cli import one_line

    resolved = settings(config_file, store_url=store_url)
    approval = record_approval(
        evaluation_id, role=role, key=key, comment=comment, waiver=waiver, settings=resolved
    )
    click.echo(
        one_line(
            f"Approved {approval.subject} {approval.evaluation_id} as {approval.role}: "
            f"{approval.approver} ({approval.key_id}) at {approval.time}, entry {approval.seq}"
        )
    )
    return EXIT_OK


@click.group()
def approvals() -> None:
    """Check the signed approvals of evaluations."""


@approvals.command("verify")
@click.argument("evaluation_id")
@store_option
@config_option
def verify(evaluation_id: str, store_url: str | None, config_file: Path | None) -> int:
    """Verify EVALUATION_ID's approvals; exit 0 when all verify and the required roles approved.

    Every approval's signature is checked against the key it names, its binding to the stored
    record, and whether the configuration allows its key the role; exit 1 listing what is
    missing or invalid, 2 on bad input.
    """
    from governance.api import approval_status
    from governance.cli import one_line

    resolved = settings(config_file, store_url=store_url)
    status = approval_status(evaluation_id, settings=resolved)
    for item in status.approvals:
        state = "valid" if item.valid else "INVALID"
        comment = f" - {one_line(item.comment)}" if item.comment else ""
        who = one_line(f"{item.role} by {item.approver} at {item.time}")
        click.echo(f"{state}: {who}{comment}")
    required = ", ".join(status.required) or "none"
    click.echo(f"Required roles ({status.risk_tier or 'no'} risk tier): {required}")
    if status.complete:
        click.echo(f"APPROVED: evaluation {evaluation_id}")
        return EXIT_OK
    click.echo(f"NOT APPROVED: evaluation {evaluation_id}")
    echo_problems(status)
    return EXIT_INVALID


def echo_problems(status: ApprovalStatus) -> None:
    """The roles without a valid approval and the approvals that fail, one line each."""
    from governance.cli import one_line

    for role in status.missing:
        click.echo(f"  - missing: no valid approval in role {role}")
    for item in status.invalid:
        click.echo(f"  - invalid: {one_line(item.problem or '')}")
