"""One inventory row per model version: its latest verdict, waivers, monitoring and registry.

Everything is read from the log's hash-checked entries (:mod:`governance.inventory.history`).
A version's verdict is its latest gate evaluation's under the policies required for its risk
tier today (setting ``required_policies``): an evaluation that did not apply one of them is
``incomplete``, whatever it recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from governance.inventory.approvals import approvals_summary
from governance.inventory.history import StoreHistory, read_history
from governance.policy.required import applied_names, applied_packs

if TYPE_CHECKING:
    from governance.audit import AuditStore
    from governance.config import RequiredPolicies, Settings

__all__ = [
    "INCOMPLETE",
    "NOT_MONITORED",
    "InventoryRow",
    "WaiverState",
    "model_inventory",
    "row_of",
]

INCOMPLETE = "incomplete"
NOT_MONITORED = "not monitored"


@dataclass(frozen=True)
class WaiverState:
    """A waiver on file for a version, as of the inventory's date.

    Attributes
    ----------
    rule_id
        The waived rule.
    expires
        The last day it holds (UTC).
    expired
        Whether that day has passed.
    approved_by
        Who approved it.
    """

    rule_id: str
    expires: str
    expired: bool
    approved_by: str | None = None


@dataclass(frozen=True)
class InventoryRow:
    """One model version of the inventory (the columns of docs/inventory.md).

    Attributes
    ----------
    model, version, owner, risk_tier
        The model version, from its latest gate evaluation.
    evaluation_id, evaluated_at
        Its latest gate evaluation and when it finished (UTC).
    verdict
        ``passed``, ``failed``, or ``incomplete`` (a required policy was not applied).
    recorded_verdict
        What that evaluation recorded (``passed`` or ``failed``).
    missing_policies
        The required policies it did not apply.
    evaluations
        How many gate evaluations the version has.
    waived_findings
        Findings the latest evaluation waived.
    waivers
        Waivers of the latest evaluation for this version, open and expired.
    monitoring, monitored_at, monitoring_evaluation_id
        The latest monitored window's verdict, its end and id; ``not monitored``, None, None.
    registry_name, registry_version, registry_uri
        The registered model version the evaluation names, when its record has one.
    approvals
        The approvals' status (:func:`governance.inventory.approvals.approvals_summary`).
    report_digest, report_signed
        The newest report of the latest evaluation: its sha256 and whether it is signed.
    """

    model: str
    version: str
    owner: str | None
    risk_tier: str | None
    evaluation_id: str
    evaluated_at: str | None
    verdict: str
    recorded_verdict: str
    missing_policies: tuple[str, ...]
    evaluations: int
    waived_findings: int
    waivers: tuple[WaiverState, ...]
    monitoring: str
    monitored_at: str | None
    monitoring_evaluation_id: str | None
    registry_name: str | None
    registry_version: str | None
    registry_uri: str | None
    approvals: str
    report_digest: str | None
    report_signed: bool

    @property
    def open_waivers(self) -> tuple[WaiverState, ...]:
        """The waivers still in force."""
        return tuple(item for item in self.waivers if not item.expired)

    @property
    def expired_waivers(self) -> tuple[WaiverState, ...]:
        """The waivers past their date."""
        return tuple(item for item in self.waivers if item.expired)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def missing_required(record: Mapping[str, Any], required: RequiredPolicies) -> tuple[str, ...]:
    """The policies ``required`` names for the record's risk tier that it did not apply."""
    policies = record.get("policies") or ()
    tier = (record.get("model") or {}).get("risk_tier")
    applied = applied_names(policies) | applied_packs(policies)
    return required.missing(tier if isinstance(tier, str) else None, applied)


def verdict_under(record: Mapping[str, Any], required: RequiredPolicies) -> str:
    """The record's verdict, or :data:`INCOMPLETE` when it lacks a required policy."""
    if missing_required(record, required):
        return INCOMPLETE
    return str(record.get("verdict"))


