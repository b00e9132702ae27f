"""The record's JSON Schema, generated from the models and kept beside them.

``python -m governance.record`` (``make schema``) regenerates
``evaluation-record.schema.json``; a test keeps the committed file equal to the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_FILE = "evaluation-record.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
DESCRIPTION = (
    "One `governance check`: what was checked (model, manifest, data, policies), every rule's "
    "finding and the verdict. Printed by `governance check --format json`, appended to the "
    "audit store, the source of reports, web pages and OpenLineage events. Generated from "
    "governance.record.model (docs/evaluation-record.md)."
)


def generate_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of the models, as ``--format json`` prints a record.

    Returns
    -------
    dict
        ``EvaluationRecord.model_json_schema()`` in serialization mode (field names as
        written: ``pass``, ``assert``), with ``$schema`` and a description.
    """
    from governance.record.model import EvaluationRecord

    generated = EvaluationRecord.model_json_schema(by_alias=True, mode="serialization")
    return {"$schema": DRAFT, **generated, "description": DESCRIPTION}


def schema_text() -> str:
    """The schema as committed: indented JSON, keys in generation order, one final newline."""
    return json.dumps(generate_schema(), indent=2, ensure_ascii=False) + "\n"


def record_schema() -> dict[str, Any]:
    """The committed schema, read from the package (shipped in the wheel).

    Returns
    -------
    dict
        The parsed schema; its ``$id`` names the record's schema version.
    """
    from importlib.resources import files

    schema: dict[str, Any] = json.loads(
        files("governance.record").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    )
    return schema


def write_schema() -> Path:
    """Write the generated schema beside the models; return its path."""
    target = Path(__file__).with_name(SCHEMA_FILE)
    target.write_text(schema_text(), encoding="utf-8")
    return target
