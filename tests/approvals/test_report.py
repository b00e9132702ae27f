"""The report and the web view show an evaluation's approvals and the roles still missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.audit import AuditStore
from tests.approvals.conftest import configuration, write_key
from tests.conftest import REPO, CliRun

RECORD = Path(__file__).resolve().parents[1] / "reporting" / "evaluation.json"


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path, Path]:
    """The reporting fixture's record in a store, and a configuration with approvers."""
    for name in ("GOVERNANCE_SIGNING_KEY", "GOVERNANCE_SIGNING_CERT", "GOVERNANCE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with AuditStore.open(url) as store:
        store.append("evaluation", record)
    config = tmp_path / "governance.yml"
    config.write_text(configuration(tmp_path, url), encoding="utf-8")
    key = write_key(tmp_path / "vera.pem", "ed25519")
    write_key(tmp_path / "rick.pem", "ec")
    write_key(tmp_path / "olivia.pem", "ed25519")
    return record["evaluation_id"], config, key


def test_the_report_lists_approvals_and_missing_roles(
    recorded: tuple[str, Path, Path], run_cli: CliRun, tmp_path: Path
) -> None:
    from tests.reporting.conftest import pypdf_text

    evaluation_id, config, key = recorded
    approved = run_cli(
        "approve", evaluation_id, "--role", "validator", "--key", key,
        "--comment", "Backtest reproduced on the 2026 holdout", "--config", config,
    )  # fmt: skip
    assert approved.exit_code == 0, approved
    out = tmp_path / "report.pdf"
    theme = ("--templates", REPO / "report_templates")  # this checkout's theme, installed or not
    result = run_cli("report", evaluation_id, "-o", out, "--no-sign", *theme, "--config", config)
    assert result.exit_code == 0, result
    text = " ".join(pypdf_text(out).split())
    assert "Approvals" in text
    assert "Missing: risk_owner" in text
    assert "vera" in text and "Backtest reproduced on the 2026 holdout" in text
    assert "VALID" in text


def test_verify_with_approvals_requires_every_role_of_the_tier(
    recorded: tuple[str, Path, Path],
    run_cli: CliRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from governance.reporting import init_dev_keys

    evaluation_id, config, key = recorded
    keys = init_dev_keys(tmp_path / "keys")
    monkeypatch.setenv("GOVERNANCE_SIGNING_KEY", str(keys.key))
    monkeypatch.setenv("GOVERNANCE_SIGNING_CERT", str(keys.cert))
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    out = tmp_path / "report.pdf"
    theme = ("--templates", REPO / "report_templates")
    assert run_cli("report", evaluation_id, "-o", out, *theme, "--config", config).exit_code == 0
    verify = ("verify", out, "--trust-root", keys.cert, "--store", url, "--config", config)
    run_cli("approve", evaluation_id, "--role", "validator", "--key", key, "--config", config)
    missing = run_cli(*verify, "--approvals")
    assert missing.exit_code == 1, missing
    assert "NOT APPROVED" in missing.stdout and "missing: no valid approval in role risk_owner" in (
        missing.stdout
    )
    assert run_cli(*verify).exit_code == 0  # the report itself is valid: approvals asked for only
    rick = tmp_path / "rick.pem"
    run_cli("approve", evaluation_id, "--role", "risk_owner", "--key", rick, "--config", config)
    complete = run_cli(*verify, "--approvals")
    assert complete.exit_code == 0, complete
    assert "approvals: validator (vera), risk_owner (rick)" in complete.stdout
    no_store = run_cli("verify", out, "--trust-root", keys.cert, "--approvals")
    assert no_store.exit_code == 2 and "give --store" in no_store.stderr
