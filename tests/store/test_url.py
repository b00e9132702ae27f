"""mask_url, sqlite_url_for, and the URL checks of open_engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.errors import StoreError
from governance.store.engine import check_store_url, open_engine
from governance.store.url import mask_url, sqlite_url_for


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql+psycopg://user:secret@host:5432/db",
            "postgresql+psycopg://user:***@host:5432/db",
        ),
        ("postgresql://user:p%40ss@host/db", "postgresql://user:***@host/db"),
        ("postgresql://user:a:b@host/db", "postgresql://user:***@host/db"),
        ("postgresql://:secret@host/db", "postgresql://:***@host/db"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("postgresql://host:5432/db", "postgresql://host:5432/db"),
        (
            "postgresql://u@h/db?password=secret&sslmode=require",
            "postgresql://u@h/db?password=***&sslmode=require",
        ),
        ("sqlite:////tmp/audit.db", "sqlite:////tmp/audit.db"),
        ("sqlite:///relative/audit.db", "sqlite:///relative/audit.db"),
        ("sqlite://", "sqlite://"),
        ("not a url", "not a url"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_sqlite_url_for_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sqlite_url_for("audit.db") == f"sqlite:///{tmp_path}/audit.db"
    assert sqlite_url_for(tmp_path / "x" / "a b.db") == f"sqlite:///{tmp_path}/x/a b.db"


def test_sqlite_url_for_refuses_a_question_mark() -> None:
    with pytest.raises(StoreError, match="contains '\\?'"):
        sqlite_url_for("/tmp/what?.db")


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:hunter2@127.0.0.1:1/db",
        "postgresql://u:hunter2@127.0.0.1:1/db",
        "postgres+psycopg://u:hunter2@127.0.0.1:1/db",
        "postgresql+psycopg://u:hunter2@127.0.0.1:1/db",
    ],
)
def test_postgresql_spellings_mean_psycopg(url: str) -> None:
    """postgres:// was an internal error (NoSuchModuleError: sqlalchemy.dialects:postgres)."""
    check_store_url(url)
    engine = open_engine(url, create=False)
    try:
        assert engine.backend == "postgresql"
        assert engine.engine.url.drivername == "postgresql+psycopg"
        assert engine.masked_url == url.replace("hunter2", "***")
    finally:
        engine.dispose()


def test_an_unreachable_postgres_url_is_one_masked_line() -> None:
    from governance.audit import AuditStore

    with pytest.raises(StoreError) as caught:
        AuditStore.open("postgres://auditor:hunter2@127.0.0.1:1/audit")
    message = str(caught.value)
    assert message.startswith("cannot open audit store postgres://auditor:***@127.0.0.1:1/audit: ")
    assert "hunter2" not in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///",
        "sqlite:///:memory:",
        "sqlite+pysqlite://",
        "sqlite:///file:audit?mode=memory&uri=true",
        "sqlite:///file::memory:?uri=true",
    ],
)
def test_in_memory_sqlite_urls_are_refused(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        check_store_url(url)
    assert str(caught.value) == (
        f"the audit store {url} is in memory and would vanish when governance exits: "
        "use a file, sqlite:///path/to/audit.db, or PostgreSQL"
    )
    with pytest.raises(StoreError, match="in memory"):
        open_engine(url, create=True)


@pytest.mark.parametrize(
    "url", ["sqlite:////tmp/audit.db", "sqlite:///relative.db", "sqlite:///file:a.db?uri=true"]
)
def test_sqlite_files_are_accepted(url: str) -> None:
    check_store_url(url)
