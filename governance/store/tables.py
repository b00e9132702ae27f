"""The store's tables, as SQLAlchemy Core metadata.

``audit_log`` is the truth; every other table is a projection of it and can be rebuilt from it.
The schema itself is created and upgraded by the Alembic migrations in ``migrations/versions``;
this module describes the current head for queries and must agree with it (a test compares
them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = ["audit_log", "evaluations", "findings", "metadata"]

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

evaluations = Table(
    "evaluations",
    metadata,
    Column("evaluation_id", String(64), primary_key=True),
    Column("model_name", String(255), nullable=False),
    Column("model_version", String(255), nullable=True),
    Column("verdict", String(16), nullable=False),
    Column("exit_code", Integer, nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32), nullable=False),
    Column("entry_seq", SEQ_TYPE, ForeignKey("audit_log.seq"), nullable=False),
    Index("ix_evaluations_model_name", "model_name", "entry_seq"),
    Index("ix_evaluations_finished_at", "finished_at"),
    Index("ux_evaluations_entry_seq", "entry_seq", unique=True),
)

findings = Table(
    "findings",
    metadata,
    Column(
        "evaluation_id",
        String(64),
        ForeignKey("evaluations.evaluation_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("rule_id", String(255), nullable=False),
    Column("policy", String(255), nullable=True),
    Column("severity", String(16), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("measured", Float, nullable=True),
    Column("blocking", Boolean(create_constraint=False), nullable=False),
    Index("ix_findings_rule_id", "rule_id"),
    Index("ix_findings_outcome", "outcome"),
)
