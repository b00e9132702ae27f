"""A training run's lineage, recorded by the helper: spec-valid, and enough for the lineage pack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.lineage.training import TrainingRun, clean_remote
from governance.store import sqlite_url_for
from governance.training import record_training_run
from tests.cli.test_init import applications, pipeline, save
from tests.conftest import REPO
from tests.conftest import CliRun as Run
from tests.lineage.spec import validate_event

LINEAGE_PACK = REPO / "policies" / "lineage-completeness.yaml"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Trainer",
    "GIT_AUTHOR_EMAIL": "trainer@example.org",
    "GIT_COMMITTER_NAME": "Trainer",
    "GIT_COMMITTER_EMAIL": "trainer@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
REMOTE = "https://trainer:s3cr3t-token@git.example.org/credit/loans.git"
MANIFEST = """\
apiVersion: governance/v1
kind: Model
metadata:
  name: loans
  version: 1.0.0
  owner: team:credit-ml
  risk_tier: high
  intended_use: Tests.
model:
  path: model.skops
data:
  path: test.csv
  target: approved
  positive_label: "yes"
  sensitive_features: [sex]
"""


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git checkout with a training script, its data and a remote holding a token."""
    frame = applications()
    frame[:1000].to_csv(tmp_path / "train.csv", index=False)
    frame[1000:].to_csv(tmp_path / "test.csv", index=False)
    (tmp_path / "train.py").write_text("# the training code\n")
    (tmp_path / "manifest.yaml").write_text(MANIFEST)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "train.py")
    git(tmp_path, "commit", "-qm", "training code")
    git(tmp_path, "remote", "add", "origin", REMOTE)
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("GOVERNANCE_", "OPENLINEAGE")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GOVERNANCE_STORE_URL", sqlite_url_for(tmp_path / "audit.db"))
    return tmp_path


