"""No two outputs of one check may write the same file: refused before anything is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.conftest import REPO

MANIFEST = REPO / "samples" / "adult-income" / "baseline.yaml"
POLICY = REPO / "policies" / "fairness-baseline.yaml"


@pytest.mark.parametrize(
    ("report_name", "format_name", "sign", "what"),
    [
        ("r.pdf", "r.pdf", False, "the report"),
        ("r.pdf", "r.intoto.json", True, "the report's attestation"),
    ],
)
def test_a_format_may_not_overwrite_the_report(
    run: Run, tmp_path: Path, report_name: str, format_name: str, sign: bool, what: str
) -> None:
    store = tmp_path / "audit.db"
    report, target = tmp_path / report_name, tmp_path / format_name
    args = ["check", MANIFEST, "-p", POLICY, "--store", f"sqlite:///{store}"]
    args += ["--report", report, "--format", f"json={target}"]
    if not sign:
        args.append("--no-sign")
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {what} and format json would both write {target}")
    assert not store.exists() and not report.exists() and not target.exists()
