"""The approvals of an evaluation, as the inventory and the Annex IV document show them.

One seam: :func:`approvals_summary` is the only place that asks about approvals. Until signed
approvals (issue 18, part 3) are in the package, it answers :data:`NOT_CONFIGURED`; the
coordinator wires it to ``governance.approvals.read.approval_status``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from governance.audit import AuditStore
    from governance.config import Settings

__all__ = ["NOT_CONFIGURED", "approvals_summary"]

NOT_CONFIGURED = "not configured"


def approvals_summary(store: AuditStore, evaluation_id: str, settings: Settings | None) -> str:
    """One line saying whether the approvals an evaluation needs are recorded.

    Parameters
    ----------
    store
        The open audit store.
    evaluation_id
        The gate evaluation the approvals are of.
    settings
        The resolved settings (the roles each risk tier needs); None where there are none
        (the web view).

    Returns
    -------
    str
        :data:`NOT_CONFIGURED` until approvals exist in the package.
    """
    del store, evaluation_id, settings  # wired to governance.approvals.read.approval_status
    return NOT_CONFIGURED
