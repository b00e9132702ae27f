"""The append-only triggers of audit_log: dropping, replacing or disabling them is noticed.

Whoever can change the database's schema can take the triggers away and then edit the log.
The chain still shows such edits; these tests are about the triggers themselves: `audit verify`
reports one that is not in place, naming it, and opening the store puts it back and records
that in the log, so the fix is never silent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from governance.audit import AuditStore
from governance.store import sqlite_url_for
from tests.conftest import CliResult
from tests.pg import postgres_server, postgres_url  # noqa: F401 - fixtures

Run = Callable[..., CliResult]

SQLITE_ATTACKS = {
    "dropped": ["DROP TRIGGER audit_log_no_update"],
    "replaced": [
        "DROP TRIGGER audit_log_no_update",
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log WHEN 0 "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
}
PG_ATTACKS = {
    "dropped": ["DROP TRIGGER audit_log_no_update_delete ON audit_log"],
    "disabled": ["ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"],
    "function replaced": [
        "CREATE OR REPLACE FUNCTION governance_audit_log_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN COALESCE(NEW, OLD); END $$"
    ],
}
CASES = [
    *(pytest.param("sqlite", attack, id=f"sqlite-{attack}") for attack in SQLITE_ATTACKS),
    *(
        pytest.param("postgresql", attack, id=f"postgresql-{attack}", marks=pytest.mark.postgres)
        for attack in PG_ATTACKS
    ),
]
TRIGGER = {"sqlite": "audit_log_no_update", "postgresql": "audit_log_no_update_delete"}
BOTH_PG = ["audit_log_no_update_delete", "audit_log_no_truncate"]  # both call the function


def _named(backend: str, attack: str) -> list[str]:
    """The triggers an attack takes away."""
    return BOTH_PG if attack == "function replaced" else [TRIGGER[backend]]


@pytest.fixture
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    backend = request.node.callspec.params.get("backend", "sqlite")
    if backend == "sqlite":
        return sqlite_url_for(tmp_path / "audit.db")
    found: str = request.getfixturevalue("postgres_url")
    return found


def _attack(url: str, backend: str, attack: str) -> None:
    """Change the schema with the database's own client, as an attacker with DB access would."""
    if backend == "sqlite":
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            for statement in SQLITE_ATTACKS[attack]:
                conn.execute(statement)
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as pg:
        for statement in PG_ATTACKS[attack]:
            pg.execute(statement.encode())


def _update_refused(url: str) -> bool:
    """Whether an UPDATE of a log row, through any client, is refused by a trigger."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE audit_log SET kind = kind WHERE seq = 1")
    except DBAPIError as exc:
        assert "audit_log is append-only" in str(exc)
        return True
    finally:
        engine.dispose()
    return False


@pytest.mark.parametrize(("backend", "attack"), CASES)
def test_verify_names_a_trigger_taken_away_while_the_store_is_open(
    url: str, backend: str, attack: str
) -> None:
    with AuditStore.open(url) as store:
        store.append_many([("note", {"i": i}) for i in range(3)])
        assert store.verify().ok
        _attack(url, backend, attack)
        report = store.verify()
    assert not report.ok
    assert report.first_bad_seq is None  # the chain itself is intact
    names = _named(backend, attack)
    assert len(report.triggers) == len(names)
    for name, problem in zip(names, report.triggers, strict=True):
        assert f"trigger {name} of audit_log" in problem
    assert report.problem == report.triggers[0]


@pytest.mark.parametrize(("backend", "attack"), CASES)
def test_audit_verify_fails_and_the_store_puts_the_trigger_back_on_record(
    url: str, backend: str, attack: str, run_cli: Run
) -> None:
    with AuditStore.open(url) as store:
        store.append_many([("note", {"i": i}) for i in range(3)])
    _attack(url, backend, attack)
    assert not _update_refused(url)

    result = run_cli("audit", "verify", "--store", url)
    assert result.exit_code == 1
    tampered = [line for line in result.stdout.splitlines() if line.startswith("TAMPERED: ")]
    assert len(tampered) == 1
    assert TRIGGER[backend] in tampered[0] and "recorded as entry 4" in tampered[0]

    assert _update_refused(url)
    listed = run_cli("audit", "log", "--store", url, "--kind", "store.triggers_restored")
    assert listed.exit_code == 0
    assert TRIGGER[backend] in listed.stdout
    again = run_cli("audit", "verify", "--store", url)
    assert again.exit_code == 0
    assert f"WARNING: entry 4 records that the append-only triggers {TRIGGER[backend]}" in (
        again.stdout
    )


@pytest.mark.parametrize(("backend", "attack"), CASES)
def test_opening_the_store_restores_the_trigger_and_says_so(
    url: str, backend: str, attack: str, caplog: pytest.LogCaptureFixture
) -> None:
    with AuditStore.open(url) as store:
        store.append("note", {})
    _attack(url, backend, attack)
    with caplog.at_level(logging.WARNING, logger="governance.store"):
        store = AuditStore.open(url, create=False)
    with store:
        restored = store.triggers_restored
        assert restored is not None and restored.kind == "store.triggers_restored"
        assert restored.payload["triggers"] == _named(backend, attack)
        assert store.verify().ok
        assert store.head() == restored
    assert [record.getMessage() for record in caplog.records] == [
        f"audit store {store.url}: the append-only triggers of audit_log were missing or "
        f"altered: {', '.join(_named(backend, attack))} re-created, recorded as entry 2"
    ]
    assert _update_refused(url)
    with AuditStore.open(url, create=False) as reopened:
        assert reopened.triggers_restored is None


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_new_store_has_exactly_the_expected_triggers(url: str, backend: str) -> None:
    with AuditStore.open(url) as store:
        assert store.triggers_restored is None
        report = store.verify()
    assert (report.ok, report.triggers) == (True, ())


def test_the_server_reports_a_trigger_dropped_while_it_runs(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from governance.serve.app import create_app
    from tests.serve.conftest import config_for

    url = sqlite_url_for(tmp_path / "audit.db")
    with AuditStore.open(url) as store:
        store.append_many([("note", {"i": i}) for i in range(3)])
    with TestClient(
        create_app(config_for(url)), base_url="http://localhost", raise_server_exceptions=True
    ) as client:
        _attack(url, "sqlite", "dropped")
        status = client.get("/api/v1/audit/verify").json()
        page = client.get("/audit")
    assert (status["ok"], status["firstBadSeq"]) == (False, None)
    assert "trigger audit_log_no_update of audit_log is missing" in status["problem"]
    assert page.status_code == 200
    assert "Integrity check FAILED</strong>: the append-only trigger audit_log_no_update" in (
        page.text
    )
