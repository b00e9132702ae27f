"""Reading the evaluation record (``docs/evaluation-record.md``) for the event builders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from governance.errors import LineageError

MISSING = "missing from the evaluation record"
NOT_AN_OBJECT = "must be an object in the evaluation record"
NOT_A_UTC_TIME = "must be an RFC 3339 date-time with a time zone, got {value!r}"

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.IGNORECASE
)


def require(record: Mapping[str, Any], path: str) -> Any:
    """Return the value at a dotted ``path``; raise if it is absent or null.

    Parameters
    ----------
    record
        The evaluation record.
    path
        Dotted field name, e.g. ``"model.name"``.

    Returns
    -------
    Any
        The value.

    Raises
    ------
    LineageError
        If a field on the way is absent, null or not an object.
    """
    value = optional(record, path)
    if value is None:
        raise LineageError(MISSING, field=path)
    return value


def optional(record: Mapping[str, Any], path: str) -> Any:
    """Return the value at a dotted ``path``, or ``None`` if it or a parent is absent or null.

    Parameters
    ----------
    record
        The evaluation record.
    path
        Dotted field name, e.g. ``"artifacts.model"``.

    Returns
    -------
    Any
        The value, or ``None``.

    Raises
    ------
    LineageError
        If a parent on the way is present but not an object.
    """
    value: Any = record
    walked: list[str] = []
    for key in path.split("."):
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise LineageError(NOT_AN_OBJECT, field=".".join(walked))
        walked.append(key)
        value = value.get(key)
    return value


def require_item(mapping: Mapping[str, Any], key: str, field: str) -> Any:
    """Return ``mapping[key]``; raise naming the field by its place in the record.

    Parameters
    ----------
    mapping
        An object inside the record, e.g. one finding.
    key
        The key to read.
    field
        Where ``mapping`` is in the record, e.g. ``"findings[2]"``.

    Returns
    -------
    Any
        The value.

    Raises
    ------
    LineageError
        If it is absent or null (the error's field is ``<field>.<key>``).
    """
    if not isinstance(mapping, Mapping):
        raise LineageError(NOT_AN_OBJECT, field=field)
    value = mapping.get(key)
    if value is None:
        raise LineageError(MISSING, field=f"{field}.{key}")
    return value


def require_mapping(record: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """Return the object at a dotted ``path``; raise if it is absent or not an object.

    Parameters
    ----------
    record
        The evaluation record.
    path
        Dotted field name.

    Returns
    -------
    Mapping
        The object.

    Raises
    ------
    LineageError
        If it is absent, null or not an object.
    """
    value = require(record, path)
    if not isinstance(value, Mapping):
        raise LineageError(NOT_AN_OBJECT, field=path)
    return value


def event_time(record: Mapping[str, Any], path: str) -> str:
    """Return the time at ``path``, checked to be an RFC 3339 date-time, as given.

    Parameters
    ----------
    record
        The evaluation record.
    path
        ``"started_at"`` or ``"finished_at"``.

    Returns
    -------
    str
        The time, unchanged (the record writes UTC with a ``Z`` suffix).

    Raises
    ------
    LineageError
        If it is absent or not an RFC 3339 date-time (the OpenLineage ``eventTime`` format).
    """
    value = require(record, path)
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise LineageError(NOT_A_UTC_TIME.format(value=value), field=path)
    try:
        datetime.fromisoformat(value.upper())
    except ValueError as exc:  # e.g. month 13
        raise LineageError(NOT_A_UTC_TIME.format(value=value), field=path) from exc
    return value


def utc_now() -> str:
    """Return the current time, UTC, ISO 8601 with a ``Z`` suffix like the record's times.

    Returns
    -------
    str
        E.g. ``2026-11-27T14:00:02.654321Z``.
    """
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
