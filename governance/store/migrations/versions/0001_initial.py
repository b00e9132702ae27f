"""Initial schema: the append-only audit log and the evaluation projections.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

APPEND_ONLY = "audit_log is append-only"

SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END
    """,
    f"""
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END
    """,
]

POSTGRESQL_TRIGGERS = [
    f"""
    CREATE FUNCTION governance_audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
        RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'restrict_violation';
    END
    $fn$
    """,
    """
    CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION governance_audit_log_append_only()
    """,
    """
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION governance_audit_log_append_only()
    """,
]


def _seq_type() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the audit log with its append-only triggers, and the evaluation projections."""
    op.create_table(
        "audit_log",
        sa.Column("seq", _seq_type(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.CheckConstraint("seq >= 1", name="ck_audit_log_seq_positive"),
    )
    op.create_index("ux_audit_log_entry_hash", "audit_log", ["entry_hash"], unique=True)
    op.create_index("ux_audit_log_prev_hash", "audit_log", ["prev_hash"], unique=True)
    op.create_index("ix_audit_log_kind_seq", "audit_log", ["kind", "seq"])
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)

    op.create_table(
        "evaluations",
        sa.Column("evaluation_id", sa.String(64), primary_key=True),
        sa.Column("model_name", sa.String(255), nullable=False),
        sa.Column("model_version", sa.String(255), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32), nullable=False),
        sa.Column("entry_seq", _seq_type(), sa.ForeignKey("audit_log.seq"), nullable=False),
    )
    op.create_index("ix_evaluations_model_name", "evaluations", ["model_name", "entry_seq"])
    op.create_index("ix_evaluations_finished_at", "evaluations", ["finished_at"])
    op.create_index("ux_evaluations_entry_seq", "evaluations", ["entry_seq"], unique=True)

    op.create_table(
        "findings",
        sa.Column(
            "evaluation_id",
            sa.String(64),
            sa.ForeignKey("evaluations.evaluation_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("rule_id", sa.String(255), nullable=False),
        sa.Column("policy", sa.String(255), nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("measured", sa.Float(), nullable=True),
        sa.Column("blocking", sa.Boolean(create_constraint=False), nullable=False),
    )
    op.create_index("ix_findings_rule_id", "findings", ["rule_id"])
    op.create_index("ix_findings_outcome", "findings", ["outcome"])


def downgrade() -> None:
    """Refuse: dropping the audit log would destroy the evidence it exists to keep."""
    raise NotImplementedError("the audit store schema cannot be downgraded")
