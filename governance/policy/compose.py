"""Composition: ``extends`` other policies, and ``overrides`` that may only tighten their rules.

``extends`` lists policy files, relative to the extending policy's file; each must stay inside
the folders a file may name (:mod:`governance.paths`). ``pack:NAME`` names a pack shipped with
governance instead (:mod:`governance.policy.packs`): the package's own data, not a path. Every
file is loaded once, whether given directly or reached through ``extends``; bases come before
the policies that extend them. A cycle is an error naming the ``extends`` entry that closes it.

``overrides`` maps a rule id of an extended policy (directly or transitively) to changes. An
override may only make the rule stricter: raise ``threshold.min``, lower ``threshold.max``, add a
bound, raise ``severity``, turn ``on_error``/``on_insufficient`` from ``warn`` to ``block``.
Anything else needs ``allow_relax: true`` and a ``justification``, and is recorded with the
finding. ``controls`` and ``remediation`` may be replaced freely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from governance.checks.registry import CheckRegistry
from governance.paths import OUTSIDE, confined
from governance.policy.document import check_unique_rule_ids, error_at, load_policy
from governance.policy.model import (
    AppliedOverride,
    OverrideSpec,
    Policy,
    Rule,
    Severity,
    Threshold,
)
from governance.policy.packs import (
    PACK_PREFIX,
    UNKNOWN_PACK_HINT,
    find_pack,
    is_pack_ref,
    unknown_pack,
)


def load_closure(files: Sequence[Path], registry: CheckRegistry) -> list[Policy]:
    """Load ``files`` and what they extend, apply overrides, check rule ids are unique."""
    loaded: dict[Path, Policy] = {}
    order: list[Path] = []

    def visit(path: Path, stack: tuple[Path, ...], referrer: tuple[Policy, int] | None) -> None:
        key = path.resolve()
        if key in stack and referrer is not None:  # only an extends entry can close a cycle
            policy, index = referrer
            chain = " -> ".join(str(p.name) for p in (*stack[stack.index(key) :], key))
            raise error_at(
                f"extends cycle: {chain}", policy.document, policy.path, "extends", index
            )
        if key in loaded:
            return
        if referrer is not None and not path.is_file():
            policy, index = referrer
            raise error_at(
                f"extended policy {policy.spec.extends[index]!r} not found (paths are relative "
                "to the extending policy's file)",
                policy.document,
                policy.path,
                "extends",
                index,
            )
        policy = load_policy(path, registry)
        targets = [_base_file(policy, index) for index in range(len(policy.spec.extends))]
        for index, target in enumerate(targets):
            visit(target, (*stack, key), (policy, index))
        bases = tuple(loaded[target.resolve()].name for target in targets)
        loaded[key] = replace(policy, bases=bases)
        order.append(key)

    for file in files:
        visit(file, (), None)
    policies = [loaded[key] for key in order]
    _check_unique_names(policies)
    check_unique_rule_ids(policies)
    return apply_overrides(policies)


def _base_file(policy: Policy, index: int) -> Path:
    """The file of ``policy``'s ``extends[index]``: a shipped pack, or a path kept in bounds."""
    base = policy.spec.extends[index]
    if is_pack_ref(base):
        found = find_pack(base.removeprefix(PACK_PREFIX))
        if found is None:
            raise error_at(
                unknown_pack(base.removeprefix(PACK_PREFIX)),
                policy.document,
                policy.path,
                "extends",
                index,
                hint=UNKNOWN_PACK_HINT,
            )
        return found
    if confined(base, policy.path.parent) is None:
        raise error_at(
            OUTSIDE.format(what="extended policy", named=base),
            policy.document,
            policy.path,
            "extends",
            index,
        )
    return policy.path.parent / base


def _check_unique_names(policies: Sequence[Policy]) -> None:
    seen: dict[str, Policy] = {}
    for policy in policies:
        earlier = seen.get(policy.name)
        if earlier is not None:
            raise error_at(
                f"policy name {policy.name!r} is already used by {earlier.path}",
                policy.document,
                policy.path,
                "metadata",
                "name",
            )
        seen[policy.name] = policy


def _ancestors(policy: Policy, by_name: dict[str, Policy]) -> set[str]:
    found: set[str] = set()
    pending = list(policy.bases)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(by_name[name].bases)
    return found


