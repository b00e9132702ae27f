"""governance: decide whether a machine-learning model may be deployed, prove why, keep the proof.

The public Python API. Names are imported on first use, so ``import governance`` stays light::

    from pathlib import Path
    import governance

    run = governance.GateRun(
        options=governance.CheckOptions(
            manifest=Path("samples/adult-income/baseline.yaml"),
            policies=["pack:fairness-baseline"],  # a shipped pack, or a policy file
        ),
        store_url="sqlite:///.governance/audit.db",
    )
    result = governance.run_gate(run)
    print(result.record["verdict"])
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from governance._version import __version__
from governance.errors import GovernanceError

if TYPE_CHECKING:
    from governance.audit import AuditStore
    from governance.checks import CheckRegistry, CheckType, default_registry
    from governance.gate import (
        CheckOptions,
        GateResult,
        GateRun,
        evaluate,
        prepare_check,
        run_check,
        run_gate,
    )
    from governance.lineage.training import TrainingRun
    from governance.manifest import Manifest, load_manifest
    from governance.policy.loader import load_policies, load_policy
    from governance.policy.model import Finding, Outcome, Policy, Rule, Severity
    from governance.reporting import render_pdf, verify_report
    from governance.scaffold import Scaffold, scaffold, write_scaffold
    from governance.training import record_training_run

_LAZY = {
    "AuditStore": "governance.audit",
    "CheckOptions": "governance.gate",
    "CheckRegistry": "governance.checks",
    "CheckType": "governance.checks",
    "Finding": "governance.policy.model",
    "GateResult": "governance.gate",
    "GateRun": "governance.gate",
    "Manifest": "governance.manifest",
    "Outcome": "governance.policy.model",
    "Policy": "governance.policy.model",
    "Rule": "governance.policy.model",
    "Scaffold": "governance.scaffold",
    "Severity": "governance.policy.model",
    "TrainingRun": "governance.lineage.training",
    "default_registry": "governance.checks",
    "evaluate": "governance.gate",
    "load_manifest": "governance.manifest",
    "load_policies": "governance.policy.loader",
    "load_policy": "governance.policy.loader",
    "prepare_check": "governance.gate",
    "record_training_run": "governance.training",
    "render_pdf": "governance.reporting",
    "run_check": "governance.gate",
    "run_gate": "governance.gate",
    "scaffold": "governance.scaffold",
    "verify_report": "governance.reporting",
    "write_scaffold": "governance.scaffold",
}

__all__ = [
    "AuditStore",
    "CheckOptions",
    "CheckRegistry",
    "CheckType",
    "Finding",
    "GateResult",
    "GateRun",
    "GovernanceError",
    "Manifest",
    "Outcome",
    "Policy",
    "Rule",
    "Scaffold",
    "Severity",
    "TrainingRun",
    "__version__",
    "default_registry",
    "evaluate",
    "load_manifest",
    "load_policies",
    "load_policy",
    "prepare_check",
    "record_training_run",
    "render_pdf",
    "run_check",
    "run_gate",
    "scaffold",
    "verify_report",
    "write_scaffold",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'governance' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
