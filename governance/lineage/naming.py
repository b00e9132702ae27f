"""Names and URIs of the OpenLineage side of a governance check, defined in one place.

Every ``governance check`` is one run of the job ``<model name>.governance_check`` in the
configured namespace; its ``runId`` is the evaluation id. The producer URI names the tool version
that wrote the event, and each custom facet has a versioned ``_schemaURL`` whose schema ships in
``governance/lineage/schemas/``.

The ``_schemaURL`` of each standard facet and of the RunEvent are those openlineage-python 1.54
writes (``tests/lineage/test_events_match_openlineage.py`` keeps them in step with the installed
client).
"""

from __future__ import annotations

import secrets
import time
import uuid

JOB_SUFFIX = ".governance_check"
"""Appended to the model name to form the job name."""

PRODUCER_TEMPLATE = "https://github.com/governance-project/governance/tree/{version}"
"""The ``producer`` of every event and ``_producer`` of every facet we write."""

SCHEMA_BASE = "https://governance-project.github.io/spec/facets"
"""Where the JSON schemas of our custom facets are published (and what their ``$id`` says)."""

VERDICT_FACET = "governance_verdict"
"""Run facet key of the verdict of a check."""

VERDICT_SCHEMA_ID = f"{SCHEMA_BASE}/1-0-0/GovernanceVerdictRunFacet.json"
"""``$id`` of the shipped schema ``schemas/GovernanceVerdictRunFacet.json``."""

VERDICT_SCHEMA_URL = f"{VERDICT_SCHEMA_ID}#/$defs/GovernanceVerdictRunFacet"
"""``_schemaURL`` of the ``governance_verdict`` run facet."""

ENGINE_FACET = "governance_engine"
"""Input facet key of the SQL engine that counted the evaluation data."""

ENGINE_SCHEMA_ID = f"{SCHEMA_BASE}/1-0-0/GovernanceEngineInputDatasetFacet.json"
"""``$id`` of the shipped schema ``schemas/GovernanceEngineInputDatasetFacet.json``."""

ENGINE_SCHEMA_URL = f"{ENGINE_SCHEMA_ID}#/$defs/GovernanceEngineInputDatasetFacet"
"""``_schemaURL`` of the ``governance_engine`` input facet."""

INTEGRATION = "GOVERNANCE"
"""``integration`` of the ``jobType`` job facet."""

JOB_TYPE = "CHECK"
"""``jobType`` of the ``jobType`` job facet."""

FILE_NAMESPACE = "file"
"""Dataset namespace of local files (the OpenLineage naming convention)."""

SPEC = "https://openlineage.io/spec"
"""Where the OpenLineage schemas are published."""

RUN_EVENT_SCHEMA_URL = f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent"
"""``schemaURL`` of every RunEvent we write."""


def _facet_url(version: str, name: str) -> str:
    return f"{SPEC}/facets/{version}/{name}.json#/$defs/{name}"


PROCESSING_ENGINE_SCHEMA_URL = _facet_url("1-1-1", "ProcessingEngineRunFacet")
TEST_SCHEMA_URL = _facet_url("1-0-1", "TestRunFacet")
ERROR_MESSAGE_SCHEMA_URL = _facet_url("1-0-1", "ErrorMessageRunFacet")
JOB_TYPE_SCHEMA_URL = _facet_url("2-0-4", "JobTypeJobFacet")
DOCUMENTATION_SCHEMA_URL = _facet_url("1-1-0", "DocumentationJobFacet")
DATASET_TYPE_SCHEMA_URL = _facet_url("1-0-1", "DatasetTypeDatasetFacet")
DATASET_VERSION_SCHEMA_URL = _facet_url("1-0-1", "DatasetVersionDatasetFacet")
SCHEMA_SCHEMA_URL = _facet_url("1-2-0", "SchemaDatasetFacet")
INPUT_STATISTICS_SCHEMA_URL = _facet_url("1-0-0", "InputStatisticsInputDatasetFacet")
LIFECYCLE_STATE_CHANGE_SCHEMA_URL = _facet_url("1-0-1", "LifecycleStateChangeDatasetFacet")


def job_name(model_name: str) -> str:
    """Return the OpenLineage job name of the checks of a model.

    Parameters
    ----------
    model_name
        The model's name, as in the manifest.

    Returns
    -------
    str
        ``<model_name>.governance_check``.
    """
    return f"{model_name}{JOB_SUFFIX}"


def producer(version: str) -> str:
    """Return the producer URI for a tool version.

    Parameters
    ----------
    version
        The governance version that writes the event (``record["tool"]["version"]``).

    Returns
    -------
    str
        ``https://github.com/governance-project/governance/tree/<version>``.
    """
    return PRODUCER_TEMPLATE.format(version=version)


def evaluation_dataset_name(evaluation_id: str) -> str:
    """Return the output dataset name of an evaluation record.

    Parameters
    ----------
    evaluation_id
        The evaluation id (the run id).

    Returns
    -------
    str
        ``evaluations/<evaluation_id>``, in the job's namespace.
    """
    return f"evaluations/{evaluation_id}"


def new_run_id() -> str:
    """Return a new run id: a time-ordered UUID (version 7, RFC 9562), as text.

    The layout of openlineage-python's ``generate_new_uuid``: 48 bits of Unix time in
    milliseconds, then 74 random bits around the version and variant bits, so run ids sort by
    start time like those of other OpenLineage producers. Use it as the evaluation id.

    Returns
    -------
    str
        The canonical text form of the UUID.
    """
    milliseconds = time.time_ns() // 1_000_000
    value = (milliseconds & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version 7
    value |= secrets.randbits(12) << 64
    value |= 0b10 << 62  # the RFC 9562 variant
    value |= secrets.randbits(62)
    return str(uuid.UUID(int=value))
