"""Alembic migrations of the audit store, run by :func:`governance.store.migrate.upgrade`."""
