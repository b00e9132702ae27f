"""Marquez's version ids, made deterministic: UUID 5 of a stable key, the same on every restart.

The store does not keep Marquez's versions, so each is named by what defines it: a dataset
version by the log entry that wrote or described it (a dataset never written has one version,
named by the dataset alone); a job version by the datasets its run read and wrote (runs with
the same inputs and outputs share a version, as in Marquez).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

__all__ = ["VERSIONS", "dataset_version_id", "job_version_id"]

VERSIONS = uuid.UUID("6f1d3c9e-2a4b-5c8d-9e0f-a1b2c3d4e5f6")
"""The UUID 5 namespace of every version id ``governance serve`` answers."""


def dataset_version_id(dataset: str, entry_seq: int | None) -> str:
    """The version of dataset ``dataset`` (``dataset:<ns>:<name>``) written at ``entry_seq``."""
    suffix = "first" if entry_seq is None else str(entry_seq)
    return str(uuid.uuid5(VERSIONS, f"{dataset}@{suffix}"))


def job_version_id(job: str, inputs: Iterable[str], outputs: Iterable[str]) -> str:
    """The version of job ``job`` (``job:<ns>:<name>``) that reads and writes these datasets."""
    key = "\n".join([job, "in", *sorted(inputs), "out", *sorted(outputs)])
    return str(uuid.uuid5(VERSIONS, key))
