"""A waiver with an approval_role holds only once that role approved it in the store."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from governance.audit import AuditStore
from tests.approvals.conftest import configuration, write_key
from tests.conftest import CliRun

POLICY = """
apiVersion: governance/v1
kind: Policy
metadata:
  name: strict-accuracy
  version: 1.0.0
rules:
  - id: accuracy
    title: Accuracy
    severity: high
    check: performance.metric
    params:
      metric: accuracy
    threshold:
      min: 0.99
"""

WAIVERS = """
apiVersion: governance/v1
kind: Waivers
waivers:
  - rule_id: accuracy
    subject: {model: synthetic}
    justification: A manual review follows every decision.
    approved_by: model-risk-committee@example.org
    ticket: GOV-7
    expires: 2099-12-31
    approval_role: risk_owner
"""


def test_the_waiver_holds_only_after_its_role_approved_it(
    run_cli: CliRun,
    manifest_path: Path,
    write: Callable[[str, str], Path],
    tmp_path: Path,
) -> None:
    policy = write("strict.yaml", POLICY)
    waivers = write("waivers.yaml", WAIVERS)
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    config = write("governance.yml", configuration(tmp_path, url))
    for name, kind in (("vera", "ed25519"), ("rick", "ec"), ("olivia", "ed25519")):
        write_key(tmp_path / f"{name}.pem", kind)
    check = ("check", manifest_path, "-p", policy, "--waivers", waivers, "--config", config)

    pending = run_cli(*check)
    assert pending.exit_code == 1, pending
    assert "awaits approval by risk_owner" in pending.stdout
    found = re.search(r"--waiver (sha256:[0-9a-f]{64}) --role risk_owner", pending.stdout)
    assert found is not None, pending.stdout
    digest = found.group(1)

    # a validator cannot stand in for the risk owner
    wrong = run_cli(
        "approve", "--waiver", digest, "--role", "risk_owner", "--key", tmp_path / "vera.pem",
        "--config", config,
    )  # fmt: skip
    assert wrong.exit_code == 2
    assert run_cli(*check).exit_code == 1

    approved = run_cli(
        "approve", "--waiver", digest, "--role", "risk_owner", "--key", tmp_path / "rick.pem",
        "--comment", "accepted for 2027", "--config", config,
    )  # fmt: skip
    assert approved.exit_code == 0, approved
    waived = run_cli(*check)
    assert waived.exit_code == 0, waived
    assert "awaits approval" not in waived.stdout


def test_a_malformed_waiver_digest_is_refused(
    run_cli: CliRun, write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    config = write("governance.yml", configuration(tmp_path, url))
    for name, kind in (("vera", "ed25519"), ("rick", "ec"), ("olivia", "ed25519")):
        write_key(tmp_path / f"{name}.pem", kind)
    AuditStore.open(url).close()
    result = run_cli(
        "approve", "--waiver", "GOV-7", "--role", "risk_owner", "--key", tmp_path / "rick.pem",
        "--config", config,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "a waiver is named by its digest" in result.stderr
