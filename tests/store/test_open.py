"""Opening stores: URLs, creation, migrations, and the errors users see."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from governance.audit import AuditStore
from governance.errors import StoreError
from governance.store import mask_url, sqlite_url_for
from governance.store.engine import BUSY_TIMEOUT_MS, UNSUPPORTED
from governance.store.migrate import TOO_NEW, VERSION_TABLE, head_revision
from tests.pg import PostgresServer
from tests.store.conftest import raw_execute

REPO = Path(__file__).resolve().parents[2]


def test_sqlite_store_is_created_with_its_folders(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "audit.db"
    with AuditStore.open(sqlite_url_for(path)) as store:
        assert store.backend == "sqlite"
        store.append("note", {})
    assert path.exists()
    with AuditStore.open(sqlite_url_for(path), create=False) as again:
        assert again.verify().entries == 1


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    with (
        AuditStore.open(sqlite_url_for(tmp_path / "a.db")) as store,
        store._engine.read("read") as conn,
    ):
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS


def test_missing_sqlite_file_with_create_false(tmp_path: Path) -> None:
    url = sqlite_url_for(tmp_path / "nothing" / "audit.db")
    with pytest.raises(StoreError) as caught:
        AuditStore.open(url, create=False)
    assert str(caught.value) == f"no audit store at {url}"
    assert not (tmp_path / "nothing").exists()


def test_empty_sqlite_file_with_create_false(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(StoreError, match=r"^no audit store at "):
        AuditStore.open(sqlite_url_for(path), create=False)


@pytest.mark.postgres
def test_empty_postgresql_database_with_create_false(postgres_url: str) -> None:
    with pytest.raises(StoreError, match=r"^no audit store at "):
        AuditStore.open(postgres_url, create=False)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        AuditStore.open(sqlite_url_for(tmp_path))


def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    path.write_bytes(b"this is not sqlite, just some text that is long enough" * 40)
    with pytest.raises(StoreError) as caught:
        AuditStore.open(sqlite_url_for(path))
    message = str(caught.value)
    assert message.startswith(f"cannot open audit store {sqlite_url_for(path)}: ")
    assert "not a database" in message
    assert "\n" not in message


def test_read_only_sqlite_through_the_driver(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    AuditStore.open(sqlite_url_for(path)).close()
    with pytest.raises(StoreError, match="readonly database"):
        AuditStore.open(f"sqlite:///file:{path}?mode=ro&uri=true")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only files")
def test_read_only_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    AuditStore.open(sqlite_url_for(path)).close()
    path.chmod(0o444)
    try:
        with pytest.raises(StoreError, match="is read-only"):
            AuditStore.open(sqlite_url_for(path))
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize(
    "url",
    ["mysql://user:hunter2@localhost/db", "oracle://x", "sqlite+pysqlcipher:///x.db", "foo://x"],
)
def test_unsupported_url(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        AuditStore.open(url)
    assert "hunter2" not in str(caught.value)
    assert str(caught.value) == UNSUPPORTED.format(url=url.replace("hunter2", "***"))


@pytest.mark.parametrize("url", ["not a url", "", "://nothing"])
def test_malformed_url(url: str) -> None:
    with pytest.raises(StoreError, match=r"^invalid audit store URL "):
        AuditStore.open(url)


def test_unreachable_postgresql_names_the_masked_url() -> None:
    url = "postgresql+psycopg://auditor:hunter2@127.0.0.1:1/audit"
    with pytest.raises(StoreError) as caught:
        AuditStore.open(url)
    message = str(caught.value)
    assert message.startswith(
        "cannot open audit store postgresql+psycopg://auditor:***@127.0.0.1:1/audit: "
    )
    assert "hunter2" not in message
    assert "\n" not in message


def test_plain_postgresql_scheme_means_psycopg() -> None:
    with pytest.raises(StoreError, match=r"^cannot open audit store postgresql://u:\*\*\*@"):
        AuditStore.open("postgresql://u:pw@127.0.0.1:1/db")


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_and_postgresql_schemes_open_with_psycopg(postgres_url: str, scheme: str) -> None:
    url = postgres_url.replace("postgresql+psycopg://", f"{scheme}://")
    with AuditStore.open(url) as store:
        store.append("note", {"i": 1})
        assert store.url.startswith(f"{scheme}://")
        assert ":***@" in store.url
    with AuditStore.open(postgres_url, create=False) as same:
        assert same.verify().entries == 1


@pytest.mark.postgres
def test_wrong_postgresql_password_is_masked(postgres_server: PostgresServer) -> None:
    url = postgres_server.url("postgres", password="wrong-pass-123")
    with pytest.raises(StoreError) as caught:
        AuditStore.open(url)
    message = str(caught.value)
    assert "wrong-pass-123" not in message
    assert ":***@127.0.0.1" in message
    assert "password authentication failed" in message


def test_store_at_a_newer_schema_is_refused(store_url: str) -> None:
    AuditStore.open(store_url).close()
    raw_execute(store_url, f"UPDATE {VERSION_TABLE} SET version_num = '9999'")
    with pytest.raises(StoreError) as caught:
        AuditStore.open(store_url)
    assert caught.value.message == TOO_NEW.format(
        url=mask_url(store_url), found="9999", head=head_revision()
    )
    assert caught.value.hint == "upgrade governance to use this store"


@pytest.mark.parametrize("create", [True, False])
def test_an_in_memory_store_is_refused(create: bool) -> None:
    """An audit trail that vanishes when the process exits is no audit trail."""
    for url in ("sqlite://", "sqlite:///:memory:"):
        with pytest.raises(StoreError, match=r"^the audit store \S+ is in memory and would "):
            AuditStore.open(url, create=create)


def test_schema_matches_the_table_definitions(store_url: str) -> None:
    """The migrations and governance/store/tables.py describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from governance.store.tables import metadata

    AuditStore.open(store_url).close()
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_concurrent_first_opens_of_one_store(store_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def open_and_append(i: int) -> int:
        with AuditStore.open(store_url) as store:
            return store.append("note", {"i": i}).seq

    with ThreadPoolExecutor(4) as pool:
        seqs = sorted(pool.map(open_and_append, range(4)))
    assert seqs == [1, 2, 3, 4]


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    return result.stdout.strip()


def test_importing_the_package_is_light() -> None:
    loaded = _run(
        "import sys; import governance.store; "
        "from governance.store import mask_url, sqlite_url_for; import governance.canonical; "
        "print(sorted(m for m in ('sqlalchemy', 'alembic') if m in sys.modules))"
    )
    assert loaded == "[]"


def test_alembic_is_imported_only_when_a_store_is_opened(tmp_path: Path) -> None:
    url = sqlite_url_for(tmp_path / "a.db")
    loaded = _run(
        "import sys; from governance.audit import AuditStore; from governance.store import Entry; "
        "before = 'alembic' in sys.modules; "
        f"AuditStore.open({url!r}).close(); "
        "print(before, 'alembic' in sys.modules)"
    )
    assert loaded == "False True"


def test_raw_sqlite_sees_the_triggers(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    AuditStore.open(sqlite_url_for(path)).close()
    conn = sqlite3.connect(path)
    try:
        names = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
    finally:
        conn.close()
    assert names == {"audit_log_no_update", "audit_log_no_delete"}
