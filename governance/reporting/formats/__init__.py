"""Output formats of ``governance check``: one module per format, registered here explicitly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from governance.reporting.formats import json_format, text

Formatter = Callable[[dict[str, Any]], str]

FORMATTERS: dict[str, Formatter] = {
    "text": text.format_record,
    "json": json_format.format_record,
}


def format_record(record: dict[str, Any], fmt: str) -> str:
    """Render an evaluation record in ``fmt`` (a key of FORMATTERS)."""
    return FORMATTERS[fmt](record)
