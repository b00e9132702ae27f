"""Lineage and report projections: jobs, datasets, versions, runs, edges, facets, reports.

These are projections of the log: a store opened by a version of governance with this revision
replays its existing ``openlineage.event`` and ``report`` entries into them
(``AuditStore.open`` rebuilds the projections after an upgrade).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _seq_type() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _flag() -> sa.Boolean:
    return sa.Boolean(create_constraint=False)


def upgrade() -> None:
    """Create the report and lineage projection tables and their indexes."""
    op.create_table(
        "reports",
        sa.Column("entry_seq", _seq_type(), sa.ForeignKey("audit_log.seq"), primary_key=True),
        sa.Column("evaluation_id", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(80), nullable=True),
        sa.Column("signed", _flag(), nullable=False),
    )
    op.create_index("ix_reports_evaluation_id", "reports", ["evaluation_id", "entry_seq"])

    op.create_table(
        "lineage_events",
        sa.Column("event_hash", sa.String(64), primary_key=True),
        sa.Column("entry_seq", _seq_type(), sa.ForeignKey("audit_log.seq"), nullable=False),
        sa.Column("event_class", sa.String(8), nullable=False),
        sa.Column("event_type", sa.String(16), nullable=True),
        sa.Column("event_time", sa.String(32), nullable=False),
        sa.Column("time_assumed_utc", _flag(), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
    )
    op.create_index("ux_lineage_events_entry_seq", "lineage_events", ["entry_seq"], unique=True)
    op.create_index("ix_lineage_events_run_id", "lineage_events", ["run_id", "event_time"])
    op.create_index("ix_lineage_events_dataset_id", "lineage_events", ["dataset_id", "event_time"])

    for table, key in (("lineage_jobs", "job_id"), ("lineage_datasets", "dataset_id")):
        op.create_table(
            table,
            sa.Column(key, sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("namespace", sa.String(255), nullable=False),
            sa.Column("name", sa.String(1024), nullable=False),
            sa.Column("first_seq", _seq_type(), nullable=False),
        )
        op.create_index(f"ux_{table}_name", table, ["namespace", "name"], unique=True)

    op.create_table(
        "lineage_dataset_symlinks",
        sa.Column("namespace", sa.String(255), primary_key=True),
        sa.Column("name", sa.String(1024), primary_key=True),
        sa.Column("dataset_id", sa.Integer(), primary_key=True),
        sa.Column("first_seq", _seq_type(), nullable=False),
    )

    op.create_table(
        "lineage_runs",
        sa.Column("run_id", sa.String(36), primary_key=True),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=True),
        sa.Column("state_time", sa.String(32), nullable=True),
        sa.Column("first_time", sa.String(32), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=True),
        sa.Column("ended_at", sa.String(32), nullable=True),
        sa.Column("parent_run_id", sa.String(36), nullable=True),
        sa.Column("first_seq", _seq_type(), nullable=False),
        sa.Column("last_seq", _seq_type(), nullable=False),
    )
    op.create_index("ix_lineage_runs_job_id", "lineage_runs", ["job_id", "first_time"])
    op.create_index("ix_lineage_runs_parent", "lineage_runs", ["parent_run_id"])

    op.create_table(
        "lineage_run_io",
        sa.Column("run_id", sa.String(36), primary_key=True),
        sa.Column("direction", sa.String(8), primary_key=True),
        sa.Column("dataset_id", sa.Integer(), primary_key=True),
        sa.Column("first_seq", _seq_type(), nullable=False),
        sa.Column("event_time", sa.String(32), nullable=False),
    )
    op.create_index(
        "ix_lineage_run_io_dataset", "lineage_run_io", ["dataset_id", "direction", "event_time"]
    )

    for table in ("lineage_job_inputs", "lineage_job_outputs"):
        op.create_table(
            table,
            sa.Column("job_id", sa.Integer(), primary_key=True),
            sa.Column("dataset_id", sa.Integer(), primary_key=True),
            sa.Column("first_seq", _seq_type(), nullable=False),
        )
        op.create_index(f"ix_{table}_dataset", table, ["dataset_id", "job_id", "first_seq"])

    op.create_table(
        "lineage_dataset_versions",
        sa.Column("dataset_id", sa.Integer(), primary_key=True),
        sa.Column("entry_seq", _seq_type(), primary_key=True),
        sa.Column("event_time", sa.String(32), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.Column("version", sa.String(255), nullable=True),
        sa.Column("schema_digest", sa.String(64), nullable=True),
        sa.Column("schema_fields", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_lineage_dataset_versions_time",
        "lineage_dataset_versions",
        ["dataset_id", "event_time"],
    )
    op.create_index(
        "ix_lineage_dataset_versions_version", "lineage_dataset_versions", ["version"]
    )
    op.create_index(
        "ix_lineage_dataset_versions_run", "lineage_dataset_versions", ["run_id", "dataset_id"]
    )

    op.create_table(
        "lineage_facets",
        sa.Column("subject_kind", sa.String(8), primary_key=True),
        sa.Column("subject_key", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("entry_seq", _seq_type(), nullable=False),
        sa.Column("event_time", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Refuse, like every revision of the store: downgrades are not supported."""
    raise NotImplementedError("the audit store schema cannot be downgraded")
