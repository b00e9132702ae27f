"""The evaluation query tables: projections of ``evaluation`` and ``report`` entries.

Declared on the store's metadata, projected by :mod:`governance.evaluations.projection`.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from governance.store.tables import SEQ_TYPE, metadata

__all__ = ["evaluations", "findings", "reports"]

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

reports = Table(
    "reports",
    metadata,
    Column("entry_seq", SEQ_TYPE, ForeignKey("audit_log.seq"), primary_key=True),
    Column("evaluation_id", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("digest", String(80), nullable=True),
    Column("signed", Boolean(create_constraint=False), nullable=False),
    Index("ix_reports_evaluation_id", "evaluation_id", "entry_seq"),
)
