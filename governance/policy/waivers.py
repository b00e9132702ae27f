"""Waivers: accepted failures of one rule for one model, with a justification and an expiry.

A waiver is written in a policy's ``waivers:`` list or in a separate ``kind: Waivers`` file
(``governance check --waivers FILE``, or kept in a policy folder given with ``--policy DIR``).
It names exactly one rule id and one model (optionally one version); an empty or wildcard rule
id or model is refused when the file loads.

Applied to the findings of an evaluation:

- a failing finding (fail, error or insufficient) of the waived rule and model becomes
  ``waived``: it keeps its measured value and evidence, and no longer blocks;
- a waiver past its expiry date (it holds through the whole of that day, UTC) no longer applies:
  the failing finding it would have waived blocks, whatever its severity, and says the waiver
  expired;
- a waiver that waives nothing (unknown rule id, another model, a rule that passed) is reported
  as ``unmatched``;
- a waiver with an ``approval_role`` holds only once that role approved it (by its digest) in
  the audit store: until then the failing finding blocks and says the waiver awaits approval
  (``awaiting_approval``). The gate reads the approvals, verified, before evaluation
  (``approved``); the policy layer never reads the store.

Every waiver considered appears in the evaluation record's ``waivers`` with its status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from governance.errors import PolicyError
from governance.policy.model import (
    FAILING_OUTCOMES,
    Finding,
    Outcome,
    Waiver,
    WaiverSpec,
    WaiversSpec,
)
from governance.validation import validate_document
from governance.yaml_source import LocatedDict, load_yaml_text, position_of, read_text

APPLIED = "applied"
EXPIRED = "expired"
UNMATCHED = "unmatched"
AWAITING = "awaiting_approval"


def located_waivers(specs: Sequence[WaiverSpec], document: Any, path: Path) -> tuple[Waiver, ...]:
    """Waivers with the position of each in ``document``'s ``waivers`` list."""
    waivers = []
    for index, spec in enumerate(specs):
        line, column = position_of(document, ("waivers", index)) or (None, None)
        waivers.append(Waiver(spec=spec, path=path, line=line, column=column))
    return tuple(waivers)


def load_waivers(path: str | Path) -> tuple[Waiver, ...]:
    """Read and validate a ``kind: Waivers`` file."""
    path = Path(path)
    text = read_text(path, PolicyError, "waivers file")
    try:
        documents = [doc for doc in load_yaml_text(text, path, PolicyError) if doc is not None]
    except RecursionError:
        raise PolicyError("invalid YAML: nested too deeply", path=path, line=1) from None
    if len(documents) != 1:
        raise PolicyError(f"expected one YAML document, found {len(documents)}", path=path, line=1)
    document = documents[0]
    if not isinstance(document, LocatedDict):
        raise PolicyError("expected a mapping with kind: Waivers", path=path, line=1)
    if document.get("kind") != "Waivers":
        line, column = position_of(document, ("kind",), value=True) or (1, 1)
        raise PolicyError(
            f"kind must be 'Waivers', found {document.get('kind')!r}",
            path=path,
            line=line,
            column=column,
            field="kind",
        )
    spec = validate_document(WaiversSpec, document, path=path, error=PolicyError)
    return located_waivers(spec.waivers, document, path)


def load_waiver_files(paths: Sequence[str | Path]) -> tuple[Waiver, ...]:
    """Every waiver of every file, in order."""
    return tuple(waiver for path in paths for waiver in load_waivers(path))


def unique_files(paths: Sequence[str | Path]) -> tuple[Path, ...]:
    """``paths`` in order, each file once (a file in a policy folder may also be given)."""
    seen: set[Path] = set()
    unique = []
    for item in paths:
        path = Path(item)
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return tuple(unique)


def check_unique(waivers: Sequence[Waiver]) -> None:
    """Two waivers for the same rule and subject are an error (which one would hold?)."""
    seen: dict[tuple[str, str, str | None], Waiver] = {}
    for waiver in waivers:
        subject = waiver.spec.subject
        key = (waiver.rule_id, subject.model, subject.version)
        earlier = seen.get(key)
        if earlier is not None:
            raise PolicyError(
                f"a second waiver of rule {waiver.rule_id!r} for model {subject.model!r}"
                f"{f' version {subject.version!r}' if subject.version else ''}; the first is "
                f"at {earlier.source}",
                path=waiver.path,
                line=waiver.line,
                column=waiver.column,
                field="rule_id",
            )
        seen[key] = waiver


def _own(waiver: Waiver) -> dict[str, Any]:
    """The waiver as the record lists it: its fields, its digest if it needs an approval."""
    spec = waiver.spec
    digest = {"digest": spec.digest()} if spec.approval_role else {}
    return {**spec.as_dict(), **digest, "source": waiver.source}


