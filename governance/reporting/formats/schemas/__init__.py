"""The JSON Schema of ``--format json`` (the evaluation record), shipped as package data."""

from __future__ import annotations

import json
from typing import Any

RECORD_SCHEMA = "evaluation-record.schema.json"


def record_schema() -> dict[str, Any]:
    """Return the evaluation record's JSON Schema (Draft 2020-12).

    Returns
    -------
    dict
        The parsed schema; its ``$id`` names the record's schema version.
    """
    from importlib.resources import files

    schema: dict[str, Any] = json.loads(
        files(__name__).joinpath(RECORD_SCHEMA).read_text(encoding="utf-8")
    )
    return schema
