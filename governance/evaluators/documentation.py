"""Documentation evidence: which required fields of the manifest's ``documentation`` are filled."""

from __future__ import annotations

from typing import Any

from governance.checks.documentation import FieldPresentParams
from governance.evaluators.context import EvaluationContext
from governance.policy.model import Measurement

_MISSING = object()


def lookup(documentation: Any, path: str) -> Any:
    """The value at dotted ``path`` (``model_card.intended_use``), or a sentinel if absent."""
    node = documentation
    for step in path.split("."):
        if not isinstance(node, dict) or step not in node:
            return _MISSING
        node = node[step]
    return node


def is_filled(value: Any) -> bool:
    """Present and not empty: not null, not blank text, not an empty list or mapping."""
    if value is _MISSING or value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return True


def documentation_fields(documentation: dict[str, Any], fields: list[str]) -> Measurement:
    """How many of ``fields`` are missing or empty in ``documentation``, with the lists."""
    present = [path for path in fields if is_filled(lookup(documentation, path))]
    missing = [path for path in fields if path not in present]
    evidence = {"fields": list(fields), "present": present, "missing": missing}
    detail = f"missing: {', '.join(missing)}" if missing else None
    return Measurement(value=float(len(missing)), evidence=evidence, detail=detail)


def field_present(context: EvaluationContext, params: FieldPresentParams) -> Measurement:
    """Count the listed fields the manifest's ``documentation`` lacks."""
    return documentation_fields(dict(context.manifest.spec.documentation), params.fields)
