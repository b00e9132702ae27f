"""Checkpoints recorded in the log: a history rewritten and re-signed with another key is found.

The attacker can write the database and owns a key whose certificate has the same subject as the
real signer's (two `governance keys init` runs give exactly that). They edit an entry, recompute
every later hash, and re-sign the checkpoint entries after the edit with their own key.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from governance.audit import AuditStore
from governance.canonical import canonical_json
from governance.reporting import SigningConfig
from governance.store import sqlite_url_for
from governance.store.chain import entry_hash
from governance.store.checkpoint import sign_checkpoint
from tests.conftest import CliResult

Run = Callable[..., CliResult]


@pytest.fixture
def cli(run_cli: Run) -> Run:
    return run_cli


def _keys_init(cli: Run, directory: Path) -> SigningConfig:
    result = cli("keys", "init", "--dir", directory)
    assert result.exit_code == 0, result.stderr
    return SigningConfig(
        key=directory / "governance-dev-key.pem", cert=directory / "governance-dev-cert.pem"
    )


@pytest.fixture
def key_a(cli: Run, tmp_path: Path) -> SigningConfig:
    return _keys_init(cli, tmp_path / "a")


@pytest.fixture
def key_b(cli: Run, tmp_path: Path, key_a: SigningConfig) -> SigningConfig:
    """The attacker's key: another key, a certificate with the same subject as key A's."""
    key = _keys_init(cli, tmp_path / "b")
    assert _cert(key).subject == _cert(key_a).subject
    assert _fingerprint(key) != _fingerprint(key_a)
    return key


def _cert(key: SigningConfig) -> x509.Certificate:
    assert key.cert is not None
    return x509.load_pem_x509_certificate(key.cert.read_bytes())


def _fingerprint(key: SigningConfig) -> str:
    """sha256 of the certificate's SubjectPublicKeyInfo, computed here without governance."""
    spki = (
        _cert(key)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def _checkpoint(cli: Run, url: str, key: SigningConfig, *extra: object) -> CliResult:
    return cli(
        "audit", "checkpoint", "--store", url,
        "--signing-key", key.key, "--signing-cert", key.cert, *extra,
    )  # fmt: skip


@pytest.fixture
def url(tmp_path: Path) -> str:
    return sqlite_url_for(tmp_path / "audit.db")


@pytest.fixture
def signed_by_a(cli: Run, url: str, key_a: SigningConfig) -> str:
    """Entries 1-5, checkpoint (A) at 6, entries 7-9, checkpoint (A) at 10, entry 11."""
    with AuditStore.open(url) as store:
        store.append_many([("note", {"i": i}) for i in range(1, 6)])
    assert _checkpoint(cli, url, key_a).exit_code == 0
    with AuditStore.open(url) as store:
        store.append_many([("note", {"i": i}) for i in range(7, 10)])
    assert _checkpoint(cli, url, key_a).exit_code == 0
    with AuditStore.open(url) as store:
        store.append("note", {"i": 11})
    return url


def _rewrite(url: str, edit: int, resign: SigningConfig) -> None:
    """Change entry ``edit``, recompute every later hash, re-sign later checkpoints.

    Done with the database's own client, as an attacker with write access would: the append-only
    triggers are dropped for the edit and put back exactly as they were.
    """
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        rows = conn.execute(
            "SELECT seq, kind, created_at, payload, prev_hash, entry_hash FROM audit_log "
            "ORDER BY seq"
        ).fetchall()
        store_id = rows[0][5]
        forged = []
        prev = rows[edit - 2][5]
        for seq, kind, created_at, payload, _, _ in rows[edit - 1 :]:
            if seq == edit:
                payload = canonical_json({"i": -seq})
            elif kind == "checkpoint":
                time = json.loads(payload)["time"]
                signed = sign_checkpoint(
                    store_id=store_id, size=seq - 1, head_hash=prev, time=time, signing=resign
                )
                payload = canonical_json(signed)
            digest = entry_hash(seq, kind, created_at, payload, prev)
            forged.append((payload, prev, digest, seq))
            prev = digest
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        ).fetchall()
        for name, _ in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("UPDATE audit_log SET prev_hash = 'p' || seq, entry_hash = 'e' || seq "
                     f"WHERE seq >= {edit}")  # fmt: skip
        conn.executemany(
            "UPDATE audit_log SET payload = ?, prev_hash = ?, entry_hash = ? WHERE seq = ?", forged
        )
        for _, sql in triggers:
            conn.execute(sql)
    finally:
        conn.close()


def _verify(cli: Run, url: str, *roots: SigningConfig) -> CliResult:
    flags = [arg for root in roots for arg in ("--trust-root", root.cert)]
    return cli("audit", "verify", "--store", url, *flags)