def waivers_of(record: Mapping[str, Any], today: dt.date) -> tuple[WaiverState, ...]:
    """The waivers the record considered for its own model version, as of ``today``."""
    model = record.get("model") or {}
    found = []
    for waiver in record.get("waivers") or ():
        if not isinstance(waiver, Mapping):
            continue
        subject = waiver.get("subject") or {}
        if subject.get("model") != model.get("name") or subject.get("version") not in (
            None,
            model.get("version"),
        ):
            continue
        expires = str(waiver.get("expires", ""))
        try:
            past = dt.date.fromisoformat(expires) < today
        except ValueError:
            past = True  # a date that does not parse holds nothing
        found.append(
            WaiverState(
                rule_id=str(waiver.get("rule_id")),
                expires=expires,
                expired=past or waiver.get("status") == "expired",
                approved_by=_text(waiver.get("approved_by")),
            )
        )
    return tuple(found)


def registry_of(record: Mapping[str, Any]) -> dict[str, str | None]:
    """The registered model version the record names (``registry``), read defensively."""
    part = record.get("registry")
    part = part if isinstance(part, Mapping) else {}
    version = part.get("version")
    return {
        "name": _text(part.get("name")),
        "version": str(version) if isinstance(version, (str, int)) else None,
        "uri": _text(part.get("uri")),
    }


def row_of(
    history: StoreHistory,
    key: tuple[str, str],
    *,
    required: RequiredPolicies,
    today: dt.date,
    approvals: str,
) -> InventoryRow:
    """The inventory row of one model version of ``history``."""
    gates = history.gates[key]
    latest = gates[-1]
    model = latest.get("model") or {}
    window = history.latest_window(gates)
    reports = history.reports.get(str(latest["evaluation_id"]), [])
    report = reports[-1] if reports else None
    registry = registry_of(latest)
    summary = latest.get("summary") or {}
    return InventoryRow(
        model=key[0],
        version=key[1],
        owner=_text(model.get("owner")),
        risk_tier=_text(model.get("risk_tier")),
        evaluation_id=str(latest["evaluation_id"]),
        evaluated_at=_text(latest.get("finished_at")),
        verdict=verdict_under(latest, required),
        recorded_verdict=str(latest.get("verdict")),
        missing_policies=missing_required(latest, required),
        evaluations=len(gates),
        waived_findings=int(summary.get("waived") or 0),
        waivers=waivers_of(latest, today),
        monitoring=NOT_MONITORED if window is None else str(window.get("verdict")),
        monitored_at=None if window is None else _text(window["monitoring"].get("window_end")),
        monitoring_evaluation_id=None if window is None else str(window["evaluation_id"]),
        registry_name=registry["name"],
        registry_version=registry["version"],
        registry_uri=registry["uri"],
        approvals=approvals,
        report_digest=None if report is None else _text(report.get("digest")),
        report_signed=report is not None and report.get("signed") is True,
    )


def model_inventory(
    store: AuditStore,
    required: RequiredPolicies,
    *,
    settings: Settings | None = None,
    model: str | None = None,
    today: dt.date | None = None,
) -> list[InventoryRow]:
    """Every model version in the store (of ``model``), by model name then first evaluation.

    Parameters
    ----------
    store
        The open audit store.
    required
        The setting ``required_policies``: it decides ``incomplete``.
    settings
        The resolved settings, for the approvals a risk tier needs (None: the server's view).
    model
        Only this model.
    today
        The date waivers are judged against; default today (UTC).

    Returns
    -------
    list of InventoryRow
        One row per model version with a gate evaluation.

    Raises
    ------
    VerificationFailed
        If an evaluation or report entry does not match its hash.
    """
    history = read_history(store, model=model)
    day = today if today is not None else dt.datetime.now(dt.UTC).date()
    keys = sorted(history.gates, key=lambda key: key[0])  # stable: versions keep their order
    return [
        row_of(
            history,
            key,
            required=required,
            today=day,
            approvals=approvals_summary(
                store, str(history.gates[key][-1]["evaluation_id"]), settings
            ),
        )
        for key in keys
    ]
