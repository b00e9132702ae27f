"""Run and job facets of a governance check, as the JSON objects openlineage-python would write.

Every facet starts with ``_producer`` and ``_schemaURL``, then its own fields in the order of the
spec (and of openlineage-python's classes); :func:`without_nulls` then drops null fields the way
openlineage-python's ``Serde.to_dict`` does. Building plain dicts spares every check the import of
openlineage-python (0.2 to 0.5 s: its package loads the client and every transport).

The standard ``test`` run facet has one test per finding. Its ``status`` says whether the rule
found issues, its ``severity`` whether a failure blocks the gate:

============  ======  ===================================================================
outcome       status  severity
============  ======  ===================================================================
pass          pass    ``error`` for a critical or high rule, else ``warn``
fail          fail    ``error`` if the finding blocked the gate, else ``warn``
error         fail    same as fail: the gate fails closed
insufficient  fail    same as fail
waived        fail    ``warn``: the rule failed and a waiver let the gate pass anyway
skipped       skip    ``error`` for a critical or high rule, else ``warn``
============  ======  ===================================================================

The mapping loses the difference between fail, error, insufficient and waived; the custom
``governance_verdict`` facet keeps every finding's exact outcome.
"""

from __future__ import annotations

import datetime
import enum
import functools
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from governance.errors import LineageError
from governance.lineage import naming
from governance.lineage._record import optional, require, require_item, require_mapping

Facet = dict[str, Any]
"""A facet as JSON: ``_producer``, ``_schemaURL``, then its fields."""

UNKNOWN_OUTCOME = "unknown outcome {value!r}; expected one of {expected}"

OPENLINEAGE_DISTRIBUTION = "openlineage-python"
"""The distribution whose version the ``processing_engine`` facet names as adapter version."""

TEST_STATUS = {
    "pass": "pass",
    "fail": "fail",
    "error": "fail",
    "insufficient": "fail",
    "waived": "fail",
    "skipped": "skip",
}
"""``test`` facet status of each finding outcome."""

GATING_SEVERITIES = frozenset({"critical", "high"})
"""Rule severities whose failures block the gate by default."""

SUMMARY_COUNTS = ("rules", "pass", "fail", "error", "insufficient", "waived", "skipped", "blocking")
"""The counts of ``summary`` copied into the verdict facet."""

POLICY_KEYS = ("name", "version", "digest")
"""The fields of each policy copied into the verdict facet (not its local path)."""


def facet(schema_url: str, producer: str, **fields: Any) -> Facet:
    """Return a facet: ``_producer`` and ``_schemaURL`` first, then ``fields`` in order.

    Parameters
    ----------
    schema_url
        The facet's ``_schemaURL``.
    producer
        The producer URI.
    **fields
        The facet's own fields; null ones are dropped by :func:`without_nulls`.

    Returns
    -------
    dict
        The facet.
    """
    return {"_producer": producer, "_schemaURL": schema_url, **fields}


def without_nulls(value: Any) -> Any:
    """Return ``value`` as openlineage-python's ``Serde.to_dict`` writes it.

    Null fields are dropped from objects; null items and empty objects from arrays; tuples and
    sets become arrays; enums, dates and UUIDs become their text (``Enum.value``,
    ``isoformat()``, ``str``); a NumPy ``int64`` becomes an ``int``.

    Parameters
    ----------
    value
        A JSON-like value.

    Returns
    -------
    Any
        A new value; ``value`` is not changed.
    """
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        pairs = ((key, without_nulls(item)) for key, item in value.items())
        return {key: item for key, item in pairs if item is not None}
    if isinstance(value, list | tuple | set | frozenset):
        items = (without_nulls(item) for item in value if item is not None)
        return [item for item in items if item is not None and item != {}]
    if type(value).__name__ == "int64":
        return int(value)
    return value


def job_facets(model_name: str, producer: str) -> dict[str, Any]:
    """Return the job facets: ``jobType`` and ``documentation``.

    Parameters
    ----------
    model_name
        The model's name.
    producer
        The producer URI.

    Returns
    -------
    dict
        Facets by key.
    """
    return {
        "jobType": facet(
            naming.JOB_TYPE_SCHEMA_URL,
            producer,
            processingType="BATCH",
            integration=naming.INTEGRATION,
            jobType=naming.JOB_TYPE,
        ),
        "documentation": facet(
            naming.DOCUMENTATION_SCHEMA_URL,
            producer,
            description=(
                f"Governance check of the model {model_name}: evaluates it against its "
                "policies and records the verdict."
            ),
            contentType="text/plain",
        ),
    }


def processing_engine(tool_version: str, producer: str) -> Facet:
    """Return the ``processing_engine`` run facet naming the governance version.

    Parameters
    ----------
    tool_version
        The governance version.
    producer
        The producer URI.

    Returns
    -------
    dict
        The facet; ``openlineageAdapterVersion`` is the installed openlineage-python's version.
    """
    return facet(
        naming.PROCESSING_ENGINE_SCHEMA_URL,
        producer,
        version=tool_version,
        name="governance",
        openlineageAdapterVersion=openlineage_version(),
    )


