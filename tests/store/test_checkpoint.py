"""Signed checkpoints: a truncated or rewritten history is detected against them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import NameOID

from governance.audit import AuditStore
from governance.errors import StoreError, VerificationFailed
from governance.reporting import SigningConfig, init_dev_keys
from governance.store.chain import entry_hash
from governance.store.checkpoint import CheckpointError, load_checkpoint, signature_problem
from tests.store.conftest import raw_execute


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> SigningConfig:
    return init_dev_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def filled(store: AuditStore) -> AuditStore:
    store.append_many([("note", {"i": i}) for i in range(1, 6)])
    return store


def _self_signed(tmp_path: Path, key, name: str) -> SigningConfig:
    import datetime as dt

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, algorithm)
    )
    key_path, cert_path = tmp_path / f"{name}.key", tmp_path / f"{name}.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return SigningConfig(key=key_path, cert=cert_path)


def test_checkpoint_states_the_log_and_is_recorded(
    filled: AuditStore, signing: SigningConfig
) -> None:
    head = filled.head()
    assert head is not None
    checkpoint = filled.create_checkpoint(signing)
    assert (checkpoint["size"], checkpoint["head_hash"]) == (5, head.entry_hash)
    assert checkpoint["store_id"] == next(filled.entries(limit=1)).entry_hash
    assert checkpoint["dev_key"] is True
    assert "DEVELOPMENT" in checkpoint["signer"]
    assert filled.latest_checkpoint() == checkpoint
    recorded = filled.head()
    assert recorded is not None and (recorded.seq, recorded.kind) == (6, "checkpoint")
    report = filled.verify()
    assert (report.ok, report.checkpoints) == (True, 1)
    assert filled.check_checkpoint(checkpoint).ok


def test_no_checkpoint_of_an_empty_or_tampered_log(
    store: AuditStore, store_url: str, signing: SigningConfig
) -> None:
    assert store.latest_checkpoint() is None
    with pytest.raises(StoreError, match=r"is empty: there is nothing to checkpoint"):
        store.create_checkpoint(signing)
    store.append_many([("note", {"i": i}) for i in range(3)])
    raw_execute(
        store_url, "UPDATE audit_log SET payload = '{\"i\":9}' WHERE seq = 2", bypass_triggers=True
    )
    with pytest.raises(VerificationFailed, match=r"refusing to checkpoint .* entry 2 was altered"):
        store.create_checkpoint(signing)
    assert store.verify().entries == 1


@pytest.mark.parametrize("key", ["rsa", "ed25519"])
def test_other_key_types_sign_and_verify(filled: AuditStore, tmp_path: Path, key: str) -> None:
    private = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if key == "rsa"
        else ed25519.Ed25519PrivateKey.generate()
    )
    checkpoint = filled.create_checkpoint(_self_signed(tmp_path, private, key))
    assert checkpoint["signature_algorithm"] in {"rsa-pkcs1v15-sha256", "ed25519"}
    assert signature_problem(checkpoint) is None


def test_a_cut_off_end_is_detected(
    filled: AuditStore, store_url: str, signing: SigningConfig
) -> None:
    checkpoint = filled.create_checkpoint(signing)
    raw_execute(store_url, "DELETE FROM audit_log WHERE seq >= 5", bypass_triggers=True)
    assert filled.verify().ok  # the chain alone cannot tell
    result = filled.check_checkpoint(checkpoint)
    assert not result.ok
    assert result.problem == (
        "the log has 4 entries, the checkpoint covers 5: entries were removed from the log "
        "(its end cut off)"
    )


def test_a_rewritten_history_is_detected(
    filled: AuditStore, store_url: str, signing: SigningConfig
) -> None:
    """Entry 3 changed and every later hash recomputed: the chain is valid, the checkpoint not."""
    checkpoint = filled.create_checkpoint(signing)
    entries = list(filled.entries())
    statements = []
    prev = entries[1].entry_hash
    for entry in entries[2:5]:
        payload = '{"i":30}' if entry.seq == 3 else entry.payload_json
        new_hash = entry_hash(entry.seq, entry.kind, entry.created_at_text, payload, prev)
        statements.append(
            f"UPDATE audit_log SET payload = '{payload}', prev_hash = '{prev}', "
            f"entry_hash = '{new_hash}' WHERE seq = {entry.seq}"
        )
        prev = new_hash
    # Drop the recorded checkpoint too, as a forger would (it no longer matches).
    statements.append("DELETE FROM audit_log WHERE seq = 6")
    raw_execute(
        store_url,
        "UPDATE audit_log SET prev_hash = 'x' || seq WHERE seq >= 3",
        *statements,
        bypass_triggers=True,
    )
    assert filled.verify().ok
    result = filled.check_checkpoint(checkpoint)
    assert result.problem == (
        "entry 5 no longer has the hash the checkpoint signed: the history up to it was rewritten"
    )


def test_a_recorded_checkpoint_that_no_longer_matches_is_reported_by_verify(
    filled: AuditStore, store_url: str, signing: SigningConfig
) -> None:
    filled.create_checkpoint(signing)
    entries = list(filled.entries())
    fifth, sixth = entries[4], entries[5]
    payload = '{"i":50}'
    forged5 = entry_hash(5, "note", fifth.created_at_text, payload, fifth.prev_hash)
    forged6 = entry_hash(6, sixth.kind, sixth.created_at_text, sixth.payload_json, forged5)
    raw_execute(
        store_url,
        "UPDATE audit_log SET prev_hash = 'moving' WHERE seq = 6",
        f"UPDATE audit_log SET payload = '{payload}', entry_hash = '{forged5}' WHERE seq = 5",
        f"UPDATE audit_log SET prev_hash = '{forged5}', entry_hash = '{forged6}' WHERE seq = 6",
        bypass_triggers=True,
    )
    report = filled.verify()
    assert not report.ok
    assert report.first_bad_seq == 6
    assert report.problem is not None and "checkpoint whose head_hash does not match" in (
        report.problem
    )


def test_a_forged_signature_is_refused(filled: AuditStore, signing: SigningConfig) -> None:
    checkpoint = filled.create_checkpoint(signing)
    forged = copy.deepcopy(checkpoint)
    forged["size"] = 4
    assert signature_problem(forged) == "the checkpoint's signature does not match its contents"
    assert not filled.check_checkpoint(forged).ok


def test_an_edited_signer_or_dev_key_is_refused(filled: AuditStore, signing: SigningConfig) -> None:
    checkpoint = filled.create_checkpoint(signing)
    assert checkpoint["dev_key"] is True  # the fixture signs with a development key
    signer = dict(checkpoint, signer="CN=Chief Auditor,O=Big Bank")
    problem = signature_problem(signer)
    assert problem is not None and problem.startswith(
        "the checkpoint names signer 'CN=Chief Auditor,O=Big Bank', but its certificate is "
    )
    assert not filled.check_checkpoint(signer).ok
    hidden = dict(checkpoint, dev_key=False)
    assert signature_problem(hidden) == (
        "the checkpoint's dev_key says otherwise, but a development key signed it: the file was "
        "edited"
    )
    assert filled.check_checkpoint(checkpoint).ok


def test_trust_roots(filled: AuditStore, signing: SigningConfig, tmp_path: Path) -> None:
    from governance.keys import load_certificate

    checkpoint = filled.create_checkpoint(signing)
    other = init_dev_keys(tmp_path / "other")
    assert filled.check_checkpoint(checkpoint, trust_roots=[load_certificate(signing.cert)]).ok
    result = filled.check_checkpoint(checkpoint, trust_roots=[load_certificate(other.cert)])
    assert result.problem == "the checkpoint was not signed by a trusted certificate"


def test_checkpoint_files(tmp_path: Path) -> None:
    path = tmp_path / "cp.json"
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(path)
    path.write_text("{\n  oops", encoding="utf-8")
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert caught.value.location == f"{path}:2:3"
    path.write_text(json.dumps({"type": "governance.audit.checkpoint", "version": 1}))
    with pytest.raises(CheckpointError, match="field store_id must be 64 hex digits"):
        load_checkpoint(path)
