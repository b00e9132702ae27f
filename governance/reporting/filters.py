"""Formatting filters available to report templates.

Every filter accepts whatever the evaluation record holds (numbers, strings, ``null``) and never
raises on an unexpected value: a report must render even when a check produced odd evidence.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

MISSING = "—"
DECIMALS = 4
"""Floats are shown with this many decimals (tiny non-zero values in scientific notation)."""

OUTCOME_LABELS: Mapping[str, str] = {
    "pass": "PASS",
    "fail": "FAIL",
    "error": "ERROR",
    "insufficient": "INSUFFICIENT",
    "waived": "WAIVED",
    "skipped": "SKIPPED",
}
OUTCOME_ORDER = ("fail", "error", "insufficient", "waived", "pass", "skipped")
VERDICT_LABELS: Mapping[str, str] = {"passed": "PASSED", "failed": "FAILED"}


def number(value: Any) -> str:
    """Format a measured value: floats to 4 decimals, integers with separators, null as "—".

    Parameters
    ----------
    value
        A number, ``None``, or anything else (shown as text).

    Returns
    -------
    str
        The display text.
    """
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if value != 0 and abs(value) < 10 ** -(DECIMALS - 1):
            return f"{value:.{DECIMALS}g}"
        return f"{value:,.{DECIMALS}f}"
    return str(value)


def threshold(value: Any) -> str:
    """Format a ``{"min": ..., "max": ...}`` threshold as ``≥ a``, ``≤ b`` or ``a – b``.

    Parameters
    ----------
    value
        The finding's ``threshold`` field (or ``None``).

    Returns
    -------
    str
        The display text; "—" when neither bound is set.
    """
    if not isinstance(value, Mapping):
        return MISSING if value is None else str(value)
    low, high = value.get("min"), value.get("max")
    if low is not None and high is not None:
        return f"{number(low)} – {number(high)}"
    if low is not None:
        return f"≥ {number(low)}"
    if high is not None:
        return f"≤ {number(high)}"
    return MISSING


def timestamp(value: Any) -> str:
    """Format an ISO 8601 UTC time as ``2026-11-27 14:00:02 UTC``.

    Parameters
    ----------
    value
        An ISO 8601 string (``Z`` suffix allowed) or ``None``.

    Returns
    -------
    str
        The display text; the input unchanged if it does not parse.
    """
    if value is None:
        return MISSING
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def date(value: Any) -> str:
    """Format an ISO 8601 time as its UTC date, ``2026-11-27``.

    Parameters
    ----------
    value
        An ISO 8601 string or ``None``.

    Returns
    -------
    str
        The display text.
    """
    text = timestamp(value)
    return text[:10] if text.endswith(" UTC") else text


def outcome_label(value: Any) -> str:
    """Return the upper-case label of a finding outcome (``fail`` -> ``FAIL``).

    Parameters
    ----------
    value
        The outcome.

    Returns
    -------
    str
        The label.
    """
    return OUTCOME_LABELS.get(str(value), str(value).upper())


def verdict_label(value: Any) -> str:
    """Return the upper-case label of a verdict (``failed`` -> ``FAILED``).

    Parameters
    ----------
    value
        The verdict.

    Returns
    -------
    str
        The label.
    """
    return VERDICT_LABELS.get(str(value), str(value).upper())


def text(value: Any) -> str:
    """Show ``None`` as "—" and anything else as text.

    Parameters
    ----------
    value
        Any value.

    Returns
    -------
    str
        The display text.
    """
    return MISSING if value is None or value == "" else str(value)


def file_name(value: Any) -> str:
    """A recorded file name as the report shows it: never a machine's absolute path.

    Records written before names were portable hold absolute paths; those show as the file's
    name (its digest is beside it in the record).
    """
    from governance.paths import shown_name

    return text(value) if value is None or value == "" else shown_name(str(value))


def percent(value: Any) -> str:
    """A share (0 to 1) as a percentage: ``0.1894`` -> ``18.9%``; null as "—"."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return MISSING if value is None else str(value)
    if math.isnan(value):
        return "NaN"
    shown = f"{value * 100:.1f}"
    if shown == "0.0" and value > 0:
        return "<0.1%"
    return f"{shown.removesuffix('.0')}%"


FILTERS: Mapping[str, Callable[[Any], str]] = {
    "number": number,
    "percent": percent,
    "threshold": threshold,
    "timestamp": timestamp,
    "date": date,
    "outcome_label": outcome_label,
    "verdict_label": verdict_label,
    "text": text,
    "file_name": file_name,
}
