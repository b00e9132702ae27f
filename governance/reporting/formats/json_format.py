"""``--format json``: the evaluation record itself."""

from __future__ import annotations

import json
from typing import Any


def format_record(record: dict[str, Any]) -> str:
    """The record as indented JSON, one trailing newline."""
    return json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
