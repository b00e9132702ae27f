"""``governance approve`` and ``governance approvals verify``: signed, bound, required by tier."""

from __future__ import annotations

import pytest

from governance.approvals import approval_status, approvals_of, approve
from tests.approvals.conftest import FIRST, SECOND, Setup
from tests.conftest import CliRun


def test_approvals_are_recorded_signed_and_complete_the_required_roles(
    setup: Setup, run_cli: CliRun
) -> None:
    config = ("--config", setup.config)
    result = run_cli(
        "approve", FIRST, "--role", "validator", "--key", setup.validator,
        "--comment", "metrics reproduced", *config,
    )  # fmt: skip
    assert result.exit_code == 0, result
    assert f"Approved evaluation {FIRST} as validator: vera" in result.stdout

    pending = run_cli("approvals", "verify", FIRST, *config)
    assert pending.exit_code == 1
    assert "missing: no valid approval in role risk_owner" in pending.stdout
    assert "valid: validator by vera" in pending.stdout

    done = run_cli("approve", FIRST, "--role", "risk_owner", "--key", setup.risk_owner, *config)
    assert done.exit_code == 0, done
    verified = run_cli("approvals", "verify", FIRST, *config)
    assert verified.exit_code == 0, verified
    assert f"APPROVED: evaluation {FIRST}" in verified.stdout

    # the other evaluation has no approvals of its own
    assert run_cli("approvals", "verify", SECOND, *config).exit_code == 1


def test_an_approval_holds_what_was_signed(setup: Setup) -> None:
    settings = setup.settings()
    with setup.open() as store:
        made = approve(
            store, FIRST, role="validator", key=setup.validator, comment="ok", settings=settings
        )
        (read,) = approvals_of(store, FIRST, settings)
        status = approval_status(store, FIRST, settings)
    assert read == made
    assert (read.role, read.approver, read.comment) == ("validator", "vera", "ok")
    assert read.record_digest.startswith("sha256:") and read.key_id.startswith("sha256:")
    assert read.signature_valid and read.allowed and read.digest_matches
    assert read.time.endswith("Z")
    assert status.required == ("validator", "risk_owner")
    assert status.present == ("validator",) and status.missing == ("risk_owner",)


def test_the_tier_decides_the_roles(setup: Setup) -> None:
    from governance.approval_settings import parse_approval_roles

    settings = setup.settings(approval_roles=parse_approval_roles('{"limited": ["validator"]}'))
    with setup.open() as store:
        approve(store, FIRST, role="validator", key=setup.validator, settings=settings)
        status = approval_status(store, FIRST, settings)
    assert status.risk_tier == "high" and status.required == ()
    assert status.complete


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("no-such-id", "--role", "validator", "--key", "validator"), "no evaluation no-such-id"),
        ((FIRST, "--role", "auditor", "--key", "validator"), "role auditor is not a role"),
        ((FIRST, "--role", "risk_owner", "--key", "validator"), "not allowed the role risk_owner"),
        ((FIRST, "--role", "validator", "--key", "stranger"), "is not an approver's key"),
        ((FIRST, "--role", "validator", "--key", "owner"), "olivia owns the model"),
        (("latest", "--role", "validator", "--key", "validator"), "not `latest`"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_recorded(
    setup: Setup, run_cli: CliRun, args: tuple[str, ...], message: str
) -> None:
    *rest, key_name = args
    before = setup.count()
    result = run_cli("approve", *rest, getattr(setup, key_name), "--config", setup.config)
    assert result.exit_code == 2, result
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert setup.count() == before


def test_the_same_role_twice_by_the_same_key_is_refused(setup: Setup, run_cli: CliRun) -> None:
    args = ("approve", FIRST, "--role", "validator", "--key", setup.validator)
    assert run_cli(*args, "--config", setup.config).exit_code == 0
    before = setup.count()
    again = run_cli(*args, "--comment", "again", "--config", setup.config)
    assert again.exit_code == 2
    assert "in role validator by key sha256:" in again.stderr
    assert "exists (entry" in again.stderr
    assert setup.count() == before


def test_the_owner_may_approve_when_the_configuration_allows_it(
    setup: Setup, run_cli: CliRun
) -> None:
    text = setup.config.read_text().replace("owner_may_approve: false", "owner_may_approve: true")
    setup.config.write_text(text)
    result = run_cli(
        "approve", FIRST, "--role", "validator", "--key", setup.owner, "--config", setup.config
    )
    assert result.exit_code == 0, result


def test_a_bad_approvers_setting_names_itself(setup: Setup, run_cli: CliRun) -> None:
    setup.config.write_text(setup.config.read_text() + "approval_roles_typo: 1\n")
    result = run_cli("approvals", "verify", FIRST, "--config", setup.config)
    assert result.exit_code == 2
    setup.config.write_text(f"store_url: {setup.url}\napprovers: [vera]\n")
    result = run_cli("approvals", "verify", FIRST, "--config", setup.config)
    assert result.exit_code == 2
    assert "approvers must be a mapping of approver name" in result.stderr
