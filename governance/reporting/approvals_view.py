"""The approvals section of a report and of the web view's evaluation page."""

from __future__ import annotations

from typing import Any

from governance.approvals import ApprovalStatus

__all__ = ["approvals_view"]


def approvals_view(status: ApprovalStatus) -> dict[str, Any]:
    """An evaluation's approvals as templates show them.

    Returns
    -------
    dict
        ``rows`` (role, approver, time to the second, comment, ``valid``, ``problem``),
        ``required``, ``missing`` and ``risk_tier``.
    """
    return {
        "rows": [
            {
                "role": item.role,
                "approver": item.approver,
                "time": item.time.split(".")[0] + "Z" if "." in item.time else item.time,
                "comment": item.comment,
                "valid": item.valid,
                "problem": item.problem,
            }
            for item in status.approvals
        ],
        "required": list(status.required),
        "missing": list(status.missing),
        "risk_tier": status.risk_tier,
    }
