"""governance: decide whether a machine-learning model may be deployed, prove why, keep the proof.

The public Python API (docs/python-api.md). Names are imported on first use, so
``import governance`` stays light::

    import governance

    result = governance.check(
        "samples/adult-income/baseline.yaml",
        "pack:fairness-baseline",  # a shipped pack, or a policy file or folder
        fail_on="high",
        dry_run=True,  # evaluate only: nothing is recorded
    )
    print(result.verdict, result.exit_code)
    for finding in result.blocking:
        print(finding.rule_id, finding.measured, finding.threshold)

A fitted estimator and a DataFrame, no files (a dry run unless ``dry_run=False``)::

    result = governance.evaluate_model(
        model, frame, target="income", sensitive_features=["sex"],
        policies="pack:fairness-baseline",
    )

``run_gate``, ``GateRun``, ``CheckOptions``, ``GateResult``, ``prepare_check``, ``run_check``,
``evaluate`` and ``render_pdf`` still work, with a DeprecationWarning naming their replacement,
until 0.2.0.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from governance._version import __version__
from governance.errors import GovernanceError

if TYPE_CHECKING:
    from governance.api import (
        approval_status,
        approve,
        check,
        evaluate_model,
        write_monitoring_report,
        write_report,
        write_vsa,
    )
    from governance.audit import AuditStore
    from governance.checks import CheckRegistry, CheckType, default_registry
    from governance.deploy import verify_model
    from governance.lineage.training import TrainingRun
    from governance.manifest import Manifest, load_manifest
    from governance.policy.loader import load_policies, load_policy
    from governance.policy.model import Finding, Outcome, Policy, Rule, Severity
    from governance.reporting import verify_report
    from governance.results import Evaluation, FindingResult
    from governance.scaffold import Scaffold, scaffold, write_scaffold
    from governance.training import record_training_run

_LAZY = {
    "AuditStore": "governance.audit",
    "CheckRegistry": "governance.checks",
    "CheckType": "governance.checks",
    "Evaluation": "governance.results",
    "Finding": "governance.policy.model",
    "FindingResult": "governance.results",
    "Manifest": "governance.manifest",
    "Outcome": "governance.policy.model",
    "Policy": "governance.policy.model",
    "Rule": "governance.policy.model",
    "Scaffold": "governance.scaffold",
    "Severity": "governance.policy.model",
    "TrainingRun": "governance.lineage.training",
    "approval_status": "governance.api",
    "approve": "governance.api",
    "check": "governance.api",
    "default_registry": "governance.checks",
    "evaluate_model": "governance.api",
    "load_manifest": "governance.manifest",
    "load_policies": "governance.policy.loader",
    "load_policy": "governance.policy.loader",
    "record_training_run": "governance.training",
    "scaffold": "governance.scaffold",
    "verify_model": "governance.deploy",
    "verify_report": "governance.reporting",
    "write_monitoring_report": "governance.api",
    "write_report": "governance.api",
    "write_vsa": "governance.api",
    "write_scaffold": "governance.scaffold",
}

DEPRECATED_IN, REMOVED_IN = "0.1.0", "0.2.0"
_DEPRECATED = {  # name: (module, attribute, replacement)
    "CheckOptions": ("governance.gate", "CheckOptions", "governance.check()"),
    "GateResult": ("governance.gate", "GateResult", "governance.Evaluation"),
    "GateRun": ("governance.gate", "GateRun", "governance.check()"),
    "evaluate": (
        "governance.gate",
        "evaluate",
        "governance.check() or governance.evaluate_model()",
    ),
    "prepare_check": ("governance.gate", "prepare_check", "governance.check()"),
    "render_pdf": ("governance.reporting", "render_pdf", "governance.write_report()"),
    "run_check": ("governance.gate", "record_check", "governance.check()"),
    "run_gate": ("governance.gate", "run_gate", "governance.check()"),
}
DEPRECATED = "governance.{name} is deprecated since {since} and goes in {removed}: use {use}"

__all__ = [
    "AuditStore",
    "CheckRegistry",
    "CheckType",
    "Evaluation",
    "Finding",
    "FindingResult",
    "GovernanceError",
    "Manifest",
    "Outcome",
    "Policy",
    "Rule",
    "Scaffold",
    "Severity",
    "TrainingRun",
    "__version__",
    "approval_status",
    "approve",
    "check",
    "default_registry",
    "evaluate_model",
    "load_manifest",
    "load_policies",
    "load_policy",
    "record_training_run",
    "scaffold",
    "verify_model",
    "verify_report",
    "write_monitoring_report",
    "write_report",
    "write_scaffold",
    "write_vsa",
]


def __getattr__(name: str) -> Any:
    if name in _DEPRECATED:  # not cached: every use warns
        import warnings

        home, attribute, use = _DEPRECATED[name]
        message = DEPRECATED.format(name=name, since=DEPRECATED_IN, removed=REMOVED_IN, use=use)
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        return getattr(import_module(home), attribute)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'governance' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
