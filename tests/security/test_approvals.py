"""Approvals forged, copied, tampered with, or made by someone not allowed to make them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from governance.approvals import approval_status, approvals_of, approve
from governance.approvals.sign import sign
from governance.errors import VerificationFailed
from tests.approvals.conftest import FIRST, SECOND, Setup, make_setup
from tests.conftest import CliRun
from tests.store.conftest import raw_execute


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return make_setup(tmp_path)


def _approved(setup: Setup) -> dict[str, Any]:
    """Approve FIRST as validator and return the stored payload."""
    with setup.open() as store:
        made = approve(
            store, FIRST, role="validator", key=setup.validator, settings=setup.settings()
        )
        entry = next(store.entries(kind="approval", since_seq=made.seq - 1))
    return dict(entry.payload)


def _append(setup: Setup, payload: dict[str, Any]) -> None:
    with setup.open() as store:
        store.append("approval", payload)


def _resigned(payload: dict[str, Any], key: Path, **changes: Any) -> dict[str, Any]:
    """``payload`` with ``changes``, signed again with ``key`` (its own key id)."""
    from governance.approvals.model import SIGNED_FIELDS
    from governance.approvals.sign import private_key_id

    statement = {name: payload[name] for name in SIGNED_FIELDS} | changes
    statement["key_id"] = private_key_id(key)
    algorithm, signature, public_key, _ = sign(key, statement)
    return statement | {
        "signature_algorithm": algorithm,
        "signature": signature,
        "public_key": public_key,
    }


def test_a_forged_signature_does_not_count(setup: Setup, run_cli: CliRun) -> None:
    payload = _approved(setup)
    forged = dict(payload, role="risk_owner")  # the validator's signature, another role
    _append(setup, forged)
    with setup.open() as store:
        found = approvals_of(store, FIRST, setup.settings())
    assert [item.signature_valid for item in found] == [True, False]
    result = run_cli("approvals", "verify", FIRST, "--config", setup.config)
    assert result.exit_code == 1
    assert "the signature does not verify" in result.stdout
    assert "missing: no valid approval in role risk_owner" in result.stdout


def test_a_key_swapped_for_the_attackers_own_does_not_count(setup: Setup) -> None:
    # signed by a stranger, but naming the validator's key id: the key is not that id
    payload = _approved(setup)
    stranger = _resigned(payload, setup.stranger, role="risk_owner")
    stranger["key_id"] = payload["key_id"]
    _append(setup, stranger)
    with setup.open() as store:
        assert not approvals_of(store, FIRST, setup.settings())[1].signature_valid


def test_a_key_not_allowed_the_role_does_not_count(setup: Setup) -> None:
    # validly signed by a configured key, in a role its approver does not have
    payload = _approved(setup)
    _append(setup, _resigned(payload, setup.validator, role="risk_owner", approver="rick"))
    with setup.open() as store:
        status = approval_status(store, FIRST, setup.settings())
    bad = status.invalid[0]
    assert bad.signature_valid and not bad.allowed
    assert "is not allowed the role risk_owner" in (bad.problem or "")
    assert status.missing == ("risk_owner",)


def test_an_unconfigured_key_does_not_count(setup: Setup) -> None:
    payload = _approved(setup)
    _append(setup, _resigned(payload, setup.stranger, role="risk_owner", approver="rick"))
    with setup.open() as store:
        assert not approval_status(store, FIRST, setup.settings()).complete


def test_an_owner_self_approval_written_behind_the_cli_does_not_count(setup: Setup) -> None:
    payload = _approved(setup)
    _append(setup, _resigned(payload, setup.owner, role="risk_owner", approver="olivia"))
    with setup.open() as store:
        status = approval_status(store, FIRST, setup.settings())
        assert "olivia owns the model" in (status.invalid[0].problem or "")
        allowed = approval_status(store, FIRST, setup.settings(owner_may_approve=True))
    assert allowed.complete


def test_an_approval_replayed_onto_another_evaluation_does_not_count(setup: Setup) -> None:
    payload = _approved(setup)
    # the same entry again, pointed at the other evaluation: the signature breaks
    _append(setup, dict(payload, subject_id=SECOND))
    # signed anew for the other evaluation, but still bound to the first one's record
    _append(setup, _resigned(payload, setup.validator, subject_id=SECOND))
    with setup.open() as store:
        first, second = approvals_of(store, SECOND, setup.settings())
    assert not first.signature_valid
    assert second.signature_valid and not second.digest_matches
    assert "not this evaluation's record" in (second.problem or "")


def test_an_approval_edited_in_the_store_is_detected(setup: Setup, run_cli: CliRun) -> None:
    payload = _approved(setup)
    edited = json.dumps(dict(payload, comment="edited"), separators=(",", ":"), sort_keys=True)
    raw_execute(
        setup.url,
        f"UPDATE audit_log SET payload = '{edited}' WHERE kind = 'approval'",
        bypass_triggers=True,
    )
    with setup.open() as store, pytest.raises(VerificationFailed, match="does not match its hash"):
        approvals_of(store, FIRST, setup.settings())
    result = run_cli("approvals", "verify", FIRST, "--config", setup.config)
    assert result.exit_code == 1
    assert "does not match its hash" in result.stderr


def test_no_private_key_is_stored(setup: Setup) -> None:
    payload = _approved(setup)
    text = json.dumps(payload)
    assert "PRIVATE KEY" not in text
    assert setup.validator.read_text().splitlines()[1] not in text
    assert str(setup.validator.parent) not in text


def test_a_control_character_in_a_stored_name_stays_on_one_line(
    setup: Setup, run_cli: CliRun
) -> None:
    payload = _approved(setup)
    _append(setup, dict(payload, approver="x\n\x1b[2Jvalid: risk_owner"))
    result = run_cli("approvals", "verify", FIRST, "--config", setup.config)
    assert "\x1b" not in result.stdout
    assert not any(line.startswith("valid: risk_owner") for line in result.stdout.splitlines())
