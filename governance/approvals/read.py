"""Approvals read back from the log: hash-checked entries, signatures verified.

Never from a query table: the ``approval`` entries are found by the log's (kind, seq) index,
each row's hash is checked, and each signature is verified with the public key the entry
carries, whose id must be the signed ``key_id``; whether that key may approve is decided by
the configuration now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, select

from governance.approvals.model import (
    APPROVAL_KIND,
    EVALUATION,
    SIGNED_FIELDS,
    WAIVER,
    Approval,
    ApprovalStatus,
)
from governance.approvals.policy import Approvers, record_digest
from governance.approvals.sign import signature_ok
from governance.config import Settings
from governance.errors import InputError, VerificationFailed
from governance.store.log import AuditLog
from governance.store.tables import audit_log
from governance.store.walk import row_hash

if TYPE_CHECKING:
    from governance.evaluators.context import EvaluationContext
    from governance.policy.model import Policy, Waiver

__all__ = [
    "approval_entries",
    "approval_status",
    "approvals_of",
    "approved_waivers",
    "evaluation_approvals",
    "load_waiver_approvals",
]

TAMPERED_ENTRY = "approval entry {seq} in {url} does not match its hash"
TAMPERED_HINT = "run `governance audit verify` to check the whole log"
LATEST_REFUSED = "approvals name an evaluation by its id, not `latest`"


def approval_entries(
    store: AuditLog, conn: Connection | None = None, *, subject_id: str | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """Every ``approval`` entry of the log (naming ``subject_id``), oldest first, hash-checked.

    ``subject_id`` narrows the rows read in SQL (a text match on the canonical payload); the
    caller still compares the parsed ``subject_id``.

    Raises
    ------
    VerificationFailed
        If an entry does not match its hash.
    """
    import json

    from governance.canonical import canonical_json

    query = select(audit_log).where(audit_log.c.kind == APPROVAL_KIND).order_by(audit_log.c.seq)
    if subject_id is not None:
        needle = '"subject_id":' + canonical_json(subject_id)
        query = query.where(audit_log.c.payload.contains(needle, autoescape=True))
    if conn is None:
        with store.engine.read("read") as own:
            rows = own.execute(query).all()
    else:
        rows = conn.execute(query).all()
    found = []
    for row in rows:
        if row_hash(row) != row.entry_hash:
            raise VerificationFailed(
                TAMPERED_ENTRY.format(seq=row.seq, url=store.url), hint=TAMPERED_HINT
            )
        payload = json.loads(row.payload)
        found.append((row.seq, payload if isinstance(payload, dict) else {}))
    return found


def _text(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    return value if isinstance(value, str) else ""


def read_approval(
    seq: int,
    payload: Mapping[str, Any],
    *,
    approvers: Approvers,
    digest: str,
    owner: str | None,
) -> Approval:
    """An entry as an :class:`Approval`: signature checked, permission and digest decided."""
    statement = {name: payload.get(name) for name in SIGNED_FIELDS}
    signed = all(name in payload for name in SIGNED_FIELDS) and signature_ok(
        statement,
        algorithm=payload.get("signature_algorithm"),
        signature=payload.get("signature"),
        public_key=payload.get("public_key"),
        key_id=payload.get("key_id"),
    )
    key_id, role = _text(payload, "key_id"), _text(payload, "role")
    refused = approvers.refusal(key_id, role, owner)
    return Approval(
        evaluation_id=_text(payload, "subject_id"),
        record_digest=_text(payload, "digest"),
        role=role,
        approver=_text(payload, "approver"),
        comment=_text(payload, "comment"),
        time=_text(payload, "time"),
        key_id=key_id,
        signature_valid=signed,
        allowed=refused is None,
        digest_matches=_text(payload, "digest") == digest,
        seq=seq,
        subject=_text(payload, "subject") or EVALUATION,
        refused=refused or "",
    )


def evaluation_approvals(
    store: AuditLog, evaluation_id: str, settings: Settings
) -> tuple[dict[str, Any], list[Approval]]:
    """An evaluation's record and its approvals (see :func:`approvals_of`)."""
    from governance.evaluations.reads import get_evaluation

    if evaluation_id == "latest":
        raise InputError(LATEST_REFUSED, field="evaluation_id")
    record = get_evaluation(store, evaluation_id)
    digest = record_digest(record)
    model = record.get("model")
    owner = model.get("owner") if isinstance(model, dict) else None
    approvers = Approvers.of(settings)
    approvals = [
        read_approval(
            seq,
            payload,
            approvers=approvers,
            digest=digest,
            owner=owner if isinstance(owner, str) else None,
        )
        for seq, payload in approval_entries(store, subject_id=evaluation_id)
        if payload.get("subject") == EVALUATION and payload.get("subject_id") == evaluation_id
    ]
    return record, approvals