def _report(waiver: Waiver, status: str, reason: str) -> dict[str, Any]:
    return {**_own(waiver), "status": status, "reason": reason}


def _waived(finding: Finding, waiver: Waiver) -> Finding:
    spec = waiver.spec
    details = {
        **_own(waiver),
        "status": APPLIED,
        "waived_outcome": finding.outcome.value,
    }
    message = (
        f"{finding.message}; waived until {spec.expires.isoformat()} "
        f"({spec.ticket}, approved by {spec.approved_by})"
    )
    return replace(finding, outcome=Outcome.WAIVED, blocking=False, message=message, waiver=details)


def _expired(finding: Finding, waiver: Waiver) -> Finding:
    spec = waiver.spec
    details = {**_own(waiver), "status": EXPIRED}
    message = (
        f"{finding.message}; its waiver expired on {spec.expires.isoformat()} "
        f"({spec.ticket}, {waiver.source}): renew the waiver or fix the finding"
    )
    return replace(finding, blocking=True, message=message, waiver=details)


def _awaiting(finding: Finding, waiver: Waiver) -> Finding:
    spec = waiver.spec
    details = {**_own(waiver), "status": AWAITING}
    message = (
        f"{finding.message}; its waiver ({waiver.source}) awaits approval by {spec.approval_role}"
        f" (governance approve --waiver {spec.digest()} --role {spec.approval_role})"
    )
    return replace(finding, blocking=True, message=message, waiver=details)


def apply_waivers(
    findings: Sequence[Finding],
    waivers: Sequence[Waiver],
    *,
    model: str,
    version: str,
    now: datetime,
    approved: Mapping[str, frozenset[str]] | None = None,
) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Waive the failing findings a current waiver covers; block those whose waiver expired.

    A waiver naming a version is preferred over one naming only the model. A waiver with an
    ``approval_role`` holds only if ``approved`` (waiver digest -> roles that validly approved
    it) lists that role for its digest. Returns the new findings and one report per waiver
    (``status`` applied, expired, unmatched or awaiting_approval, and why).
    """
    approved = approved or {}
    check_unique(waivers)
    by_rule: dict[str, int] = {finding.rule.id: index for index, finding in enumerate(findings)}
    result = list(findings)
    reports: list[dict[str, Any] | None] = [None] * len(waivers)
    ordered = sorted(
        range(len(waivers)),
        key=lambda i: (waivers[i].spec.subject.version is None, i),  # versioned first
    )
    expired_for: dict[int, Waiver] = {}
    for position in ordered:
        waiver = waivers[position]
        index = by_rule.get(waiver.rule_id)
        if index is None:
            reports[position] = _report(
                waiver, UNMATCHED, f"no rule {waiver.rule_id!r} in the policies loaded"
            )
            continue
        if not waiver.matches(model, version):
            subject = waiver.spec.subject
            wanted = subject.model + (f" {subject.version}" if subject.version else "")
            reports[position] = _report(
                waiver, UNMATCHED, f"the waiver is for {wanted}; this is {model} {version}"
            )
            continue
        finding = result[index]
        if waiver.spec.is_expired(now):
            reports[position] = _report(
                waiver, EXPIRED, f"expired on {waiver.spec.expires.isoformat()}"
            )
            if finding.outcome in FAILING_OUTCOMES:
                expired_for.setdefault(index, waiver)
            continue
        if finding.outcome == Outcome.WAIVED:
            earlier = (finding.waiver or {}).get("source")
            reports[position] = _report(
                waiver, UNMATCHED, f"rule {waiver.rule_id!r} is already waived by {earlier}"
            )
            continue
        if finding.outcome not in FAILING_OUTCOMES:
            reports[position] = _report(
                waiver,
                UNMATCHED,
                f"rule {waiver.rule_id!r} is {finding.outcome.value}: nothing to waive",
            )
            continue
        role = waiver.spec.approval_role
        if role and role not in approved.get(waiver.spec.digest(), frozenset()):
            result[index] = _awaiting(finding, waiver)
            reports[position] = _report(
                waiver, AWAITING, f"awaits approval by {role}: rule {waiver.rule_id!r} blocks"
            )
            continue
        result[index] = _waived(finding, waiver)
        reports[position] = _report(waiver, APPLIED, f"waives the {finding.outcome.value}")
    for index, waiver in expired_for.items():
        if result[index].outcome in FAILING_OUTCOMES:  # no current waiver covered it
            result[index] = _expired(result[index], waiver)
            position = next(i for i, w in enumerate(waivers) if w is waiver)
            reports[position] = _report(
                waiver,
                EXPIRED,
                f"expired on {waiver.spec.expires.isoformat()}: rule {waiver.rule_id!r} stays "
                f"{result[index].outcome.value} and blocks",
            )
    return result, [report for report in reports if report is not None]
