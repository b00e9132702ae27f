"""The query tables cannot decide: edits to them change no decision, and `audit verify` finds them.

The attacker can write the database (UPDATE, DELETE, INSERT on any table except the log, whose
triggers refuse changes). Each test is an attack that earlier versions let through.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, CliRun

SAMPLE = REPO / "samples" / "adult-income"
MITIGATED = SAMPLE / "mitigated.yaml"
BASELINE = SAMPLE / "baseline.yaml"
LINEAGE_PACK = REPO / "policies" / "lineage-completeness.yaml"
FAIRNESS_PACK = REPO / "policies" / "fairness-baseline.yaml"


def sql(db: Path, statement: str, *params: Any) -> int:
    """Run one statement as an attacker with the database file would; return rows changed."""
    with sqlite3.connect(db) as conn:
        changed = conn.execute(statement, params).rowcount
    conn.close()
    return changed


def log_size(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        (size,) = conn.execute("SELECT count(*) FROM audit_log").fetchone()
    conn.close()
    return int(size)


@pytest.fixture
def failed_training(tmp_path: Path) -> Path:
    """The adult sample's lineage, but its training run ended FAIL."""
    folder = tmp_path / "lineage"
    folder.mkdir()
    for source in sorted((SAMPLE / "lineage").iterdir()):
        if source.suffix not in (".json", ".jsonl"):
            continue
        text = source.read_text(encoding="utf-8")
        if source.name == "03-train.jsonl":
            events = [json.loads(line) for line in text.splitlines() if line.strip()]
            for event in events:
                if event["eventType"] == "COMPLETE":
                    event["eventType"] = "FAIL"
            text = "".join(json.dumps(event) + "\n" for event in events)
        (folder / source.name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    # The sample's lineage names files relative to the repository (file:samples/...).
    monkeypatch.chdir(REPO)


@pytest.mark.usefixtures("in_repo")
def test_an_edited_run_state_does_not_pass_a_failed_lineage_gate(
    run_cli: CliRun, tmp_path: Path, failed_training: Path
) -> None:
    db = tmp_path / "audit.db"
    store = f"sqlite:///{db}"
    assert run_cli("lineage", "ingest", failed_training, "--store", store).exit_code == 0
    check = ("check", MITIGATED, "--policy", LINEAGE_PACK, "--store", store)
    blocked = run_cli(*check)
    assert blocked.exit_code == 1
    assert "lineage-completeness.no-failed-runs" in blocked.stdout

    assert sql(db, "UPDATE lineage_runs SET state = 'COMPLETE'") > 0
    before = log_size(db)
    tampered = run_cli(*check)
    assert tampered.exit_code == 1
    assert "do not match its log" in tampered.stderr
    assert "Verdict: PASSED" not in tampered.stdout
    assert log_size(db) == before  # nothing recorded on a store that lies

    verify = run_cli("audit", "verify", "--store", store)
    assert verify.exit_code == 1
    assert "lineage_runs" in verify.stdout
    assert "state is 'COMPLETE', the log implies 'FAIL'" in verify.stdout

    assert run_cli("audit", "rebuild", "--store", store).exit_code == 0
    assert run_cli("audit", "verify", "--store", store).exit_code == 0
    assert run_cli(*check).exit_code == 1  # the genuine verdict again


@pytest.mark.usefixtures("in_repo")
@pytest.mark.parametrize(
    "attack",
    [
        "DELETE FROM lineage_job_inputs",
        "DELETE FROM lineage_run_io WHERE direction = 'input'",
        "UPDATE lineage_facets SET value = '{}'",
    ],
)
def test_an_edited_lineage_graph_is_refused_not_decided_on(
    run_cli: CliRun, tmp_path: Path, attack: str
) -> None:
    db = tmp_path / "audit.db"
    store = f"sqlite:///{db}"
    assert run_cli("lineage", "ingest", SAMPLE / "lineage", "--store", store).exit_code == 0
    check = ("check", MITIGATED, "--policy", LINEAGE_PACK, "--store", store)
    genuine = run_cli(*check)
    assert sql(db, attack) > 0
    tampered = run_cli(*check)
    assert tampered.exit_code == 1, (genuine.stdout, tampered.stdout)
    assert "do not match its log" in tampered.stderr
    assert run_cli("audit", "verify", "--store", store).exit_code == 1


def test_edited_evaluation_rows_change_no_listing_and_are_reported(
    run_cli: CliRun, tmp_path: Path
) -> None:
    from governance.audit import AuditStore

    db = tmp_path / "audit.db"
    store = f"sqlite:///{db}"
    assert run_cli("check", BASELINE, "--policy", FAIRNESS_PACK, "--store", store).exit_code == 1
    sql(db, "UPDATE evaluations SET verdict = 'passed', exit_code = 0")
    sql(db, "UPDATE findings SET outcome = 'pass', blocking = 0")

    with AuditStore.open(store, create=False) as opened:
        (summary,) = opened.evaluations()
        assert (summary.verdict, summary.exit_code) == ("failed", 1)
        assert opened.get_evaluation("latest")["verdict"] == "failed"

    verify = run_cli("audit", "verify", "--store", store)
    assert verify.exit_code == 1
    assert "evaluations: 1 row differs" in verify.stdout
    assert "verdict is 'passed', the log implies 'failed'" in verify.stdout
    assert "findings:" in verify.stdout


def test_a_deleted_evaluation_row_does_not_make_an_older_one_latest(
    run_cli: CliRun, tmp_path: Path
) -> None:
    from governance.audit import AuditStore

    db = tmp_path / "audit.db"
    store = f"sqlite:///{db}"
    mitigated = ("check", MITIGATED, "--policy", FAIRNESS_PACK, "--store", store)
    baseline = ("check", BASELINE, "--policy", FAIRNESS_PACK, "--store", store)
    assert run_cli(*mitigated).exit_code == 0  # older, passing
    assert run_cli(*baseline).exit_code == 1  # newer, blocked
    with AuditStore.open(store, create=False) as opened:
        newest = opened.get_evaluation("latest")
    assert newest["verdict"] == "failed"

    sql(db, "DELETE FROM findings WHERE evaluation_id = ?", newest["evaluation_id"])
    sql(db, "DELETE FROM evaluations WHERE evaluation_id = ?", newest["evaluation_id"])

    with AuditStore.open(store, create=False) as opened:
        latest = opened.get_evaluation("latest")
        latest_of_model = opened.get_evaluation("latest", model="adult-income")
    assert latest["evaluation_id"] == newest["evaluation_id"]
    assert latest_of_model["evaluation_id"] == newest["evaluation_id"]
    verify = run_cli("audit", "verify", "--store", store)
    assert verify.exit_code == 1
    assert "evaluations: 1 row differs from what the log implies (1 missing)" in verify.stdout


def test_an_inserted_evaluation_row_is_reported(run_cli: CliRun, tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    store = f"sqlite:///{db}"
    assert run_cli("check", BASELINE, "--policy", FAIRNESS_PACK, "--store", store).exit_code == 1
    sql(
        db,
        "INSERT INTO evaluations SELECT 'forged', model_name, model_version, 'passed', 0, "
        "started_at, finished_at, 1 FROM evaluations",
    )
    verify = run_cli("audit", "verify", "--store", store)
    assert verify.exit_code == 1
    assert "not implied by any log entry" in verify.stdout


def test_the_server_lists_verdicts_from_the_log_and_reports_edited_tables(
    run_cli: CliRun, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from governance.serve.app import create_app
    from tests.serve.conftest import config_for

    db = tmp_path / "audit.db"
    store = f"sqlite:///{db}"
    assert run_cli("check", BASELINE, "--policy", FAIRNESS_PACK, "--store", store).exit_code == 1
    sql(db, "UPDATE evaluations SET verdict = 'passed', exit_code = 0")

    with TestClient(create_app(config_for(store)), base_url="http://localhost") as client:
        listed = client.get("/api/v1/evaluations").json()
        models = client.get("/api/v1/models").json()
        verify = client.get("/api/v1/audit/verify").json()
        page = client.get("/models/adult-income").text
        tables = client.get("/audit/tables").text
    assert [item["verdict"] for item in listed["evaluations"]] == ["failed"]
    assert models["models"][0]["latest"]["verdict"] == "failed"
    assert verify["ok"] is False
    assert verify["tables"]["differences"][0]["table"] == "evaluations"
    assert "✖ failed" in page
    assert "✔ passed" not in page
    assert "The query tables were edited" in tables
    assert "verdict is &#39;passed&#39;, the log implies &#39;failed&#39;" in tables


def test_the_server_lists_reports_from_their_log_entries(run_cli: CliRun, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from governance.serve.app import create_app
    from tests.serve.conftest import config_for

    db = tmp_path / "audit.db"
    store = f"sqlite:///{db}"
    report = tmp_path / "adult.pdf"
    keys = tmp_path / "keys"
    assert run_cli("keys", "init", "--dir", keys).exit_code == 0
    signing = ("--signing-key", keys / "governance-dev-key.pem")
    signing += ("--signing-cert", keys / "governance-dev-cert.pem")
    check = ("check", BASELINE, "--policy", FAIRNESS_PACK, "--store", store, "--report", report)
    assert run_cli(*check, *signing).exit_code == 1
    sql(db, "UPDATE reports SET path = '/etc/passwd', digest = NULL, signed = 0")

    with TestClient(create_app(config_for(store)), base_url="http://localhost") as client:
        (listed,) = client.get("/api/v1/reports").json()["reports"]
    assert listed["fileName"] == "adult.pdf"
    assert listed["digest"] and listed["digest"].startswith("sha256:")
    assert listed["signed"] is True
