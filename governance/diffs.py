"""``governance diff``: two recorded evaluations compared rule by rule.

Both records are read through the store's verified read path (each from its log entry, its
hash checked: :meth:`governance.audit.AuditStore.get_evaluation`). A rule is matched by its
policy and id; for each the outcome, measured value and threshold of A and B are shown, and
the policies whose version or digest changed. A diff is information, not a gate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Record = Mapping[str, Any]


@dataclass(frozen=True)
class RuleDiff:
    """One rule in A and B (``None`` on the side it is missing from)."""

    policy: str
    rule_id: str
    a: dict[str, Any] | None
    b: dict[str, Any] | None

    @property
    def changed(self) -> bool:
        """Whether outcome, measured value or threshold differ (or the rule is on one side)."""
        return self.a != self.b

    def as_dict(self) -> dict[str, Any]:
        """As ``--format json`` prints it."""
        return {
            "policy": self.policy,
            "rule_id": self.rule_id,
            "a": self.a,
            "b": self.b,
            "changed": self.changed,
        }


@dataclass(frozen=True)
class EvaluationDiff:
    """Two evaluations compared: what each is, their policies, and every rule."""

    a: dict[str, Any]
    b: dict[str, Any]
    policies: list[dict[str, Any]] = field(default_factory=list)
    rules: list[RuleDiff] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """As ``--format json`` prints it."""
        return {
            "a": self.a,
            "b": self.b,
            "policies": self.policies,
            "rules": [rule.as_dict() for rule in self.rules],
        }


def _about(record: Record) -> dict[str, Any]:
    model = record.get("model") or {}
    about = {
        "evaluation_id": record.get("evaluation_id"),
        "model": model.get("name"),
        "version": model.get("version"),
        "verdict": record.get("verdict"),
        "started_at": record.get("started_at"),
    }
    baseline = record.get("baseline")
    if isinstance(baseline, Mapping):
        about["baseline"] = f"{baseline.get('name')} {baseline.get('version')}"
    return about


def _rule(finding: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "outcome": finding.get("outcome"),
        "measured": finding.get("measured"),
        "threshold": finding.get("threshold"),
        "assert": finding.get("assert"),
        "severity": finding.get("severity"),
    }


def _findings(record: Record) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (str(f.get("policy")), str(f.get("rule_id"))): _rule(f)
        for f in record.get("findings") or []
    }


def _policies(a: Record, b: Record) -> list[dict[str, Any]]:
    def by_name(record: Record) -> dict[str, Mapping[str, Any]]:
        return {str(p.get("name")): p for p in record.get("policies") or []}

    mine, theirs = by_name(a), by_name(b)
    changes = []
    for name in sorted(set(mine) | set(theirs)):
        left, right = mine.get(name), theirs.get(name)
        if left is not None and right is not None and left.get("digest") == right.get("digest"):
            continue
        changes.append(
            {
                "name": name,
                "a": None if left is None else left.get("version"),
                "b": None if right is None else right.get("version"),
                "digest_changed": left is not None and right is not None,
            }
        )
    return changes


def diff_records(a: Record, b: Record) -> EvaluationDiff:
    """Compare two evaluation records rule by rule (A's rule order, then B's new rules)."""
    mine, theirs = _findings(a), _findings(b)
    keys = list(mine) + [key for key in theirs if key not in mine]
    rules = [
        RuleDiff(policy, rule_id, mine.get((policy, rule_id)), theirs.get((policy, rule_id)))
        for policy, rule_id in keys
    ]
    return EvaluationDiff(a=_about(a), b=_about(b), policies=_policies(a, b), rules=rules)


def diff_evaluations(store_url: str, first: str, second: str) -> EvaluationDiff:
    """Read both evaluations from the store (verified) and compare them.

    Raises
    ------
    EvaluationNotFound
        When either id is not a stored evaluation (exit 2).
    """
    from governance.audit import AuditStore

    with AuditStore.open(store_url, create=False) as store:
        a = store.get_evaluation(first)
        b = store.get_evaluation(second)
    return diff_records(a, b)


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _threshold(rule: Mapping[str, Any] | None) -> str:
    if rule is None:
        return "-"
    bounds = rule.get("threshold") or {}
    parts = []
    if bounds.get("min") is not None:
        parts.append(f">= {bounds['min']:g}")
    if bounds.get("max") is not None:
        parts.append(f"<= {bounds['max']:g}")
    return " and ".join(parts) or ("assert" if rule.get("assert") else "-")


def _side(rule: Mapping[str, Any] | None, key: str) -> str:
    return "absent" if rule is None else _value(rule.get(key))


def format_text(diff: EvaluationDiff) -> str:
    """The diff as the text ``governance diff`` prints."""
    lines = []
    for side, about in (("A", diff.a), ("B", diff.b)):
        against = f", against {about['baseline']}" if about.get("baseline") else ""
        lines.append(
            f"{side}: {about['evaluation_id']}  {about['model']} {about['version']}  "
            f"{about['verdict']}{against}"
        )
    for policy in diff.policies:
        lines.append(
            f"policy {policy['name']}: {policy['a'] or 'absent'} -> {policy['b'] or 'absent'}"
            + (" (changed)" if policy["digest_changed"] and policy["a"] == policy["b"] else "")
        )
    rows = [("  RULE", "OUTCOME A -> B", "MEASURED A -> B", "THRESHOLD A -> B")]
    for rule in diff.rules:
        a_threshold, b_threshold = _threshold(rule.a), _threshold(rule.b)
        threshold = a_threshold if a_threshold == b_threshold else f"{a_threshold} -> {b_threshold}"
        rows.append(
            (
                ("* " if rule.changed else "  ") + rule.rule_id,
                f"{_side(rule.a, 'outcome')} -> {_side(rule.b, 'outcome')}",
                f"{_side(rule.a, 'measured')} -> {_side(rule.b, 'measured')}",
                threshold,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines.append("")
    for row in rows:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + row[3]
        )
    changed = sum(rule.changed for rule in diff.rules)
    lines.append("")
    lines.append(f"{len(diff.rules)} rules, {changed} changed (marked *)")
    return "\n".join(lines) + "\n"


def format_json(diff: EvaluationDiff) -> str:
    """The diff as ``--format json`` prints it."""
    return json.dumps(diff.as_dict(), indent=2, ensure_ascii=False) + "\n"