def test_resigned_checkpoints_are_refused_by_the_first_checkpoint_key(
    cli: Run, signed_by_a: str, key_a: SigningConfig, key_b: SigningConfig
) -> None:
    _rewrite(signed_by_a, 8, key_b)
    result = _verify(cli, signed_by_a)
    assert result.exit_code == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith("TAMPERED: entry 10 is a checkpoint signed by a different key")
    assert _fingerprint(key_b) in line and _fingerprint(key_a) in line
    assert "pass --trust-root to accept a rotated key" in line


def test_resigned_checkpoints_are_refused_by_the_trust_root(
    cli: Run, signed_by_a: str, key_a: SigningConfig, key_b: SigningConfig
) -> None:
    _rewrite(signed_by_a, 8, key_b)
    result = _verify(cli, signed_by_a, key_a)
    assert result.exit_code == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith("TAMPERED: entry 10 is a checkpoint signed by ")
    assert _fingerprint(key_b) in line
    assert "which is not a trusted certificate" in line


def test_a_whole_history_resigned_is_refused_by_the_trust_root(
    cli: Run, signed_by_a: str, key_a: SigningConfig, key_b: SigningConfig
) -> None:
    _rewrite(signed_by_a, 3, key_b)
    result = _verify(cli, signed_by_a, key_a)
    assert result.exit_code == 1
    assert result.stdout.startswith("TAMPERED: entry 6 is a checkpoint signed by ")
    assert _fingerprint(key_b) in result.stdout.splitlines()[0]
    # Without a trust root, the rewritten first checkpoint pins the attacker's key: the printed
    # fingerprint is what differs from the one the auditor recorded.
    result = _verify(cli, signed_by_a)
    assert result.exit_code == 0
    assert f"first checkpoint (entry 6) signed by key {_fingerprint(key_b)}" in result.stdout


def test_python_verify_applies_trust_roots_to_checkpoint_entries(
    signed_by_a: str, key_a: SigningConfig, key_b: SigningConfig
) -> None:
    _rewrite(signed_by_a, 3, key_b)
    with AuditStore.open(signed_by_a, create=False) as store:
        assert store.verify().ok
        report = store.verify(trust_roots=[_cert(key_a)])
    assert not report.ok
    assert report.first_bad_seq == 6
    assert report.problem is not None and _fingerprint(key_b) in report.problem


def test_a_genuine_rotation_passes_with_both_roots(
    cli: Run, url: str, key_a: SigningConfig, key_b: SigningConfig
) -> None:
    with AuditStore.open(url) as store:
        store.append_many([("note", {"i": i}) for i in range(1, 6)])
    assert _checkpoint(cli, url, key_a).exit_code == 0
    # Another key without trust roots would break every later verify: refused, nothing written.
    refused = _checkpoint(cli, url, key_b)
    assert refused.exit_code == 2
    assert _fingerprint(key_b) in refused.stderr and _fingerprint(key_a) in refused.stderr
    with AuditStore.open(url, create=False) as store:
        head = store.head()
    assert head is not None and head.seq == 6
    rotated = _checkpoint(cli, url, key_b, "--trust-root", key_a.cert, "--trust-root", key_b.cert)
    assert rotated.exit_code == 0, rotated.stderr
    assert _verify(cli, url, key_a, key_b).exit_code == 0
    assert _verify(cli, url, key_a).exit_code == 1
    pinned = _verify(cli, url)
    assert pinned.exit_code == 1
    assert "pass --trust-root to accept a rotated key" in pinned.stdout


def test_key_fingerprints_are_shown_wherever_a_signer_is(
    cli: Run, url: str, key_a: SigningConfig, tmp_path: Path
) -> None:
    with AuditStore.open(url) as store:
        store.append_many([("note", {"i": i}) for i in range(1, 4)])
    kept = tmp_path / "checkpoint.json"
    created = _checkpoint(cli, url, key_a, "-o", kept)
    assert created.exit_code == 0
    assert _fingerprint(key_a) in created.stderr
    result = cli("audit", "verify", "--store", url, "--checkpoint", kept)
    assert result.exit_code == 0
    assert f"first checkpoint (entry 4) signed by key {_fingerprint(key_a)}" in result.stdout
    assert f"key {_fingerprint(key_a)}" in result.stdout.splitlines()[-1]


def test_the_web_audit_page_shows_the_checkpoint_key(
    cli: Run, url: str, key_a: SigningConfig
) -> None:
    from fastapi.testclient import TestClient

    from governance.serve.app import create_app
    from tests.serve.conftest import config_for

    with AuditStore.open(url) as store:
        store.append("note", {"i": 1})
    assert _checkpoint(cli, url, key_a).exit_code == 0
    with TestClient(
        create_app(config_for(url)), base_url="http://localhost", raise_server_exceptions=True
    ) as client:
        page = client.get("/audit").text
    assert f'(key <code class="digest">{_fingerprint(key_a)}</code>)' in page
