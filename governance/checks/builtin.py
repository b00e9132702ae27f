"""The built-in check types, one module per domain, registered like plugins are."""

from __future__ import annotations

import importlib

from governance.checks.registry import CheckRegistry, CheckType, load_plugins

# Each module defines CHECKS, a tuple of CheckType. Listed explicitly: nothing registers itself.
BUILTIN_MODULES = (
    "governance.checks.fairness",
    "governance.checks.performance",
    "governance.checks.documentation",
    "governance.checks.explainability",
    "governance.checks.lineage",
    "governance.checks.drift",
    "governance.checks.comparison",
)


def builtin_checks() -> list[CheckType]:
    """Every built-in check type, in module order."""
    checks: list[CheckType] = []
    for name in BUILTIN_MODULES:
        checks.extend(importlib.import_module(name).CHECKS)
    return checks


def register_builtin_checks(registry: CheckRegistry) -> None:
    """Register every built-in check type."""
    for check in builtin_checks():
        registry.register(check)


def default_registry(*, plugins: bool = True) -> CheckRegistry:
    """The built-in checks plus, unless ``plugins`` is false, installed plugins.

    The registry is handed its built-ins here: :mod:`governance.checks.registry` knows no
    check type.
    """
    registry = CheckRegistry()
    register_builtin_checks(registry)
    if plugins:
        load_plugins(registry)
    return registry
