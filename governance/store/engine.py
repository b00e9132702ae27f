"""Engines and transactions for the two supported backends, SQLite and PostgreSQL.

Writers are serialised: on SQLite a write transaction starts with ``BEGIN IMMEDIATE`` (the
database write lock is taken up front, other writers wait up to :data:`BUSY_TIMEOUT_MS`); on
PostgreSQL it takes the transaction-scoped advisory lock :data:`PG_LOCK_KEY` first.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DisconnectionError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import ConnectionPoolEntry

from governance.errors import StoreError, StoreUnavailable
from governance.store.url import mask_url

__all__ = ["POSTGRESQL_ALIASES", "StoreEngine", "check_store_url", "open_engine"]

BUSY_TIMEOUT_MS = 30_000
SQLITE_LOCKED = 6
PG_CONNECT_TIMEOUT_S = 10
# sha256("governance.audit_log")[:8] as a signed 64-bit integer: one lock for all writers.
PG_LOCK_KEY = 0x2BC9_642F_048F_BEBF
_WRITE = "governance_write"

INVALID_URL = "invalid audit store URL {url}: {reason}"
UNSUPPORTED = (
    "unsupported audit store URL {url}: use sqlite:///path/to/audit.db or "
    "postgresql+psycopg://user:password@host/database"
)
IN_MEMORY = (
    "the audit store {url} is in memory and would vanish when governance exits: "
    "use a file, sqlite:///path/to/audit.db, or PostgreSQL"
)
POSTGRESQL_ALIASES = ("postgres", "postgresql", "postgres+psycopg", "postgresql+psycopg")
"""Scheme spellings read as ``postgresql+psycopg`` (the only PostgreSQL driver supported)."""
NO_DRIVER = "cannot open audit store {url}: the PostgreSQL driver psycopg is not installed"
NO_DRIVER_HINT = "pip install 'governance[postgres]'"
NO_STORE = "no audit store at {url}"
IS_DIRECTORY = "cannot open audit store {url}: {path} is a directory"
READ_ONLY = "cannot open audit store {url}: {path} is read-only"
NO_DIRECTORY = "cannot create audit store {url}: {reason}"
DB_FAILED = "cannot {action} audit store {url}: {reason}"


@dataclass(frozen=True)
class StoreEngine:
    """A configured engine and what the store needs to know about it."""

    engine: Engine
    backend: str
    masked_url: str
    secret: str | None = field(default=None, repr=False)

    @contextmanager
    def write(self, action: str) -> Iterator[Connection]:
        """Open a serialised write transaction, committed when the block ends without error."""
        with self.errors(action), self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if self.backend == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
                yield conn

    @contextmanager
    def read(self, action: str) -> Iterator[Connection]:
        """Open a read transaction (one consistent snapshot)."""
        with self.errors(action), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Turn database failures into a one-line :class:`StoreError` naming the masked URL.

        A database that cannot be reached or read (connection refused or lost, file gone,
        locked, tables missing) is :class:`StoreUnavailable`; any other failure StoreError.
        """
        try:
            yield
        except SQLAlchemyError as exc:
            unavailable = isinstance(
                exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout
            )
            raise (StoreUnavailable if unavailable else StoreError)(
                DB_FAILED.format(
                    url=self.masked_url, action=action, reason=db_reason(exc, self.secret)
                )
            ) from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def db_reason(exc: BaseException, secret: str | None = None) -> str:
    """Return the first line of a database error, without the statement or a password."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    reason = lines[0].strip() if lines else type(orig).__name__
    if secret:
        reason = reason.replace(secret, "***")
    return reason


def check_store_url(url: str) -> None:
    """Check that ``url`` names a lasting SQLite or PostgreSQL store, without opening it.

    Commands that write call this before they read their input, so a wrong URL is reported
    first; :func:`open_engine` makes the same checks.

    Raises
    ------
    StoreError
        For an invalid or unsupported URL, or an in-memory SQLite database.
    """
    _parse(url)


def _parse(url: str) -> tuple[URL, str, str]:
    """The parsed URL (PostgreSQL spellings made ``postgresql+psycopg``), backend, masked URL."""
    masked = mask_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(INVALID_URL.format(url=masked, reason=db_reason(exc))) from None
    # From the scheme text: asking SQLAlchemy for the driver loads the dialect, and there is
    # no ``postgres`` dialect.
    scheme = parsed.drivername.lower()
    if scheme in ("sqlite", "sqlite+pysqlite"):
        if _in_memory(parsed):
            raise StoreError(IN_MEMORY.format(url=masked))
        return parsed.set(drivername=scheme), "sqlite", masked
    if scheme in POSTGRESQL_ALIASES:
        return parsed.set(drivername="postgresql+psycopg"), "postgresql", masked
    raise StoreError(UNSUPPORTED.format(url=masked))


def _in_memory(url: URL) -> bool:
    """Whether a SQLite URL names an in-memory database (``sqlite://``, ``:memory:``, ...)."""
    database = url.database or ""
    if database in ("", ":memory:"):
        return True
    if str(url.query.get("uri", "")).lower() in ("true", "1"):
        mode = url.query.get("mode")
        return mode == "memory" or database.startswith("file::memory:")
    return False


def open_engine(url: str, *, create: bool) -> StoreEngine:
    """Check ``url`` and return an engine for it; no connection is made yet.

    Parameters
    ----------
    url
        ``sqlite:///path`` or ``postgresql+psycopg://...``; ``postgresql://`` and
        ``postgres://`` mean ``postgresql+psycopg://``. An in-memory SQLite database is
        refused: the audit trail would vanish with the process.
    create
        Whether a missing SQLite file may be created (with its parent folders).

    Returns
    -------
    StoreEngine
        The engine with its backend name and masked URL.

    Raises
    ------
    StoreError
        For an invalid, unsupported or in-memory URL, a missing driver, or an unusable
        SQLite path.
    """
    parsed, backend, masked = _parse(url)
    if backend == "sqlite":
        return _sqlite_engine(parsed, masked, create=create)
    return _postgresql_engine(parsed, masked)


def _sqlite_engine(url: URL, masked: str, *, create: bool) -> StoreEngine:
    database = url.database or ""
    if not url.query.get("uri"):
        _check_sqlite_path(Path(database), masked, create=create)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return StoreEngine(engine=engine, backend="sqlite", masked_url=masked)


def _check_sqlite_path(path: Path, masked: str, *, create: bool) -> None:
    if path.is_dir():
        raise StoreError(IS_DIRECTORY.format(url=masked, path=path))
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(READ_ONLY.format(url=masked, path=path))
        if not os.access(path.parent, os.W_OK):  # WAL needs its -wal and -shm files beside it
            raise StoreError(READ_ONLY.format(url=masked, path=path.parent))
        return
    if not create:
        raise StoreError(NO_STORE.format(url=masked))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StoreError(NO_DIRECTORY.format(url=masked, reason=reason)) from None
    if not os.access(path.parent, os.W_OK):
        raise StoreError(READ_ONLY.format(url=masked, path=path.parent))


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """Take over transaction control from sqlite3, and set the pragmas on every connection."""
    assert isinstance(dbapi_connection, sqlite3.Connection)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        cursor.execute("PRAGMA foreign_keys = ON")
        _use_wal(cursor)
    finally:
        cursor.close()


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL (a lasting setting, so only a new file changes).

    Changing the journal mode needs the file to itself and answers "database is locked" at once,
    without the busy timeout, when another connection holds it: two first opens of one new
    store race here, so retry until the busy timeout has passed.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, SQLITE_LOCKED)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_on_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def _postgresql_engine(url: URL, masked: str) -> StoreEngine:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})
    except (NoSuchModuleError, ImportError):
        raise StoreError(NO_DRIVER.format(url=masked), hint=NO_DRIVER_HINT) from None
    return StoreEngine(
        engine=engine, backend="postgresql", masked_url=masked, secret=url.password or None
    )
