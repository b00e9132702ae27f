"""The approvals of an evaluation, as the inventory and the Annex IV document show them.

One line per evaluation, from :func:`governance.approvals.approval_status` (signed approval
entries read from the hash-checked log, each verified against the configured approvers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from governance.audit import AuditStore
    from governance.config import Settings

__all__ = ["NONE_REQUIRED", "NOT_CONFIGURED", "approvals_summary"]

NOT_CONFIGURED = "not configured"
NONE_REQUIRED = "none required"


def approvals_summary(store: AuditStore, evaluation_id: str, settings: Settings | None) -> str:
    """One line saying which approvals an evaluation has and which its risk tier still needs.

    Parameters
    ----------
    store
        The open audit store.
    evaluation_id
        The gate evaluation the approvals are of.
    settings
        The resolved settings (approvers and the roles each risk tier needs); None where
        approvals are not checked (a server started without approval settings).

    Returns
    -------
    str
        :data:`NOT_CONFIGURED` without settings; :data:`NONE_REQUIRED` when the tier needs no
        role and none approved; else ``complete``/``missing ROLE, ...`` and each approval as
        ``role: approver, date`` (``, INVALID`` when its signature, binding or permission
        fails).
    """
    from governance.approvals import approval_status

    if settings is None:
        return NOT_CONFIGURED
    status = approval_status(store, evaluation_id, settings)
    if not status.required and not status.approvals:
        return NONE_REQUIRED
    head = f"missing {', '.join(status.missing)}" if status.missing else "complete"
    items = [
        f"{item.role}: {item.approver}, {item.time[:10]}{'' if item.valid else ', INVALID'}"
        for item in status.approvals
        if item.subject == "evaluation"
    ]
    return "; ".join([head, *items])
