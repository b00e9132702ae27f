"""Required policy sets: a check that did not apply the configured policies fails closed.

The setting ``required_policies`` (governance.yml, ``GOVERNANCE_REQUIRED_POLICIES``) names the
policies every check must apply, for every model and per manifest risk tier
(:class:`~governance.config.RequiredPolicies`). When one is configured, the verdict gets one more
finding, rule ``required-policies``: a blocking failure naming the missing policies, or a pass
naming those applied. It is added after waivers are applied, so no waiver can accept it, and it
blocks whatever ``fail_on`` says. With nothing configured the verdict is unchanged.

A policy counts as applied when it was given (``-p``) or is extended by one given: its name
(``metadata.name``) is the requirement's name; ``pack:NAME`` is met only by the shipped pack's
own file (read from the installed package), never by another policy that takes its name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from governance.policy.model import Finding, Outcome, Policy, Rule, RuleSpec
from governance.policy.packs import PACK_PREFIX, pack_ref_of

if TYPE_CHECKING:
    from governance.checks.registry import CheckRegistry
    from governance.config import RequiredPolicies, Settings
    from governance.evaluators.context import EvaluationContext
    from governance.policy.engine import Verdict

__all__ = [
    "REQUIRED_CHECK",
    "REQUIRED_RULE_ID",
    "applied_names",
    "applied_packs",
    "evaluate_required",
    "require_policies",
]

REQUIRED_RULE_ID = "required-policies"
REQUIRED_CHECK = "governance.required-policies"
SETTING = "required_policies"
TITLE = "Required policy set"
MISSING = (
    "required policies not applied: {missing} ({setting} for risk tier {tier}, from {source}); "
    "applied: {applied}"
)
APPLIED = "every required policy was applied: {required}"
REMEDIATION = (
    "check the model with the missing policies too (governance check -p pack:NAME or -p FILE); "
    "the requirement is the setting required_policies (docs/configuration.md#required-policies)"
)


class _NoParams(BaseModel):
    """The synthetic rule has no parameters."""


def applied_names(policies: Iterable[Any]) -> set[str]:
    """Names of the policies applied: each given policy's name and those it extends.

    ``policies`` are :class:`Policy` objects or the record's policy summaries (mappings or
    objects with ``name`` and ``extends``).
    """
    names: set[str] = set()
    for policy in policies:
        if isinstance(policy, Policy):
            names.update((policy.name, *policy.bases))
            continue
        fields = policy if isinstance(policy, dict) else vars(policy)
        name, extends = fields.get("name"), fields.get("extends")
        if isinstance(name, str):
            names.add(name)
        names.update(base for base in extends or () if isinstance(base, str))
    return names


def applied_packs(policies: Iterable[Any]) -> set[str]:
    """``pack:NAME`` of each applied policy read from a shipped pack's own file.

    A requirement ``pack:NAME`` is met by these only: a policy of the user's that takes a
    pack's name does not stand in for the pack. ``policies`` as :func:`applied_names`; a
    record's summary names a shipped pack by its path, ``pack:NAME``.
    """
    packs: set[str] = set()
    for policy in policies:
        if isinstance(policy, Policy):
            path: Any = pack_ref_of(policy.path)
        else:
            path = (policy if isinstance(policy, dict) else vars(policy)).get("path")
        if isinstance(path, str) and path.startswith(PACK_PREFIX):
            packs.add(path)
    return packs


def _source_location(source: str) -> tuple[Path, int | None]:
    """``/x/governance.yml:3`` -> (path, 3); an environment variable or flag -> (name, None)."""
    path, _, line = source.rpartition(":")
    if path and line.isdigit():
        return Path(path), int(line)
    return Path(source), None


def require_policies(
    verdict: Verdict, policies: Sequence[Policy], risk_tier: str, settings: Settings
) -> Verdict:
    """The verdict with the ``required-policies`` finding, when a requirement is configured.

    Parameters
    ----------
    verdict
        The evaluated rules, waivers applied.
    policies
        The policies the check loaded.
    risk_tier
        The manifest's ``metadata.risk_tier``.
    settings
        The resolved settings (``required_policies`` and where it came from).

    Returns
    -------
    Verdict
        ``verdict`` unchanged when nothing is required for ``risk_tier``; else with one more
        finding, failing and blocking when a required policy was not applied.
    """
    required: RequiredPolicies = settings.required_policies
    wanted = required.for_tier(risk_tier)
    if not wanted:
        return verdict
    applied = applied_names(policies)
    missing = required.missing(risk_tier, applied | applied_packs(policies))
    source = settings.source(SETTING)
    path, line = _source_location(source)
    spec = RuleSpec.model_validate(
        {
            "id": REQUIRED_RULE_ID,
            "title": TITLE,
            "severity": "critical",
            "check": REQUIRED_CHECK,
            "threshold": {"max": 0},
            "remediation": REMEDIATION,
        }
    )
    rule = Rule(spec=spec, params=_NoParams(), policy=SETTING, path=path, line=line)
    if missing:
        message = MISSING.format(
            missing=", ".join(missing),
            setting=SETTING,
            tier=risk_tier,
            source=path.name if line is None else f"{path.name}:{line}",
            applied=", ".join(sorted(applied)) or "none",
        )
    else:
        message = APPLIED.format(required=", ".join(wanted))
    finding = Finding(
        rule=rule,
        outcome=Outcome.FAIL if missing else Outcome.PASS,
        measured=float(len(missing)),
        message=message,
        blocking=bool(missing),
        evidence={
            "risk_tier": risk_tier,
            "required": list(wanted),
            "missing": list(missing),
            "applied": sorted(applied),
        },
    )
    return replace(verdict, findings=(*verdict.findings, finding))


def evaluate_required(
    context: EvaluationContext,
    policies: Sequence[Policy],
    registry: CheckRegistry,
    **options: Any,
) -> Verdict:
    """:func:`~governance.policy.engine.evaluate_policies`, then :func:`require_policies`.

    The requirement is the context's ``settings.required_policies`` for the manifest's risk
    tier; ``options`` are those of ``evaluate_policies``.
    """
    from governance.policy.engine import evaluate_policies

    verdict = evaluate_policies(context, policies, registry, **options)
    tier = context.manifest.spec.metadata.risk_tier
    return require_policies(verdict, policies, tier, context.settings)
