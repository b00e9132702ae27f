"""Reading a stored evaluation record (version 1 or 2) into :class:`EvaluationRecord`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from governance.errors import InputError, VerificationFailed
from governance.record.model import READ_VERSIONS, EvaluationRecord

UNKNOWN_VERSION = (
    "evaluation record {evaluation_id}: schema_version {version!r} is not one this governance "
    "reads ({known})"
)
UNKNOWN_VERSION_HINT = "a newer governance wrote it: upgrade governance to read it"
NOT_A_RECORD = "evaluation record {evaluation_id}: {field}: {problem}"
NOT_A_RECORD_HINT = (
    "the record is not one governance wrote; `governance audit verify` checks the store"
)
CHARTS_IN_V2 = "charts are drawn from the evidence in version 2: a finding holds no SVG"


def read_record(payload: Mapping[str, Any]) -> EvaluationRecord:
    """Parse a stored evaluation record of version 1 or 2.

    Parameters
    ----------
    payload
        The record as stored (the payload of an ``evaluation`` log entry) or printed by
        ``--format json``.

    Returns
    -------
    EvaluationRecord
        The typed record. Fields a version-1 record lacks read as their defaults; its SVG
        ``charts`` are kept in the model but never rendered.

    Raises
    ------
    InputError
        When ``schema_version`` is missing or one this version of governance does not read.
    VerificationFailed
        When a field is missing, unknown or of the wrong type: one line naming the field.
    """
    evaluation_id = payload.get("evaluation_id", "(no evaluation_id)")
    version = payload.get("schema_version")
    if type(version) is not int or version not in READ_VERSIONS:
        raise InputError(
            UNKNOWN_VERSION.format(
                evaluation_id=evaluation_id,
                version=version,
                known=", ".join(str(known) for known in READ_VERSIONS),
            ),
            hint=UNKNOWN_VERSION_HINT,
        )
    try:
        record = EvaluationRecord.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "(record)"
        problem = error["msg"].splitlines()[0]
        raise VerificationFailed(
            NOT_A_RECORD.format(evaluation_id=evaluation_id, field=field, problem=problem),
            hint=NOT_A_RECORD_HINT,
        ) from None
    if version >= 2:
        for index, finding in enumerate(record.findings):
            if finding.charts is not None:
                field = f"findings.{index}.charts"
                raise VerificationFailed(
                    NOT_A_RECORD.format(
                        evaluation_id=evaluation_id, field=field, problem=CHARTS_IN_V2
                    ),
                    hint=NOT_A_RECORD_HINT,
                )
    return record
