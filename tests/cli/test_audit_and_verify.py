"""The proof side: `audit log`, `audit verify` on a tampered store, `verify` on tampered reports."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import Run


@pytest.fixture
def store(run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    for _ in range(2):
        assert run("check", manifest_path, "-p", policy_path, "--store", url).exit_code == 0
    return url


def test_audit_log_lists_every_entry_in_order(run: Run, store: str) -> None:
    result = run("audit", "log", "--store", store, "--format", "json")
    entries = json.loads(result.stdout)
    assert [e["seq"] for e in entries] == list(range(1, 7))
    kinds = [e["kind"] for e in entries]
    assert kinds == ["openlineage.event", "evaluation", "openlineage.event"] * 2
    assert [e["payload"].get("eventType") for e in entries[::3]] == ["START", "START"]
    assert entries[1]["payload"]["verdict"] == "passed"
    text = run("audit", "log", "--store", store, "--kind", "evaluation").stdout.splitlines()
    assert len(text) == 2 and "synthetic 0.1.0: passed" in text[0]


def test_audit_verify_passes_then_names_the_edited_entry(
    run: Run, store: str, tmp_path: Path
) -> None:
    ok = run("audit", "verify", "--store", store)
    assert ok.exit_code == 0 and ok.stdout.startswith("OK: 6 entries")
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        triggers = [
            r[0] for r in conn.execute("select name from sqlite_master where type='trigger'")
        ]
        for name in triggers:
            conn.execute(f'drop trigger "{name}"')
        payload = conn.execute("select payload from audit_log where seq = 2").fetchone()[0]
        conn.execute(
            "update audit_log set payload = ? where seq = 2",
            (payload.replace('"verdict":"passed"', '"verdict":"failed"'),),
        )
    bad = run("audit", "verify", "--store", store)
    assert bad.exit_code == 1
    assert bad.stdout.startswith(
        "TAMPERED: entry 2 was altered: its hash does not match its contents\n"
    )  # the entry named once


def test_the_store_refuses_updates_through_sql(store: str, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "audit.db") as conn, pytest.raises(sqlite3.DatabaseError):
        conn.execute("delete from audit_log where seq = 1")


def test_audit_verify_on_a_missing_store_is_an_error_not_an_empty_success(
    run: Run, tmp_path: Path
) -> None:
    result = run("audit", "verify", "--store", f"sqlite:///{tmp_path / 'nope.db'}")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert not (tmp_path / "nope.db").exists()


def test_audit_verify_of_an_empty_store_says_so(run: Run, tmp_path: Path) -> None:
    from governance.audit import AuditStore

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    AuditStore.open(url).close()
    result = run("audit", "verify", "--store", url)
    assert result.exit_code == 0
    assert result.stdout == "OK: 0 entries, chain intact, the log is empty\n"


@pytest.fixture
def signed_report(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> tuple[Path, Path]:
    keys = tmp_path / "keys"
    assert run("keys", "init", "--dir", keys).exit_code == 0
    report = tmp_path / "report.pdf"
    result = run(
        "check",
        manifest_path,
        "-p",
        policy_path,
        "--store",
        f"sqlite:///{tmp_path / 'audit.db'}",
        "--report",
        report,
        "--signing-key",
        keys / "governance-dev-key.pem",
        "--signing-cert",
        keys / "governance-dev-cert.pem",
    )
    assert result.exit_code == 0, result.stderr
    assert f"Report (signed): {report}" in result.stderr
    return report, keys / "governance-dev-cert.pem"


def test_verify_accepts_the_report_and_rejects_tampered_copies(
    run: Run, signed_report: tuple[Path, Path], tmp_path: Path
) -> None:
    report, cert = signed_report
    good = run("verify", report, "--trust-root", cert)
    assert good.exit_code == 0 and good.stdout.startswith("VALID:")
    assert run("verify", report).exit_code == 1  # not trusted without a root

    data = report.read_bytes()
    flipped = tmp_path / "flipped.pdf"
    middle = len(data) // 3
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :])
    appended = tmp_path / "appended.pdf"
    appended.write_bytes(data + b"\n% appended after signing\n")
    for tampered in (flipped, appended):
        result = run("verify", tampered, "--trust-root", cert)
        assert result.exit_code == 1, tampered
        assert result.stdout.startswith("INVALID:")


def test_the_report_is_recorded_in_the_store(
    run: Run, signed_report: tuple[Path, Path], tmp_path: Path
) -> None:
    report, _ = signed_report
    result = run(
        "audit",
        "log",
        "--store",
        f"sqlite:///{tmp_path / 'audit.db'}",
        "--kind",
        "report",
        "--format",
        "json",
    )
    [entry] = json.loads(result.stdout)
    assert entry["payload"]["path"] == str(report)
    assert entry["payload"]["signed"] is True and entry["payload"]["dev_key"] is True
    assert entry["payload"]["digest"] == "sha256:" + hashlib.sha256(report.read_bytes()).hexdigest()


def test_check_takes_its_signing_key_from_the_config_file(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    assert run("keys", "init", "--dir", keys).exit_code == 0
    config = tmp_path / "settings.yml"
    config.write_text(
        f"signing_key: {keys / 'governance-dev-key.pem'}\n"
        f"signing_cert: {keys / 'governance-dev-cert.pem'}\n"
        f"store_url: sqlite:///{tmp_path / 'audit.db'}\n"
    )
    report = tmp_path / "report.pdf"
    result = run("check", manifest_path, "-p", policy_path, "--config", config, "--report", report)
    assert result.exit_code == 0, result.stderr
    assert f"Report (signed): {report}" in result.stderr
