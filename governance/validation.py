"""Turn pydantic validation errors into one-line errors that name file, line and field."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from governance.errors import GovernanceError
from governance.yaml_source import position_of

M = TypeVar("M", bound=BaseModel)


def dotted(location: Sequence[str | int]) -> str:
    """``("rules", 2, "params")`` -> ``rules[2].params``."""
    text = ""
    for step in location:
        if isinstance(step, int):
            text += f"[{step}]"
        elif not step.isprintable():  # keep the message on one line
            text += f"[{step!r}]"
        else:
            text += f".{step}" if text else step
    return text


def _describe(error: Any) -> tuple[list[str | int], str, bool]:
    """Location, message, and whether the position of the value (not the key) is meant."""
    location = [step for step in error["loc"] if not _is_internal(step)]
    kind = error["type"]
    if kind == "extra_forbidden":
        key = location.pop() if location else "?"
        where = dotted(location)
        suffix = f" in {where}" if where else ""
        location.append(key)
        return location, f"unknown key {key!r}{suffix}", False
    if kind == "missing":
        return location, "required field is missing", False
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return location, message, True


def _is_internal(step: Any) -> bool:
    # pydantic adds the tag of a discriminated union or a function name to the location.
    return isinstance(step, str) and (step.startswith("function-") or "[" in step)


def validate_document(
    model: type[M],
    document: Any,
    *,
    path: Path,
    error: type[GovernanceError],
    prefix: Sequence[str | int] = (),
    context: dict[str, Any] | None = None,
) -> M:
    """Validate ``document`` as ``model``; the first problem becomes ``error`` at its line."""
    try:
        return model.model_validate(document, context=context)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        location, message, at_value = _describe(first)
        position = position_of(document, location, value=at_value)
        line, column = position if position else (None, None)
        raise error(
            message,
            path=path,
            line=line,
            column=column,
            field=dotted([*prefix, *location]) or None,
        ) from None
