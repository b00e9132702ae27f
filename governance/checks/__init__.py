"""Check types: what a rule's ``check`` names, with its params and the code that measures it."""

from governance.checks.builtin import default_registry
from governance.checks.registry import CheckRegistry, CheckType

__all__ = ["CheckRegistry", "CheckType", "default_registry"]
