from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest


def log_size(db: Path) -> int:
    """How many entries the audit log of the SQLite store ``db`` holds (0: no store)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM audit_log").fetchone()
    return int(count)


@pytest.fixture(autouse=True)
def no_developer_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The developer's store, signing key and governance.yml stay out of these tests."""
    for name in ("GOVERNANCE_STORE_URL", "GOVERNANCE_SIGNING_KEY", "GOVERNANCE_SIGNING_CERT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
