"""The log's table and the metadata every projection table is declared on.

``audit_log`` is the truth; every other table is a projection of it, owned by the package that
projects it (its projector's ``tables``), declared on :data:`metadata` here, and can be rebuilt
from the log. The schema itself is created and upgraded by the Alembic migrations in
``migrations/versions``; the tables describe the current head for queries and must agree with it
(a test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = ["SEQ_TYPE", "audit_log", "metadata"]

metadata = MetaData()

# Integer on SQLite makes ``seq`` the rowid, so lookups by seq need no separate index.
SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", SEQ_TYPE, primary_key=True, autoincrement=False),
    Column("kind", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    CheckConstraint("seq >= 1", name="ck_audit_log_seq_positive"),
    Index("ux_audit_log_entry_hash", "entry_hash", unique=True),
    Index("ux_audit_log_prev_hash", "prev_hash", unique=True),
    Index("ix_audit_log_kind_seq", "kind", "seq"),
)
