"""Alembic revision scripts of the audit store, oldest first (``0001_initial`` ...)."""
