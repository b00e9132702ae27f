"""Check types: what a rule's ``check`` names, with its params and the code that measures it."""

from governance.checks.registry import CheckRegistry, CheckType, default_registry

__all__ = ["CheckRegistry", "CheckType", "default_registry"]
