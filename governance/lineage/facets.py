"""Run and job facets of a governance check, built with openlineage-python's facet classes.

Imports openlineage-python (about 0.2 s), so :mod:`governance.lineage.events` imports this module
only when an event is built.

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

import json
from collections.abc import Iterable, Mapping
from typing import Any

import attr
from openlineage.client.constants import __version__ as openlineage_version
from openlineage.client.facet_v2 import (
    RunFacet,
    documentation_job,
    error_message_run,
    job_type_job,
    processing_engine_run,
    test_run,
)

from governance.errors import LineageError
from governance.lineage import naming
from governance.lineage._record import optional, require, require_item, require_mapping

UNKNOWN_OUTCOME = "unknown outcome {value!r}; expected one of {expected}"

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


@attr.define
class GovernanceVerdictRunFacet(RunFacet):
    """The verdict of a governance check (schema: ``schemas/GovernanceVerdictRunFacet.json``)."""

    evaluationId: str
    verdict: str
    exitCode: int
    model: dict[str, str]
    manifest: dict[str, str]
    policies: list[dict[str, str]]
    summary: dict[str, int]
    findings: list[dict[str, Any]]

    @staticmethod
    def _get_schema() -> str:
        return naming.VERDICT_SCHEMA_URL


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
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH",
            integration=naming.INTEGRATION,
            jobType=naming.JOB_TYPE,
            producer=producer,
        ),
        "documentation": documentation_job.DocumentationJobFacet(
            description=(
                f"Governance check of the model {model_name}: evaluates it against its "
                "policies and records the verdict."
            ),
            contentType="text/plain",
            producer=producer,
        ),
    }


def processing_engine(tool_version: str, producer: str) -> RunFacet:
    """Return the ``processing_engine`` run facet naming the governance version.

    Parameters
    ----------
    tool_version
        The governance version.
    producer
        The producer URI.

    Returns
    -------
    RunFacet
        The facet.
    """
    return processing_engine_run.ProcessingEngineRunFacet(
        version=tool_version,
        name="governance",
        openlineageAdapterVersion=openlineage_version,
        producer=producer,
    )


def error_message(message: str, stack_trace: str | None, producer: str) -> RunFacet:
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
    RunFacet
        The facet.
    """
    return error_message_run.ErrorMessageRunFacet(
        message=message,
        programmingLanguage="python",
        stackTrace=stack_trace,
        producer=producer,
    )


def standard_test_facet(findings: Iterable[Mapping[str, Any]], producer: str) -> RunFacet:
    """Return the standard ``test`` run facet: one test per finding.

    Parameters
    ----------
    findings
        The record's ``findings``.
    producer
        The producer URI.

    Returns
    -------
    RunFacet
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
            test_run.TestExecution(
                name=str(require_item(finding, "rule_id", field)),
                status=TEST_STATUS[outcome],
                severity=execution_severity(finding, outcome),
                type=_optional_text(finding.get("check")),
                description=_optional_text(finding.get("title")),
                expected=expected_text(finding.get("threshold")),
                actual=_optional_text(finding.get("measured")),
                params=dict(finding.get("params") or {}),
            )
        )
    return test_run.TestRunFacet(tests=tests, producer=producer)


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


def verdict_facet(record: Mapping[str, Any], producer: str) -> RunFacet:
    """Return the custom ``governance_verdict`` run facet.

    Parameters
    ----------
    record
        The complete evaluation record.
    producer
        The producer URI.

    Returns
    -------
    RunFacet
        The facet.

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
    return GovernanceVerdictRunFacet(
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
        producer=producer,
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
