"""Validate YAML documents: a strict base model, and errors that name file, line and field."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from governance.errors import GovernanceError
from governance.yaml_source import dotted, position_of

__all__ = ["SEMVER", "DocumentModel", "SemVer", "dotted", "validate_document"]

M = TypeVar("M", bound=BaseModel)
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?",
    re.ASCII,
)
"""A semantic version, matched whole (``fullmatch``: ``$`` would let a trailing newline through)."""


class DocumentModel(BaseModel):
    """Base of every model a YAML document (or part of one) is validated against.

    Unknown keys are errors and nothing is coerced: a boolean must be ``true`` or ``false`` (not
    ``"1"``, ``"true"`` or ``1``), a number must not be a string or a boolean (an integer is a
    fine float), a string must not be a number. Literals still match their text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _found(value: Any) -> str:
    """How a YAML value that is not a string reads in a message."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    return {"dict": "a mapping", "list": "a list"}.get(
        type(value).__name__.removeprefix("Located").lower(), f"a {type(value).__name__}"
    )


def _semver(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(
            f'must be a semantic version string such as "1.0.0", found {_found(value)}'
        )
    if not SEMVER.fullmatch(value):
        raise ValueError(f"{value!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0)")
    return value


SemVer = Annotated[str, BeforeValidator(_semver)]
"""A semantic version string (``1.2.0``, ``2.0.0-rc.1``), as policies and manifests carry."""


def _describe(error: Any, location: list[str | int]) -> tuple[str, bool]:
    """Message, and whether the position of the value (not the key) is meant."""
    kind = error["type"]
    if kind == "extra_forbidden":
        key = location[-1] if location else "?"
        where = dotted(location[:-1])
        suffix = f" in {where}" if where else ""
        return f"unknown key {key!r}{suffix}", False
    if kind == "missing":
        return "required field is missing", False
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message, True


def _found_suffix(error: Any) -> str:
    """``, found the string '1'`` for a value of the wrong type (strict models coerce nothing)."""
    return f", found {_found(error['input'])}" if str(error["type"]).endswith("_type") else ""


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "none", "date", "datetime", "list", "dict"})


def _is_internal(step: Any) -> bool:
    # pydantic adds the tag of a discriminated union or a function name to the location.
    return isinstance(step, str) and (step.startswith("function-") or "[" in step)


def _document_location(error: Any, document: Any) -> tuple[list[str | int], bool]:
    """The error's location as keys and indexes of ``document``, and whether steps were dropped.

    pydantic names the member of a union in the location (``positive_label.str``, a model's
    class name); such a step is not a key of the document at that point, and is dropped.
    """
    steps = list(error["loc"])
    node = document
    kept: list[str | int] = []
    dropped = False
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        if _is_internal(step):
            dropped = True
            continue
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if in_list or (isinstance(node, dict) and step in node):
            node = node[step]
        elif isinstance(step, str) and not (last and error["type"] == "missing"):
            tag = step in _TYPE_TAGS or step[:1].isupper() or "-" in step
            if not isinstance(node, dict) or tag:
                dropped = True
                continue
            node = None
        else:
            node = None
        kept.append(step)
    return kept, dropped


def _scalar_type_error(error: Any) -> bool:
    """A value of the wrong type for a string, number, boolean, date, list or mapping."""
    kind = str(error["type"])
    return kind.endswith("_type") and not kind.startswith("model_")


def _first_problem(exc: ValidationError, document: Any) -> tuple[list[str | int], str, bool]:
    """Location, message and whether the value is meant, of the first error pydantic found.

    When the value matched no member of a union, the members' messages are joined
    (``Input should be a valid string or a valid integer, found a list``) when they are all
    about its type.
    """
    errors = exc.errors(include_url=False)
    first = errors[0]
    location, dropped = _document_location(first, document)
    message, at_value = _describe(first, location)
    if dropped and _scalar_type_error(first):
        alternatives = [message]
        for other in errors[1:]:
            other_location, _ = _document_location(other, document)
            other_message, _ = _describe(other, other_location)
            if other_location == location and _scalar_type_error(other):
                text = other_message.removeprefix("Input should be ")
                if text not in alternatives:
                    alternatives.append(text)
        if len(alternatives) > 1:
            message = f"{', '.join(alternatives[:-1])} or {alternatives[-1]}"
    if at_value:
        message += _found_suffix(first)
    return location, message, at_value


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
        location, message, at_value = _first_problem(exc, document)
        position = position_of(document, location, value=at_value)
        line, column = position if position else (None, None)
        raise error(
            message,
            path=path,
            line=line,
            column=column,
            field=dotted([*prefix, *location]) or None,
        ) from None
