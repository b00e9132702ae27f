"""Fixtures for the audit store tests: one store per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.store import sqlite_url_for
from tests.pg import postgres_server, postgres_url  # noqa: F401 - fixtures

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

EVALUATION: dict[str, Any] = {
    "schema_version": 1,
    "evaluation_id": "019375a2-8a4e-7c3b-9f1e-2b8f6f0c1d2e",
    "started_at": "2026-11-27T14:00:00.123456Z",
    "finished_at": "2026-11-27T14:00:02.654321Z",
    "tool": {"name": "governance", "version": "0.1.0.dev0"},
    "namespace": "governance",
    "model": {"name": "adult-income", "version": "1.0.0", "risk_tier": "high"},
    "policies": [{"name": "fairness-baseline", "version": "1.0.0", "digest": "sha256:" + "a" * 64}],
    "verdict": "failed",
    "exit_code": 1,
    "summary": {"rules": 2, "pass": 1, "fail": 1, "blocking": 1},
    "findings": [
        {
            "rule_id": "four-fifths-sex",
            "policy": "fairness-baseline",
            "severity": "high",
            "outcome": "fail",
            "blocking": True,
            "measured": 0.3127,
            "threshold": {"min": 0.8, "max": None},
            "evidence": {"groups": [{"label": "Female × White", "count": 5421}]},
        },
        {
            "rule_id": "accuracy",
            "policy": "fairness-baseline",
            "severity": "medium",
            "outcome": "pass",
            "blocking": False,
            "measured": 1,
            "threshold": {"min": 0.5, "max": None},
        },
    ],
}


PRODUCER = "https://example.org/producer/1.0"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def run_event(
    run_id: str = "01937a2e-0000-7000-8000-000000000001",
    event_type: str = "COMPLETE",
    time: str = "2026-11-27T14:00:00.000Z",
    *,
    job: str = "train",
    namespace: str = "ns",
    inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
    **fields: Any,
) -> dict[str, Any]:
    """A valid OpenLineage RunEvent; datasets are named ``namespace:name`` or just ``name``."""

    def dataset(text: str) -> dict[str, Any]:
        ns, _, name = text.rpartition(":")
        return {"namespace": ns or namespace, "name": name}

    event: dict[str, Any] = {
        "eventType": event_type,
        "eventTime": time,
        "run": {"runId": run_id},
        "job": {"namespace": namespace, "name": job},
        "inputs": [dataset(name) for name in inputs],
        "outputs": [dataset(name) for name in outputs],
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
    }
    event.update(fields)
    return event


def make_evaluation(
    ref: str, /, *, model_name: str = "adult-income", **fields: Any
) -> dict[str, Any]:
    """An evaluation record in the format of docs/evaluation-record.md; ``fields`` override."""
    record = copy.deepcopy(EVALUATION)
    record["evaluation_id"] = ref
    record["model"]["name"] = model_name
    record.update(fields)
    return record


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new store location: a SQLite file, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url_for(tmp_path / "audit" / "audit.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[AuditStore]:
    with AuditStore.open(store_url) as opened:
        yield opened


@pytest.fixture
def evaluation() -> Callable[..., dict[str, Any]]:
    return make_evaluation


def raw_execute(url: str, *statements: str, bypass_triggers: bool = False) -> None:
    """Run SQL on the store's database directly, outside governance (as an attacker would).

    With ``bypass_triggers`` the append-only triggers are dropped (SQLite) or disabled
    (PostgreSQL) first, so the statements can edit or delete log rows, and put back exactly as
    they were afterwards, as a careful attacker would (``verify`` reports missing triggers:
    tests/security/test_triggers.py).
    """
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            triggers = []
            if bypass_triggers:
                triggers = conn.execute(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'audit_log'"
                ).fetchall()
                for name, _ in triggers:
                    conn.execute(f"DROP TRIGGER {name}")
            for statement in statements:
                conn.execute(statement)
            for _, sql in triggers:
                conn.execute(sql)
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as pg:
        if bypass_triggers:
            pg.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        for statement in statements:
            pg.execute(statement.encode())
        if bypass_triggers:
            pg.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
