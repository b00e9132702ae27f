"""Stored evaluations read back: each from its log entry, its hash checked.

The ``evaluations`` table finds an evaluation; what is returned is read from the log entry it
points at, so an edited row cannot change a verdict, and ``latest`` is found in the log itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from governance.config import RequiredPolicies
from governance.errors import EvaluationNotFound, StoreError, VerificationFailed
from governance.evaluations.tables import evaluations, reports
from governance.policy.required import applied_names, applied_packs
from governance.store.chain import parse_time
from governance.store.log import AuditLog
from governance.store.tables import audit_log
from governance.store.walk import row_hash

__all__ = [
    "EvaluationSummary",
    "ReportRow",
    "get_evaluation",
    "latest_under",
    "list_evaluations",
    "list_reports",
]

BATCH = 500
EVALUATION_KIND = "evaluation"
NO_EVALUATION = "no evaluation {ref}in {url}"
OUT_OF_STEP = "the evaluations table of {url} points at audit entry {seq}, which is not {ref}"
OUT_OF_STEP_HINT = "rebuild the projections from the log"
REPORT_OUT_OF_STEP = (
    "audit entry {seq} is not the report the reports table says it is, or does not match its "
    "hash: run `governance audit verify`"
)


@dataclass(frozen=True)
class EvaluationSummary:
    """One row of the ``evaluations`` projection.

    Attributes
    ----------
    evaluation_id
        The evaluation's UUID.
    model_name, model_version
        The model under review.
    verdict
        ``passed`` or ``failed``.
    exit_code
        What ``governance check`` exited with.
    started_at, finished_at
        When the check ran (UTC).
    entry_seq
        The audit log entry holding the full evaluation record.
    risk_tier
        The manifest's risk tier (None in a record without one).
    policies
        Names of the policies the check applied: those given and those they extend.
    packs
        ``pack:NAME`` of the shipped packs among them, read from the package's own files.
    """

    evaluation_id: str
    model_name: str
    model_version: str | None
    verdict: str
    exit_code: int
    started_at: datetime
    finished_at: datetime
    entry_seq: int
    risk_tier: str | None = None
    policies: tuple[str, ...] = ()
    packs: tuple[str, ...] = ()

    def missing(self, required: RequiredPolicies) -> tuple[str, ...]:
        """The policies ``required`` names for this model's risk tier that it did not apply."""
        return required.missing(self.risk_tier, (*self.policies, *self.packs))


@dataclass(frozen=True)
class ReportRow:
    """A report recorded in the log."""

    entry_seq: int
    evaluation_id: str
    path: str
    digest: str | None
    signed: bool
    created_at: str


def get_evaluation(store: AuditLog, ref: str, *, model: str | None = None) -> dict[str, Any]:
    """Return a stored evaluation record exactly as it was appended.

    The record is read from its log entry, whose hash is checked. ``latest`` is found in
    the log itself (the newest ``evaluation`` entry), not in the ``evaluations`` table,
    so an edited or deleted row cannot make an older evaluation the latest.

    Parameters
    ----------
    ref
        An ``evaluation_id``, or ``latest`` for the most recently appended one.
    model
        Only evaluations of this model name.

    Returns
    -------
    dict
        The evaluation record (docs/evaluation-record.md).

    Raises
    ------
    StoreError
        If there is no such evaluation, or the ``evaluations`` table points elsewhere.
    VerificationFailed
        If its log entry no longer matches its hash.
    """
    if ref == "latest":
        return _latest_evaluation(store, model)
    query = select(evaluations.c.entry_seq).where(evaluations.c.evaluation_id == ref)
    if model is not None:
        query = query.where(evaluations.c.model_name == model)
    with store.engine.read("read") as conn:
        seq = conn.execute(query).scalar_one_or_none()
        row = None
        if seq is not None:
            row = conn.execute(select(audit_log).where(audit_log.c.seq == seq)).first()
    if seq is None:
        described = f"{ref} " + (f"of model {model} " if model is not None else "")
        raise EvaluationNotFound(NO_EVALUATION.format(ref=described, url=store.url))
    if row is None or row.kind != "evaluation":
        raise StoreError(
            OUT_OF_STEP.format(url=store.url, seq=seq, ref="an evaluation"),
            hint=OUT_OF_STEP_HINT,
        )
    record = store.checked_payload(row)
    named = record.get("model")
    if record.get("evaluation_id") != ref or (
        model is not None and (not isinstance(named, dict) or named.get("name") != model)
    ):
        raise StoreError(
            OUT_OF_STEP.format(url=store.url, seq=seq, ref=f"evaluation {ref}"),
            hint=OUT_OF_STEP_HINT,
        )
    return record


