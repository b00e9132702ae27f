"""``approve``: one signed ``approval`` entry, appended only if the approver may make it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from governance.approvals.model import (
    APPROVAL_KIND,
    EVALUATION,
    SIGNED_FIELDS,
    STATEMENT_TYPE,
    STATEMENT_VERSION,
    WAIVER,
    Approval,
)
from governance.approvals.policy import Approvers, record_digest
from governance.approvals.read import LATEST_REFUSED, approval_entries, read_approval
from governance.approvals.sign import private_key_id, sign
from governance.config import Settings
from governance.errors import InputError
from governance.store.chain import format_time
from governance.store.log import AuditLog

__all__ = ["approve"]

UNKNOWN_ROLE = "role {role} is not a role of the configuration (roles: {roles})"
NOT_ALLOWED = "refusing to record the approval: {reason}"
ALREADY = (
    "an approval of {subject} {subject_id} in role {role} by key {key_id} exists (entry {seq})"
)
NOT_A_DIGEST = "a waiver is named by its digest, sha256:<64 hex digits>; found {found!r}"
ONE_SUBJECT = "approve an evaluation or a waiver, not both"
NO_SUBJECT = "name the evaluation (its id) or the waiver (--waiver DIGEST) to approve"
COMMENT_TOO_LONG = "the comment is longer than {limit} characters"
COMMENT_LIMIT = 2000
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def approve(
    store: AuditLog,
    evaluation_id: str | None,
    *,
    role: str,
    key: Path,
    comment: str | None = None,
    waiver: str | None = None,
    settings: Settings,
    passphrase: bytes | None = None,
    now: datetime | None = None,
) -> Approval:
    """Sign and append one approval of a stored evaluation (or of a waiver, by its digest).

    Everything is checked before anything is written: the evaluation exists, ``role`` is a
    role of the configuration, ``key``'s public half is a configured approver's key allowed
    ``role``, that approver is not the model's owner (unless ``owner_may_approve``), and this
    key has not approved the same subject in the same role (checked again in the write
    transaction). The entry holds the subject's id and digest (the evaluation record's: the
    approval is bound to exactly what was evaluated), role, approver name, comment, time and
    key id, the signature over them (canonical JSON), and the public key; never the private
    key.

    Parameters
    ----------
    store
        The audit store.
    evaluation_id
        The evaluation to approve; ``None`` with ``waiver``.
    role
        The role approved in.
    key
        The approver's private key (Ed25519, Ed448, EC or RSA; PEM or DER).
    comment
        Free text kept with the approval.
    waiver
        A waiver's digest (``sha256:<hex>``, as ``governance check`` shows it) to approve
        instead of an evaluation.
    settings
        ``approvers``, ``approval_roles`` and ``owner_may_approve``.
    passphrase
        The key's passphrase, if it is encrypted.
    now
        The approval time (default: now, UTC).

    Returns
    -------
    Approval
        The stored approval, as :func:`~governance.approvals.approvals_of` reads it.

    Raises
    ------
    InputError
        An unknown role, a key not allowed the role, the owner approving, an approval that
        exists, a malformed waiver digest (``EvaluationNotFound`` for an unknown evaluation,
        ``SigningError`` for an unreadable key).
    """
    from governance.evaluations.reads import get_evaluation

    if (evaluation_id is None) == (waiver is None):
        raise InputError(ONE_SUBJECT if waiver else NO_SUBJECT, field="evaluation_id")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise InputError(COMMENT_TOO_LONG.format(limit=COMMENT_LIMIT), field="comment")
    approvers = Approvers.of(settings)
    if role not in approvers.roles:
        roles = ", ".join(sorted(approvers.roles)) or "none configured"
        raise InputError(UNKNOWN_ROLE.format(role=role, roles=roles), field="role")
    owner: str | None = None
    model: dict[str, Any] = {}
    if evaluation_id is not None:
        if evaluation_id == "latest":
            raise InputError(LATEST_REFUSED, field="evaluation_id")
        record = get_evaluation(store, evaluation_id)
        subject, subject_id, digest = EVALUATION, evaluation_id, record_digest(record)
        found = record.get("model")
        named: dict[str, Any] = found if isinstance(found, dict) else {}
        owner = named.get("owner") if isinstance(named.get("owner"), str) else None
        model = {"name": named.get("name"), "version": named.get("version")}
    else:
        assert waiver is not None
        if not DIGEST.fullmatch(waiver):
            raise InputError(NOT_A_DIGEST.format(found=waiver), field="waiver")
        subject, subject_id, digest = WAIVER, waiver, waiver
    key_id = private_key_id(key, passphrase)
    reason = approvers.refusal(key_id, role, owner)
    if reason is not None:
        raise InputError(NOT_ALLOWED.format(reason=reason), field="key")
    approver = approvers.by_key[key_id].name
    statement = {
        "type": STATEMENT_TYPE,
        "version": STATEMENT_VERSION,
        "subject": subject,
        "subject_id": subject_id,
        "digest": digest,
        "model": model,
        "role": role,
        "approver": approver,
        "comment": comment,
        "time": format_time(now or datetime.now(UTC)),
        "key_id": key_id,
    }
    assert set(statement) == set(SIGNED_FIELDS)
    algorithm, signature, public_key, signed_id = sign(key, statement, passphrase)
    payload = {
        **statement,
        "signature_algorithm": algorithm,
        "signature": signature,
        "public_key": public_key,
    }
    existing: list[int] = []

    def known(conn: Connection, digests: Sequence[str]) -> set[str]:
        # in the write transaction: the same key's approval of this subject in this role
        for seq, entry in approval_entries(store, conn, subject_id=subject_id):
            if (entry.get("subject"), entry.get("subject_id")) == (subject, subject_id) and (
                entry.get("role"),
                entry.get("key_id"),
            ) == (role, signed_id):
                existing.append(seq)
                return set(digests)
        return set()

    stored = store.append_unique(
        APPROVAL_KIND, [([payload], None)], known=known, receipt_kind=APPROVAL_KIND
    )[0][0]
    if stored is None:
        raise InputError(
            ALREADY.format(
                subject=subject, subject_id=subject_id, role=role, key_id=key_id, seq=existing[0]
            ),
            field="role",
        )
    return read_approval(stored.seq, payload, approvers=approvers, digest=digest, owner=owner)
