"""--dry-run (dry_run=True): evaluated and printed, nothing recorded, and every output says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import governance
from governance.reporting.formats import FORMAT_NAMES
from tests.api.conftest import log_size
from tests.conftest import CliRun

MARK = "dry run: not recorded"


def test_a_dry_run_leaves_an_existing_store_byte_identical(
    manifest_path: Path, policy_path: Path, tmp_path: Path, run_cli: CliRun
) -> None:
    db = tmp_path / "audit.db"
    url = f"sqlite:///{db}"
    recorded = governance.check(manifest_path, policy_path, store=url)
    before = db.read_bytes()
    dry = governance.check(manifest_path, policy_path, store=url, dry_run=True)
    result = run_cli("check", manifest_path, "-p", policy_path, "--store", url, "--dry-run")
    assert result.exit_code == 0 and MARK in result.stdout
    assert db.read_bytes() == before and log_size(db) == 3
    assert not dry.recorded and dry.to_dict()["dry_run"] is True
    assert dry.evaluation_id != recorded.evaluation_id
    assert "dry_run" not in recorded.to_dict()  # a stored record never carries it


def test_a_dry_run_creates_no_store(
    manifest_path: Path, policy_path: Path, tmp_path: Path, run_cli: CliRun
) -> None:
    db = tmp_path / "new" / "audit.db"
    result = run_cli(
        "check", manifest_path, "-p", policy_path, "--store", f"sqlite:///{db}", "--dry-run"
    )
    assert result.exit_code == 0
    assert not db.parent.exists()


def test_a_dry_run_forwards_no_lineage_event(
    manifest_path: Path,
    policy_path: Path,
    tmp_path: Path,
    run_cli: CliRun,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sink = tmp_path / "events"
    config = tmp_path / "openlineage.yml"
    config.write_text(f"transport:\n  type: file\n  log_file_path: {sink}\n", encoding="utf-8")
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    store = ["--store", f"sqlite:///{tmp_path / 'audit.db'}"]
    assert run_cli("check", manifest_path, "-p", policy_path, *store, "--dry-run").exit_code == 0
    assert not list(tmp_path.glob("events*"))
    assert run_cli("check", manifest_path, "-p", policy_path, *store).exit_code == 0
    assert list(tmp_path.glob("events*"))  # the same configuration forwards a recorded check


def test_every_output_format_says_dry_run(
    manifest_path: Path, policy_path: Path, tmp_path: Path, run_cli: CliRun
) -> None:
    specs = [f"--format={name}={tmp_path / f'out.{name}'}" for name in FORMAT_NAMES]
    db = tmp_path / "audit.db"
    result = run_cli(
        "check", manifest_path, "-p", policy_path, "--store", f"sqlite:///{db}", *specs, "--dry-run"
    )
    assert result.exit_code == 0, result.stderr
    for name in FORMAT_NAMES:
        text = (tmp_path / f"out.{name}").read_text(encoding="utf-8")
        if name == "json":
            assert json.loads(text)["dry_run"] is True
        else:
            assert MARK in text, name
    assert not db.exists()
    specs = [spec.replace("out.", "recorded.") for spec in specs]
    recorded = run_cli(
        "check", manifest_path, "-p", policy_path, "--store", f"sqlite:///{db}", *specs
    )
    assert recorded.exit_code == 0
    for name in FORMAT_NAMES:
        assert "dry" not in (tmp_path / f"recorded.{name}").read_text(encoding="utf-8"), name


def test_a_dry_run_record_is_valid_against_the_record_schema(
    manifest_path: Path, policy_path: Path
) -> None:
    import jsonschema

    from governance.record import record_schema

    record = governance.check(manifest_path, policy_path, dry_run=True).to_dict()
    jsonschema.validate(record, record_schema())


def test_dry_run_refuses_a_report_as_a_usage_error(
    manifest_path: Path, policy_path: Path, tmp_path: Path, run_cli: CliRun
) -> None:
    result = run_cli(
        "check", manifest_path, "-p", policy_path, "--dry-run", "--report", tmp_path / "r.pdf"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: report: a dry run records nothing, so it has no report")
    assert not (tmp_path / ".governance").exists()