@pytest.fixture
def cli(run_cli: Run, checkout: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The CLI, with the checkout's store (run_cli removes the developer's store setting)."""
    monkeypatch.setenv("GOVERNANCE_STORE_URL", sqlite_url_for(checkout / "audit.db"))
    return run_cli


def stored_events(folder: Path) -> list[dict[str, Any]]:
    with AuditStore.open(sqlite_url_for(folder / "audit.db"), create=False) as store:
        return [json.loads(e.payload_json) for e in store.entries(kind="openlineage.event")]


def train(folder: Path) -> None:
    save(pipeline(), applications()[:1000], "approved", folder / "model.skops")


def test_the_events_are_valid_openlineage(checkout: Path) -> None:
    run = TrainingRun.begin(
        "loans.train",
        inputs=["train.csv"],
        outputs=["model.skops"],
        owner="team:credit-ml",
        code="train.py",
        description="Fit the loan model.",
    )
    train(checkout)
    events = [run.start_event(), run.complete_event(), run.fail_event("it broke")]
    for event in events:
        validate_event(event)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE", "FAIL"]
    start, complete, _ = events
    assert {e["run"]["runId"] for e in events} == {run.run_id}
    dataset = complete["inputs"][0]
    assert dataset["name"] == "train.csv"  # from the checkout's top, as `check` names it
    fields = [f["name"] for f in dataset["facets"]["schema"]["fields"]]
    assert fields == list(applications().columns)
    assert dataset["facets"]["ownership"]["owners"] == [
        {"name": "team:credit-ml", "type": "MAINTAINER"}
    ]
    model = complete["outputs"][0]
    assert model["facets"]["version"]["datasetVersion"].startswith("sha256:")
    assert "facets" not in start["outputs"][0] or not start["outputs"][0]["facets"]
    location = complete["job"]["facets"]["sourceCodeLocation"]
    assert location["version"] == git(checkout, "rev-parse", "HEAD")
    assert location["path"] == "train.py"
    assert location["url"] == "https://git.example.org/credit/loans.git"


def test_a_recorded_training_run_passes_the_lineage_pack(checkout: Path, cli: Run) -> None:
    with record_training_run(
        "loans.train", inputs=["train.csv"], outputs=["model.skops"], owner="team:credit-ml"
    ):
        train(checkout)
    gate = cli("check", "manifest.yaml", "-p", LINEAGE_PACK, "--format", "json")
    assert gate.exit_code == 0, gate.stdout + gate.stderr
    outcomes = {f["rule_id"]: f["outcome"] for f in json.loads(gate.stdout)["findings"]}
    assert set(outcomes.values()) == {"pass"}, outcomes
    assert len(outcomes) == 5
    # the remote's token never reaches the audit log
    assert "s3cr3t" not in (checkout / "audit.db").read_bytes().decode("latin-1")


def test_without_the_helper_the_pack_fails(checkout: Path, cli: Run) -> None:
    train(checkout)
    gate = cli("check", "manifest.yaml", "-p", LINEAGE_PACK)
    assert gate.exit_code == 1


def test_an_error_in_the_block_records_fail_and_goes_on(checkout: Path) -> None:
    with (
        pytest.raises(ValueError, match="bad data"),
        record_training_run("loans.train", inputs=["train.csv"], outputs=["model.skops"]),
    ):
        raise ValueError("bad data")
    events = stored_events(checkout)
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    error = events[1]["run"]["facets"]["errorMessage"]
    assert error["message"] == "ValueError: bad data"


def test_an_output_not_written_is_a_fail(checkout: Path) -> None:
    from governance.errors import LineageError

    with (
        pytest.raises(LineageError, match="did not write"),
        record_training_run("loans.train", inputs=["train.csv"], outputs=["model.skops"]),
    ):
        pass
    assert [e["eventType"] for e in stored_events(checkout)] == ["START", "FAIL"]


def test_the_cli_records_around_a_command(
    checkout: Path, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the training command imports the tests' model builders
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    script = (
        "from tests.cli.test_init import applications, pipeline, save; from pathlib import Path; "
        "save(pipeline(), applications()[:1000], 'approved', Path('model.skops'))"
    )
    result = cli(
        *("lineage", "record", "--job", "loans.train", "--owner", "team:credit-ml"),
        *("--input", "train.csv", "--output", "model.skops", "--code", "train.py"),
        *("--", sys.executable, "-c", script),
    )
    assert result.exit_code == 0, result.stderr
    assert "START, COMPLETE" in result.stderr
    gate = cli("check", "manifest.yaml", "-p", LINEAGE_PACK)
    assert gate.exit_code == 0, gate.stdout + gate.stderr

    failed = cli(
        *("lineage", "record", "--job", "loans.train", "--input", "train.csv"),
        *("--output", "model.skops", "--", sys.executable, "-c", "raise SystemExit(3)"),
    )
    assert failed.exit_code == 3
    events = stored_events(checkout)
    assert [e["eventType"] for e in events][-2:] == ["START", "FAIL"]
    assert events[-1]["run"]["facets"]["errorMessage"]["message"].endswith("exited with 3")


def test_a_missing_input_records_nothing(checkout: Path, cli: Run) -> None:
    result = cli(
        "lineage", "record", "--job", "loans.train", "--input", "nope.csv", "--output", "m.skops"
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["Error: nope.csv: training data file not found"]
    assert not (checkout / "audit.db").exists()


def test_without_a_command_the_outputs_must_exist(checkout: Path, cli: Run) -> None:
    result = cli(
        "lineage", "record", "--job", "t", "--input", "train.csv", "--output", "model.skops"
    )
    assert result.exit_code == 2
    assert not (checkout / "audit.db").exists()
    train(checkout)
    done = cli("lineage", "record", "--job", "t", "--input", "train.csv", "--output", "model.skops")
    assert done.exit_code == 0, done.stderr
    assert [e["eventType"] for e in stored_events(checkout)] == ["START", "COMPLETE"]


@pytest.mark.parametrize(
    ("remote", "clean"),
    [
        (REMOTE, "https://git.example.org/credit/loans.git"),
        ("git@github.com:org/repo.git", "ssh://github.com/org/repo.git"),
        ("ssh://git:pw@host:22/org/repo", "ssh://host:22/org/repo"),
        ("https://host/org/repo.git", "https://host/org/repo.git"),
    ],
)
def test_remote_urls_lose_their_credentials(remote: str, clean: str) -> None:
    assert clean_remote(remote) == clean