def _latest_evaluation(store: AuditLog, model: str | None) -> dict[str, Any]:
    """The newest ``evaluation`` entry of the log (of ``model``), hash-checked."""
    last: int | None = None
    while True:
        query = select(audit_log).where(audit_log.c.kind == "evaluation")
        if last is not None:
            query = query.where(audit_log.c.seq < last)
        with store.engine.read("read") as conn:
            rows = conn.execute(query.order_by(audit_log.c.seq.desc()).limit(BATCH)).all()
        for row in rows:
            record = store.checked_payload(row)
            named = record.get("model")
            if model is None or (isinstance(named, dict) and named.get("name") == model):
                return record
        if len(rows) < BATCH:
            described = f"of model {model} " if model is not None else ""
            raise EvaluationNotFound(NO_EVALUATION.format(ref=described, url=store.url))
        last = rows[-1].seq


def list_evaluations(
    store: AuditLog, *, model: str | None = None, limit: int | None = None
) -> list[EvaluationSummary]:
    """List stored evaluations, most recently appended first.

    The ``evaluations`` table finds them; what each summary says (verdict, exit code,
    model, times) is read from the evaluation's log entry, whose hash is checked.

    Parameters
    ----------
    model
        Only evaluations of this model name.
    limit
        At most this many.

    Returns
    -------
    list of EvaluationSummary
        One summary per evaluation.

    Raises
    ------
    VerificationFailed
        If an evaluation's log entry no longer matches its hash.
    StoreError
        If the ``evaluations`` table points at an entry that is not that evaluation.
    """
    query = (
        select(evaluations.c.evaluation_id, audit_log)
        .join(audit_log, audit_log.c.seq == evaluations.c.entry_seq)
        .order_by(evaluations.c.entry_seq.desc())
    )
    if model is not None:
        query = query.where(evaluations.c.model_name == model)
    if limit is not None:
        query = query.limit(limit)
    with store.engine.read("read") as conn:
        rows = conn.execute(query).all()
    summaries = []
    for row in rows:
        record = store.checked_payload(row) if row.kind == "evaluation" else {}
        summary = _summary(record, row.seq)
        if (
            summary is None
            or summary.evaluation_id != row.evaluation_id
            or (model is not None and summary.model_name != model)
        ):
            raise StoreError(
                OUT_OF_STEP.format(
                    url=store.url, seq=row.seq, ref=f"evaluation {row.evaluation_id}"
                ),
                hint=OUT_OF_STEP_HINT,
            )
        summaries.append(summary)
    return summaries


def _summary(record: Mapping[str, Any], seq: int) -> EvaluationSummary | None:
    """An evaluation's summary from its record, or None if the record lacks a field."""
    try:
        model = record["model"]
        tier = model.get("risk_tier")
        return EvaluationSummary(
            evaluation_id=str(record["evaluation_id"]),
            model_name=str(model["name"]),
            model_version=None if model.get("version") is None else str(model["version"]),
            verdict=str(record["verdict"]),
            exit_code=int(record["exit_code"]),
            started_at=parse_time(record["started_at"]),
            finished_at=parse_time(record["finished_at"]),
            entry_seq=seq,
            risk_tier=tier if isinstance(tier, str) else None,
            policies=tuple(sorted(applied_names(record.get("policies") or ()))),
            packs=tuple(sorted(applied_packs(record.get("policies") or ()))),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def latest_under(
    summaries: Iterable[EvaluationSummary], required: RequiredPolicies
) -> EvaluationSummary | None:
    """The first of ``summaries`` (newest first) that applied every policy ``required`` names.

    With nothing required, the first one: the latest verdict is the latest evaluation's.

    Returns
    -------
    EvaluationSummary or None
        None when no evaluation applied the required set.
    """
    return next((item for item in summaries if not item.missing(required)), None)


def list_reports(store: AuditLog, evaluation_id: str | None = None) -> list[ReportRow]:
    """Recorded reports, newest first (of one evaluation, if given).

    The ``reports`` table finds the entries; what each row says comes from the ``report``
    entry itself, whose hash is checked.

    Raises
    ------
    VerificationFailed
        If a report entry does not match its hash, or the table points at an entry that is
        not that report.
    """
    query = (
        select(reports.c.evaluation_id.label("indexed_as"), audit_log)
        .join(audit_log, audit_log.c.seq == reports.c.entry_seq)
        .order_by(reports.c.entry_seq.desc())
    )
    if evaluation_id is not None:
        query = query.where(reports.c.evaluation_id == evaluation_id)
    with store.engine.read("read") as conn:
        rows = conn.execute(query).all()
    found = []
    for row in rows:
        payload = json.loads(row.payload) if row_hash(row) == row.entry_hash else None
        if (
            row.kind != "report"
            or not isinstance(payload, dict)
            or payload.get("evaluation_id") != row.indexed_as
            or not isinstance(payload.get("path"), str)
        ):
            raise VerificationFailed(REPORT_OUT_OF_STEP.format(seq=row.seq))
        digest = payload.get("digest")
        found.append(
            ReportRow(
                row.seq,
                str(payload["evaluation_id"]),
                payload["path"],
                digest if isinstance(digest, str) else None,
                payload.get("signed") is True,
                row.created_at,
            )
        )
    return found