@functools.cache
def openlineage_version() -> str | None:
    """Return the installed openlineage-python's version, without importing it.

    Returns
    -------
    str or None
        E.g. ``1.54.0``; ``None`` if its distribution metadata is not found.
    """
    import importlib.metadata

    try:
        return importlib.metadata.version(OPENLINEAGE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def error_message(message: str, stack_trace: str | None, producer: str) -> Facet:
    """Return the standard ``errorMessage`` run facet.

    Parameters
    ----------
    message
        What went wrong.
    stack_trace
        The Python traceback, if any.
    producer
        The producer URI.

    Returns
    -------
    dict
        The facet.
    """
    return facet(
        naming.ERROR_MESSAGE_SCHEMA_URL,
        producer,
        message=message,
        programmingLanguage="python",
        stackTrace=stack_trace,
    )


def standard_test_facet(findings: Iterable[Mapping[str, Any]], producer: str) -> Facet:
    """Return the standard ``test`` run facet: one test per finding.

    Parameters
    ----------
    findings
        The record's ``findings``.
    producer
        The producer URI.

    Returns
    -------
    dict
        The facet.

    Raises
    ------
    LineageError
        If a finding lacks a field or has an unknown outcome.
    """
    tests = []
    for index, finding in enumerate(findings):
        field = f"findings[{index}]"
        outcome = _outcome(finding, field)
        tests.append(
            {
                "name": str(require_item(finding, "rule_id", field)),
                "status": TEST_STATUS[outcome],
                "severity": execution_severity(finding, outcome),
                "type": _optional_text(finding.get("check")),
                "description": _optional_text(finding.get("title")),
                "expected": expected_text(finding.get("threshold")),
                "actual": _optional_text(finding.get("measured")),
                "params": dict(finding.get("params") or {}),
            }
        )
    return facet(naming.TEST_SCHEMA_URL, producer, tests=tests)


def execution_severity(finding: Mapping[str, Any], outcome: str) -> str:
    """Return the ``test`` facet severity of a finding: ``error`` (blocks) or ``warn``.

    Parameters
    ----------
    finding
        One finding of the record.
    outcome
        Its outcome.

    Returns
    -------
    str
        For a failed rule, whether it blocked the gate; for a waived rule, ``warn``; for a rule
        that passed or was skipped, whether its severity would block by default.
    """
    if outcome == "waived":
        return "warn"
    if TEST_STATUS[outcome] == "fail":
        return "error" if finding.get("blocking") else "warn"
    return "error" if finding.get("severity") in GATING_SEVERITIES else "warn"


def expected_text(threshold: Any) -> str | None:
    """Return a threshold as text: ``>= 0.8``, ``<= 0.1`` or ``>= 0.8 and <= 1.25``.

    Parameters
    ----------
    threshold
        The finding's ``{"min": ..., "max": ...}`` (bounds inclusive), or ``None``.

    Returns
    -------
    str or None
        The text, or ``None`` when there is no bound.
    """
    if not isinstance(threshold, Mapping):
        return None
    bounds = [
        f"{operator} {_text(threshold[key])}"
        for key, operator in (("min", ">="), ("max", "<="))
        if threshold.get(key) is not None
    ]
    return " and ".join(bounds) or None


def verdict_facet(record: Mapping[str, Any], producer: str) -> Facet:
    """Return the custom ``governance_verdict`` run facet.

    Parameters
    ----------
    record
        The complete evaluation record.
    producer
        The producer URI.

    Returns
    -------
    dict
        The facet (schema: ``schemas/GovernanceVerdictRunFacet.json``).

    Raises
    ------
    LineageError
        If the record lacks a field the facet's schema requires.
    """
    model_ref = {
        "name": str(require(record, "model.name")),
        "version": str(require(record, "model.version")),
    }
    if optional(record, "model.risk_tier") is not None:
        model_ref["riskTier"] = str(record["model"]["risk_tier"])
    manifest_ref = {"digest": str(require(record, "manifest.digest"))}
    if optional(record, "manifest.path") is not None:
        manifest_ref["path"] = str(record["manifest"]["path"])
    summary = require_mapping(record, "summary")
    findings = []
    for index, finding in enumerate(require(record, "findings")):
        field = f"findings[{index}]"
        findings.append(
            {
                "ruleId": str(require_item(finding, "rule_id", field)),
                "policy": _optional_text(finding.get("policy")),
                "outcome": _outcome(finding, field),
                "severity": _optional_text(finding.get("severity")),
                "blocking": bool(require_item(finding, "blocking", field)),
            }
        )
    return facet(
        naming.VERDICT_SCHEMA_URL,
        producer,
        evaluationId=str(require(record, "evaluation_id")),
        verdict=str(require(record, "verdict")),
        exitCode=int(require(record, "exit_code")),
        model=model_ref,
        manifest=manifest_ref,
        policies=[
            {key: str(require_item(policy, key, f"policies[{index}]")) for key in POLICY_KEYS}
            for index, policy in enumerate(require(record, "policies"))
        ],
        summary={key: int(require_item(summary, key, "summary")) for key in SUMMARY_COUNTS},
        findings=findings,
    )


def _outcome(finding: Mapping[str, Any], field: str) -> str:
    outcome = require_item(finding, "outcome", field)
    if outcome not in TEST_STATUS:
        raise LineageError(
            UNKNOWN_OUTCOME.format(value=outcome, expected=", ".join(TEST_STATUS)),
            field=f"{field}.outcome",
        )
    return str(outcome)


def _text(value: Any) -> str:
    """Return a value as text; numbers in their shortest exact form (``0.3127``, ``30``)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)
