"""Signed approvals of evaluations and waivers, and separation of duties (docs/approvals.md).

:func:`approve` appends one signed ``approval`` entry; :func:`approvals_of` reads an
evaluation's approvals back from hash-checked log entries, each signature verified; and
:func:`approval_status` says which roles its model's risk tier requires and which are missing.
"""

from governance.approvals.model import APPROVAL_KIND, Approval, ApprovalStatus
from governance.approvals.read import (
    approval_status,
    approvals_of,
    approved_waivers,
    load_waiver_approvals,
)
from governance.approvals.record import approve

__all__ = [
    "APPROVAL_KIND",
    "Approval",
    "ApprovalStatus",
    "approval_status",
    "approvals_of",
    "approve",
    "approved_waivers",
    "load_waiver_approvals",
]
