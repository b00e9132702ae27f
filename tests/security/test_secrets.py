"""Secrets stay secret: the signing key and a store password appear in no output or evidence."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import REPO, CliRun

BASELINE = REPO / "samples" / "adult-income" / "baseline.yaml"
FAIRNESS = REPO / "policies" / "fairness-baseline.yaml"


def test_the_signing_key_is_in_no_output_store_or_report(run_cli: CliRun, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert run_cli("keys", "init", "--dir", keys).exit_code == 0
    key = keys / "governance-dev-key.pem"
    secret_lines = [
        line
        for line in key.read_text(encoding="ascii").splitlines()
        if line and not line.startswith("-----")
    ]
    db = tmp_path / "audit.db"
    store = f"sqlite:///{db}"
    report = tmp_path / "report.pdf"
    result = run_cli(
        "check", BASELINE, "--policy", FAIRNESS, "--store", store, "--report", report,
        "--signing-key", key, "--signing-cert", keys / "governance-dev-cert.pem",
        "--format", f"json={tmp_path / 'out.json'}",
    )  # fmt: skip
    assert result.exit_code == 1
    checkpoint = run_cli(
        "audit", "checkpoint", "--store", store, "--signing-key", key,
        "--signing-cert", keys / "governance-dev-cert.pem",
    )  # fmt: skip
    assert checkpoint.exit_code == 0
    with sqlite3.connect(db) as conn:
        payloads = "\n".join(row[0] for row in conn.execute("SELECT payload FROM audit_log"))
    conn.close()
    written = [
        result.stdout,
        result.stderr,
        checkpoint.stdout,
        checkpoint.stderr,
        payloads,
        (tmp_path / "out.json").read_text(encoding="utf-8"),
        report.read_bytes().decode("latin-1"),
        str(key),  # nowhere below does the key's own path appear either
    ]
    for line in secret_lines:
        assert all(line not in text for text in written[:-1])
    assert all(str(key) not in text for text in written[:-2])


def test_a_store_password_is_masked_in_errors(run_cli: CliRun) -> None:
    url = "postgresql://auditor:s3cr3t-pw@127.0.0.1:9/audit"
    result = run_cli("audit", "verify", "--store", url)
    assert result.exit_code == 2
    assert "s3cr3t-pw" not in result.stdout + result.stderr
    assert "auditor:***@" in result.stderr
