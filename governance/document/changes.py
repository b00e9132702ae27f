"""What changed between two versions of a model: the "Changes since version X" section.

Both sides are gate evaluation records as stored (each version's latest). Rules are matched by
policy and rule id; metrics by the same rule's ``measured``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["VersionChanges", "changes_between"]


@dataclass(frozen=True)
class VersionChanges:
    """The differences between the previous version's evaluation and this one's.

    Attributes
    ----------
    previous_version, previous_evaluation
        The version compared with and its evaluation id.
    outcomes
        Rules whose outcome changed: ``{"rule", "policy", "before", "after"}``.
    metrics
        Rules whose measured value moved: ``{"rule", "before", "after", "delta"}``.
    policies_added, policies_removed
        Policy names applied in only one of the two.
    policies_changed
        Policies applied in both whose version or digest differs: ``{"name", "before", "after"}``.
    lineage
        Lineage and artifact fields that differ: ``{"field", "before", "after"}``.
    documentation
        ``document.field`` names added, removed or rewritten.
    """

    previous_version: str
    previous_evaluation: str
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    policies_added: list[str] = field(default_factory=list)
    policies_removed: list[str] = field(default_factory=list)
    policies_changed: list[dict[str, Any]] = field(default_factory=list)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    documentation: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether nothing changed."""
        return not (
            self.outcomes
            or self.metrics
            or self.policies_added
            or self.policies_removed
            or self.policies_changed
            or self.lineage
            or self.documentation
        )


def _findings(record: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    found = {}
    for finding in record.get("findings") or ():
        if isinstance(finding, Mapping):
            found[(str(finding.get("policy")), str(finding.get("rule_id")))] = finding
    return found


def _policies(record: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        str(policy.get("name")): policy
        for policy in record.get("policies") or ()
        if isinstance(policy, Mapping)
    }


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _shown(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "none"
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{key} {_shown(item)}" for key, item in sorted(value.items()))
    return str(value)


def _lineage_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    lineage = record.get("lineage") or {}
    artifacts = record.get("artifacts") or {}
    model = artifacts.get("model") or {}
    data = artifacts.get("data") or {}
    datasets = [
        f"{item.get('namespace')}:{item.get('name')}"
        for item in lineage.get("training_datasets") or ()
        if isinstance(item, Mapping)
    ]
    return {
        "training datasets": sorted(datasets),
        "training run": lineage.get("training_run"),
        "code": lineage.get("code"),
        "model artifact digest": model.get("digest"),
        "evaluation data": data.get("path"),
        "evaluation data digest": data.get("digest"),
        "evaluation data rows": data.get("rows"),
    }


def _documentation_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for document, content in (record.get("documentation") or {}).items():
        if isinstance(content, Mapping):
            for name, value in content.items():
                fields[f"{document}.{name}"] = value
    return fields


def changes_between(previous: Mapping[str, Any], current: Mapping[str, Any]) -> VersionChanges:
    """The differences between ``previous`` and ``current`` (gate evaluation records).

    Returns
    -------
    VersionChanges
        Rule outcomes, measured values, policies, lineage and documentation that changed.
    """
    changes = VersionChanges(
        previous_version=str((previous.get("model") or {}).get("version")),
        previous_evaluation=str(previous.get("evaluation_id")),
    )
    before, after = _findings(previous), _findings(current)
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key], after[key]
        if old.get("outcome") != new.get("outcome"):
            changes.outcomes.append(
                {
                    "policy": key[0],
                    "rule": key[1],
                    "before": old.get("outcome"),
                    "after": new.get("outcome"),
                }
            )
        low, high = _number(old.get("measured")), _number(new.get("measured"))
        if low is not None and high is not None and not math.isclose(low, high, abs_tol=1e-9):
            changes.metrics.append(
                {"rule": key[1], "before": low, "after": high, "delta": high - low}
            )
    for key in sorted(after.keys() - before.keys()):
        changes.outcomes.append(
            {
                "policy": key[0],
                "rule": key[1],
                "before": "absent",
                "after": after[key].get("outcome"),
            }
        )
    for key in sorted(before.keys() - after.keys()):
        changes.outcomes.append(
            {
                "policy": key[0],
                "rule": key[1],
                "before": before[key].get("outcome"),
                "after": "absent",
            }
        )
    old_policies, new_policies = _policies(previous), _policies(current)
    changes.policies_added.extend(sorted(new_policies.keys() - old_policies.keys()))
    changes.policies_removed.extend(sorted(old_policies.keys() - new_policies.keys()))
    for name in sorted(old_policies.keys() & new_policies.keys()):
        old, new = old_policies[name], new_policies[name]
        if (old.get("version"), old.get("digest")) != (new.get("version"), new.get("digest")):
            changes.policies_changed.append(
                {"name": name, "before": old.get("version"), "after": new.get("version")}
            )
    old_lineage, new_lineage = _lineage_fields(previous), _lineage_fields(current)
    for name, value in new_lineage.items():
        if old_lineage[name] != value:
            changes.lineage.append(
                {"field": name, "before": _shown(old_lineage[name]), "after": _shown(value)}
            )
    old_docs, new_docs = _documentation_fields(previous), _documentation_fields(current)
    changes.documentation.extend(
        sorted(
            name
            for name in old_docs.keys() | new_docs.keys()
            if old_docs.get(name) != new_docs.get(name)
        )
    )
    return changes
