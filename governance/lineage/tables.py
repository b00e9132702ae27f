"""The lineage query tables: projections of ``openlineage.event`` entries (docs/lineage.md).

Declared on the store's metadata, projected by
:class:`~governance.lineage.projection.LineageProjector`, read by
:class:`~governance.lineage.queries.LineageQueries`.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from governance.store.tables import SEQ_TYPE, metadata

__all__ = [
    "lineage_dataset_symlinks",
    "lineage_dataset_versions",
    "lineage_datasets",
    "lineage_events",
    "lineage_facets",
    "lineage_job_inputs",
    "lineage_job_outputs",
    "lineage_jobs",
    "lineage_run_io",
    "lineage_runs",
]

lineage_events = Table(
    "lineage_events",
    metadata,
    Column("event_hash", String(64), primary_key=True),
    Column("entry_seq", SEQ_TYPE, ForeignKey("audit_log.seq"), nullable=False),
    Column("event_class", String(8), nullable=False),
    Column("event_type", String(16), nullable=True),
    Column("event_time", String(32), nullable=False),
    Column("time_assumed_utc", Boolean(create_constraint=False), nullable=False),
    Column("run_id", String(36), nullable=True),
    Column("job_id", Integer, nullable=True),
    Column("dataset_id", Integer, nullable=True),
    Index("ux_lineage_events_entry_seq", "entry_seq", unique=True),
    Index("ix_lineage_events_run_id", "run_id", "event_time"),
    Index("ix_lineage_events_dataset_id", "dataset_id", "event_time"),
)

lineage_jobs = Table(
    "lineage_jobs",
    metadata,
    Column("job_id", Integer, primary_key=True, autoincrement=False),
    Column("namespace", String(255), nullable=False),
    Column("name", String(1024), nullable=False),
    Column("first_seq", SEQ_TYPE, nullable=False),
    Index("ux_lineage_jobs_name", "namespace", "name", unique=True),
)

lineage_datasets = Table(
    "lineage_datasets",
    metadata,
    Column("dataset_id", Integer, primary_key=True, autoincrement=False),
    Column("namespace", String(255), nullable=False),
    Column("name", String(1024), nullable=False),
    Column("first_seq", SEQ_TYPE, nullable=False),
    Index("ux_lineage_datasets_name", "namespace", "name", unique=True),
)

lineage_dataset_symlinks = Table(
    "lineage_dataset_symlinks",
    metadata,
    Column("namespace", String(255), primary_key=True),
    Column("name", String(1024), primary_key=True),
    Column("dataset_id", Integer, primary_key=True),
    Column("first_seq", SEQ_TYPE, nullable=False),
)

lineage_runs = Table(
    "lineage_runs",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("job_id", Integer, nullable=False),
    Column("state", String(16), nullable=True),
    Column("state_time", String(32), nullable=True),
    Column("first_time", String(32), nullable=False),
    Column("started_at", String(32), nullable=True),
    Column("ended_at", String(32), nullable=True),
    Column("parent_run_id", String(36), nullable=True),
    Column("first_seq", SEQ_TYPE, nullable=False),
    Column("last_seq", SEQ_TYPE, nullable=False),
    Index("ix_lineage_runs_job_id", "job_id", "first_time"),
    Index("ix_lineage_runs_parent", "parent_run_id"),
)

lineage_run_io = Table(
    "lineage_run_io",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("direction", String(8), primary_key=True),
    Column("dataset_id", Integer, primary_key=True),
    Column("first_seq", SEQ_TYPE, nullable=False),
    Column("event_time", String(32), nullable=False),
    Index("ix_lineage_run_io_dataset", "dataset_id", "direction", "event_time"),
)

# Job-level edges (the union over every run and JobEvent), the tables graph queries walk.
lineage_job_inputs = Table(
    "lineage_job_inputs",
    metadata,
    Column("job_id", Integer, primary_key=True),
    Column("dataset_id", Integer, primary_key=True),
    Column("first_seq", SEQ_TYPE, nullable=False),
    Index("ix_lineage_job_inputs_dataset", "dataset_id", "job_id", "first_seq"),
)

lineage_job_outputs = Table(
    "lineage_job_outputs",
    metadata,
    Column("job_id", Integer, primary_key=True),
    Column("dataset_id", Integer, primary_key=True),
    Column("first_seq", SEQ_TYPE, nullable=False),
    Index("ix_lineage_job_outputs_dataset", "dataset_id", "job_id", "first_seq"),
)

lineage_dataset_versions = Table(
    "lineage_dataset_versions",
    metadata,
    Column("dataset_id", Integer, primary_key=True),
    Column("entry_seq", SEQ_TYPE, primary_key=True),
    Column("event_time", String(32), nullable=False),
    Column("run_id", String(36), nullable=True),
    Column("version", String(255), nullable=True),
    Column("schema_digest", String(64), nullable=True),
    Column("schema_fields", Text, nullable=True),
    Index("ix_lineage_dataset_versions_time", "dataset_id", "event_time"),
    Index("ix_lineage_dataset_versions_version", "version"),
    Index("ix_lineage_dataset_versions_run", "run_id", "dataset_id"),
)

# The latest value of each facet of each job, dataset and run (by event time).
lineage_facets = Table(
    "lineage_facets",
    metadata,
    Column("subject_kind", String(8), primary_key=True),
    Column("subject_key", String(64), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("entry_seq", SEQ_TYPE, nullable=False),
    Column("event_time", String(32), nullable=False),
    Column("value", Text, nullable=False),
)