def approval_status(
    store: AuditLog, evaluation_id: str, settings: Settings | None = None
) -> ApprovalStatus:
    """Which roles an evaluation's risk tier requires, and its approvals, each verified.

    Parameters
    ----------
    store
        The audit store.
    evaluation_id
        The evaluation.
    settings
        The configuration (``approvers``, ``approval_roles``, ``owner_may_approve``); default:
        the configured settings.

    Returns
    -------
    ApprovalStatus
        The required roles (``approval_roles`` for the record's risk tier), the approvals, and
        from them the roles present and missing.

    Raises
    ------
    EvaluationNotFound
        If the store has no such evaluation.
    VerificationFailed
        If the evaluation's or an approval's log entry does not match its hash.
    ConfigError
        If an approver's key file cannot be read.
    """
    from governance.config import load_settings

    settings = settings or load_settings()
    record, approvals = evaluation_approvals(store, evaluation_id, settings)
    model = record.get("model")
    tier = model.get("risk_tier") if isinstance(model, dict) else None
    tier = tier if isinstance(tier, str) else None
    required = settings.approval_roles.for_tier(tier)
    return ApprovalStatus(evaluation_id, tier, required, tuple(approvals))


def approvals_of(
    store: AuditLog, evaluation_id: str, settings: Settings | None = None
) -> list[Approval]:
    """An evaluation's approvals, oldest first, each verified.

    Parameters
    ----------
    store
        The audit store.
    evaluation_id
        The evaluation.
    settings
        Who may approve now (``approvers``, ``owner_may_approve``); default: the configured
        settings.

    Returns
    -------
    list of Approval
        Every ``approval`` entry naming the evaluation, valid or not: see
        :attr:`Approval.valid` and :attr:`Approval.problem`.

    Raises
    ------
    EvaluationNotFound
        If the store has no such evaluation.
    VerificationFailed
        If the evaluation's or an approval's log entry does not match its hash.
    """
    from governance.config import load_settings

    return evaluation_approvals(store, evaluation_id, settings or load_settings())[1]


def approved_waivers(
    store: AuditLog, settings: Settings, *, owner: str | None = None
) -> dict[str, frozenset[str]]:
    """The roles that validly approved each waiver, by waiver digest.

    Only approvals whose signature verifies and whose key the configuration allows the role
    (and, given the model's ``owner``, the owner rule) count.
    """
    approvers = Approvers.of(settings)
    roles: dict[str, set[str]] = {}
    for seq, payload in approval_entries(store):
        if payload.get("subject") != WAIVER:
            continue
        digest = _text(payload, "subject_id")
        approval = read_approval(seq, payload, approvers=approvers, digest=digest, owner=owner)
        if approval.valid:
            roles.setdefault(digest, set()).add(approval.role)
    return {digest: frozenset(found) for digest, found in roles.items()}


class Prepared(Protocol):
    """What :func:`load_waiver_approvals` reads of a prepared check (``gate.PreparedCheck``)."""

    @property
    def context(self) -> EvaluationContext:
        """The evaluation's context, which holds the approved waivers."""

    @property
    def policies(self) -> Sequence[Policy]:
        """The policies, with their own waivers."""

    @property
    def waivers(self) -> Sequence[Waiver]:
        """The waivers of waiver files."""


def load_waiver_approvals(store: AuditLog, prepared: Prepared) -> None:
    """Put the roles that approved each waiver in the context, if a waiver needs an approval.

    Read before evaluation, from the verified log (:func:`approved_waivers`, with the
    context's settings and its manifest's owner), so the policy engine never reads the store.
    """
    from governance.policy.engine import all_waivers

    waivers = all_waivers(prepared.policies, prepared.waivers)
    if not any(waiver.spec.approval_role for waiver in waivers):
        return
    context = prepared.context
    owner = context.manifest.spec.metadata.owner
    context.approved_waivers = approved_waivers(store, context.settings, owner=owner)
