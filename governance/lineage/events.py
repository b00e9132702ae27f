"""OpenLineage RunEvents of a governance check, built from its evaluation record.

A check is one run of the job ``<model name>.governance_check`` in the record's ``namespace``;
the ``runId`` is the ``evaluation_id``. The run starts (START, at ``started_at``) with what is known
before evaluation, and ends with COMPLETE (at ``finished_at``) whatever the verdict: the check
itself completed, and the verdict is in its facets. FAIL is for internal errors during evaluation.

The events are plain JSON objects, built without openlineage-python (whose import would cost
every check 0.2 to 0.5 s), equal to what it writes (``Serde.to_dict`` of its ``RunEvent``): the
same keys in the same order, null fields left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.errors import LineageError
from governance.lineage import datasets, facets, naming
from governance.lineage._record import (
    event_time,
    optional,
    require,
    require_mapping,
    utc_now,
)

NOT_A_UUID = "must be a UUID in canonical form, got {value!r}"


def start_event(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return the START event of a check.

    Parameters
    ----------
    record
        The evaluation record; only what is known before evaluation is read: ``evaluation_id``,
        ``started_at``, ``tool``, ``namespace``, ``model`` and ``artifacts``.

    Returns
    -------
    dict
        The RunEvent, as JSON.

    Raises
    ------
    LineageError
        If the record lacks one of those fields or one is malformed.
    """
    run = _Run(record)
    require_mapping(record, "artifacts.data")
    return run.event(
        "START",
        event_time(record, "started_at"),
        inputs=run.inputs(require_mapping(record, "artifacts")),
    )


def complete_event(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return the COMPLETE event of a check, whatever its verdict.

    Parameters
    ----------
    record
        The complete evaluation record.

    Returns
    -------
    dict
        The RunEvent, as JSON: the inputs of START, the evaluation record as output, and the run
        facets ``test`` (one test per finding) and ``governance_verdict``.

    Raises
    ------
    LineageError
        If the record lacks a field or one is malformed.
    """
    run = _Run(record)
    require_mapping(record, "artifacts.data")
    return run.event(
        "COMPLETE",
        event_time(record, "finished_at"),
        inputs=run.inputs(require_mapping(record, "artifacts")),
        outputs=[datasets.evaluation_record(run.namespace, run.run_id, run.producer)],
        run_facets={
            "test": facets.standard_test_facet(require(record, "findings"), run.producer),
            naming.VERDICT_FACET: facets.verdict_facet(record, run.producer),
        },
    )


def fail_event(
    record: Mapping[str, Any], error: str, *, stack_trace: str | None = None
) -> dict[str, Any]:
    """Return the FAIL event of a check that stopped on an internal error.

    Parameters
    ----------
    record
        The evaluation record as far as it was built; ``evaluation_id``, ``tool``, ``namespace``
        and ``model.name`` are required, the inputs are included if ``artifacts`` is known.
    error
        The error message.
    stack_trace
        The Python traceback, if any (``traceback.format_exc()``).

    Returns
    -------
    dict
        The RunEvent, as JSON, with the ``errorMessage`` run facet; at ``finished_at``, or now
        when the record has no ``finished_at`` yet.

    Raises
    ------
    LineageError
        If one of the required fields is missing or malformed.
    """
    run = _Run(record)
    artifacts = optional(record, "artifacts")
    finished = optional(record, "finished_at")
    return run.event(
        "FAIL",
        utc_now() if finished is None else event_time(record, "finished_at"),
        inputs=[] if artifacts is None else run.inputs(require_mapping(record, "artifacts")),
        run_facets={"errorMessage": facets.error_message(error, stack_trace, run.producer)},
    )


class _Run:
    """What every event of one check shares: run id, job, producer."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.run_id = _run_id(record)
        self.namespace = str(require(record, "namespace"))
        self.model_name = str(require(record, "model.name"))
        self.tool_version = str(require(record, "tool.version"))
        self.producer = naming.producer(self.tool_version)

    def inputs(self, artifacts: Mapping[str, Any]) -> list[datasets.Dataset]:
        return datasets.inputs(artifacts, self.producer)

    def event(
        self,
        state: str,
        time: str,
        *,
        inputs: list[datasets.Dataset],
        outputs: list[datasets.Dataset] | None = None,
        run_facets: Mapping[str, facets.Facet] | None = None,
    ) -> dict[str, Any]:
        """The RunEvent; its keys in the order of openlineage-python's ``RunEvent``."""
        event = {
            "eventTime": time,
            "producer": self.producer,
            "schemaURL": naming.RUN_EVENT_SCHEMA_URL,
            "run": {
                "runId": self.run_id,
                "facets": {
                    "processing_engine": facets.processing_engine(self.tool_version, self.producer),
                    **(run_facets or {}),
                },
            },
            "job": {
                "namespace": self.namespace,
                "name": naming.job_name(self.model_name),
                "facets": facets.job_facets(self.model_name, self.producer),
            },
            "eventType": state,
            "inputs": inputs,
            "outputs": outputs or [],
        }
        return dict(facets.without_nulls(event))


def _run_id(record: Mapping[str, Any]) -> str:
    import uuid

    value = require(record, "evaluation_id")
    try:
        canonical = str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        canonical = None
    if canonical is None or canonical != value.lower():
        raise LineageError(NOT_A_UUID.format(value=value), field="evaluation_id")
    return str(value)
