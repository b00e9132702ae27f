"""Run the store's Alembic migrations programmatically; no ``alembic.ini`` is involved.

Alembic is imported here, inside the functions, so that importing :mod:`governance.store` stays
light until a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, column, inspect, select, table, update

from governance.errors import StoreError
from governance.resources import resource_dir

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["MIGRATIONS_DIR", "VERSION_TABLE", "alembic_config", "head_revision", "upgrade"]

MIGRATIONS_DIR = resource_dir("governance.store", "migrations", what="the store's migrations")
VERSION_TABLE = "governance_alembic_version"
# The newest revision in migrations/versions (tests/test_check_imports.py keeps it in step): a
# store already at it is opened without importing Alembic or reading the migration scripts.
HEAD_REVISION = "0002"

TOO_NEW = (
    "audit store {url} has schema revision {found}, newer than this version of governance "
    "knows (latest {head})"
)
TOO_NEW_HINT = "upgrade governance to use this store"
NOT_A_STORE = "no audit store at {url}"


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic configuration for the store's migrations.

    Parameters
    ----------
    connection
        The connection ``env.py`` should migrate, if any.

    Returns
    -------
    alembic.config.Config
        A configuration with ``script_location`` set to the packaged migrations; developers can
        pass it to ``alembic.command.revision`` to write a new revision.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest schema revision this version of governance knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def upgrade(connection: Connection, masked_url: str, *, create: bool) -> bool:
    """Bring the store's schema to the newest revision, inside the caller's transaction.

    Parameters
    ----------
    connection
        A connection inside the store's serialised write transaction.
    masked_url
        The store URL without its password, for messages.
    create
        Whether an empty database may be given a new, empty store.

    Returns
    -------
    bool
        Whether an existing store was upgraded (its new projection tables then need a
        rebuild from the log).

    Raises
    ------
    StoreError
        If the database holds no store and ``create`` is false, holds a schema revision newer
        than this version of governance knows, or cannot be written.
    """
    version = table(VERSION_TABLE, column("version_num"))
    if _current_revisions(connection) == {HEAD_REVISION}:
        # A no-op write: a read-only file, connection or replica fails here, at open, rather
        # than at the first append.
        connection.execute(update(version).values(version_num=version.c.version_num))
        return False
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config(connection)
    script = ScriptDirectory.from_config(config)
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    current = set(context.get_current_heads())
    if not current and not create:
        raise StoreError(NOT_A_STORE.format(url=masked_url))
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = sorted(current - known)
    heads = set(script.get_heads())
    if unknown:
        raise StoreError(
            TOO_NEW.format(url=masked_url, found=", ".join(unknown), head=", ".join(sorted(heads))),
            hint=TOO_NEW_HINT,
        )
    if current != heads:
        command.upgrade(config, "heads")
    connection.execute(update(version).values(version_num=version.c.version_num))  # as above
    return bool(current) and current != heads


def _current_revisions(connection: Connection) -> set[str]:
    """The revisions the store's version table holds (none without the table)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    version = table(VERSION_TABLE, column("version_num"))
    return set(connection.execute(select(version.c.version_num)).scalars())
