"""Alembic environment of the audit store.

Run by :func:`governance.store.migrate.upgrade` on a connection that is already inside the
store's serialised write transaction (``config.attributes["connection"]``), so concurrent
first opens of one store cannot race each other. There is no offline (``--sql``) mode.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from governance.store.migrate import VERSION_TABLE
from governance.store.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "the audit store migrations run through governance.store.migrate.upgrade(), "
        "which passes an open connection in config.attributes['connection']"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
