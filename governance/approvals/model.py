"""An approval as read back from the log, and an evaluation's approval status."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "APPROVAL_KIND",
    "EVALUATION",
    "SIGNED_FIELDS",
    "WAIVER",
    "Approval",
    "ApprovalStatus",
]

APPROVAL_KIND = "approval"
"""The kind of the log entries :func:`~governance.approvals.record.approve` appends."""
STATEMENT_TYPE = "governance.approval"
STATEMENT_VERSION = 1
EVALUATION = "evaluation"
WAIVER = "waiver"
SIGNED_FIELDS = (
    "type",
    "version",
    "subject",
    "subject_id",
    "digest",
    "model",
    "role",
    "approver",
    "comment",
    "time",
    "key_id",
)
"""The fields of an approval entry its signature covers (as canonical JSON, UTF-8)."""


@dataclass(frozen=True)
class Approval:
    """One approval entry, its signature checked and its key's permission re-read.

    Attributes
    ----------
    evaluation_id
        The evaluation approved (for a waiver approval: the waiver's digest).
    record_digest
        ``sha256:<hex>`` of the evaluation record the approver signed for.
    role, approver, comment, time, key_id
        As signed: the role approved in, the approver's configured name, their comment, when
        (UTC, ISO 8601) and ``sha256:<hex>`` of their public key.
    signature_valid
        Whether the signature verifies with the entry's public key, that key is ``key_id``,
        and the entry has every signed field.
    allowed
        Whether the configuration, now, lets ``key_id`` approve in ``role``, and lets that
        approver approve this model (``owner_may_approve``).
    digest_matches
        Whether ``record_digest`` is the digest of the stored record (an approval copied onto
        another evaluation does not match).
    seq
        The log entry.
    subject
        ``evaluation`` or ``waiver``.
    refused
        Why the configuration does not allow it (empty when ``allowed``).
    """

    evaluation_id: str
    record_digest: str
    role: str
    approver: str
    comment: str
    time: str
    key_id: str
    signature_valid: bool
    allowed: bool
    digest_matches: bool = True
    seq: int = 0
    subject: str = EVALUATION
    refused: str = ""

    @property
    def valid(self) -> bool:
        """Whether the approval counts: signed, bound to this record, and allowed."""
        return self.signature_valid and self.digest_matches and self.allowed

    @property
    def problem(self) -> str | None:
        """What is wrong with it, or ``None`` if it counts."""
        if not self.signature_valid:
            return f"approval entry {self.seq} ({self.role}): the signature does not verify"
        if not self.digest_matches:
            return (
                f"approval entry {self.seq} ({self.role}): signed for record {self.record_digest},"
                " not this evaluation's record"
            )
        if not self.allowed:
            return f"approval entry {self.seq} ({self.role}): {self.refused}"
        return None


@dataclass(frozen=True)
class ApprovalStatus:
    """Which roles an evaluation's risk tier requires, and which valid approvals it has.

    Attributes
    ----------
    evaluation_id
        The evaluation.
    risk_tier
        Its model's risk tier.
    required
        The roles the configuration requires for that tier.
    approvals
        Every approval entry of the evaluation, valid or not, oldest first.
    """

    evaluation_id: str
    risk_tier: str | None
    required: tuple[str, ...]
    approvals: tuple[Approval, ...]

    @property
    def present(self) -> tuple[str, ...]:
        """The required roles that have at least one valid approval."""
        approved = {item.role for item in self.approvals if item.valid}
        return tuple(role for role in self.required if role in approved)

    @property
    def missing(self) -> tuple[str, ...]:
        """The required roles without a valid approval."""
        return tuple(role for role in self.required if role not in self.present)

    @property
    def invalid(self) -> tuple[Approval, ...]:
        """The approvals that do not count (bad signature, other record, not allowed)."""
        return tuple(item for item in self.approvals if not item.valid)

    @property
    def complete(self) -> bool:
        """Every required role approved, and no approval invalid."""
        return not self.missing and not self.invalid