def apply_overrides(policies: list[Policy]) -> list[Policy]:
    """Apply every policy's ``overrides`` to the rules of the policies it extends."""
    by_name = {policy.name: policy for policy in policies}
    owner = {rule.id: policy.name for policy in policies for rule in policy.rules}
    changed: dict[str, Rule] = {}
    for policy in policies:
        ancestors = _ancestors(policy, by_name)
        for rule_id, override in policy.spec.overrides.items():
            where = ("overrides", rule_id)
            if owner.get(rule_id) not in ancestors:
                raise error_at(
                    f"no rule {rule_id!r} in the policies {policy.name!r} extends",
                    policy.document,
                    policy.path,
                    *where,
                )
            earlier = changed.get(rule_id)
            if earlier is not None and earlier.override is not None:
                raise error_at(
                    f"rule {rule_id!r} is already overridden by {earlier.override.policy!r}",
                    policy.document,
                    policy.path,
                    *where,
                )
            base = next(r for r in by_name[owner[rule_id]].rules if r.id == rule_id)
            changed[rule_id] = _override(base, override, policy, where)
    return [
        replace(policy, rules=tuple(changed.get(rule.id, rule) for rule in policy.rules))
        for policy in policies
    ]


def _threshold(rule: Rule, override: OverrideSpec) -> Threshold | None:
    old = rule.spec.threshold
    new = override.threshold
    if new is None:
        return old
    merged: dict[str, Any] = old.as_dict() if old is not None else {}
    merged.update({key: getattr(new, key) for key in new.model_fields_set})
    return Threshold.model_validate(merged)


def relaxations(rule: Rule, override: OverrideSpec, threshold: Threshold | None) -> list[str]:
    """How ``override`` would make ``rule`` less strict (empty when it only tightens)."""
    found: list[str] = []
    old = rule.spec.threshold
    if old is not None and threshold is not None:
        if old.min is not None and (threshold.min is None or threshold.min < old.min):
            found.append(f"threshold min {old.min:g} -> {threshold.min}")
        if old.max is not None and (threshold.max is None or threshold.max > old.max):
            found.append(f"threshold max {old.max:g} -> {threshold.max}")
    if override.severity is not None:
        before, after = Severity.parse(rule.spec.severity), Severity.parse(override.severity)
        if after < before:
            found.append(f"severity {before.label} -> {after.label}")
    for name in ("on_error", "on_insufficient"):
        value = getattr(override, name)
        if value == "warn" and getattr(rule.spec, name) == "block":
            found.append(f"{name} block -> warn")
    return found


def _override(rule: Rule, override: OverrideSpec, policy: Policy, where: tuple[str, str]) -> Rule:
    if override.threshold is not None and rule.spec.threshold is None:
        raise error_at(
            f"rule {rule.id!r} is judged by an assert expression: it has no threshold to override",
            policy.document,
            policy.path,
            *where,
            "threshold",
        )
    try:
        threshold = _threshold(rule, override)
    except ValidationError as exc:
        message = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
        raise error_at(message, policy.document, policy.path, *where, "threshold") from None
    relaxed = relaxations(rule, override, threshold)
    if relaxed and not override.allow_relax:
        raise error_at(
            f"override of rule {rule.id!r} relaxes it ({'; '.join(relaxed)}): overrides may only "
            "make a rule stricter",
            policy.document,
            policy.path,
            *where,
            hint="set allow_relax: true with a justification to relax it on purpose",
        )
    updates: dict[str, Any] = {"threshold": threshold}
    for name in ("severity", "on_error", "on_insufficient", "controls", "remediation"):
        if name in override.model_fields_set:
            updates[name] = getattr(override, name)
    line = (policy.document.key_positions.get("overrides") or (None, None))[0]
    overrides = policy.document.get("overrides")
    if hasattr(overrides, "key_positions"):
        line = overrides.key_positions.get(where[1], (line, None))[0]
    applied = AppliedOverride(
        policy=policy.name,
        relaxed=bool(relaxed),
        justification=override.justification,
        path=policy.path,
        line=line,
    )
    return replace(rule, spec=rule.spec.model_copy(update=updates), override=applied)
