"""JSON schemas of the custom facets we write, shipped as package data.

Each file is a JSON Schema (Draft 2020-12) whose ``$id`` is the versioned URL that our facets'
``_schemaURL`` points into; register them by ``$id`` next to the official OpenLineage schemas to
validate our events.
"""

from __future__ import annotations

import json
from typing import Any


def facet_schemas() -> dict[str, dict[str, Any]]:
    """Return the shipped facet schemas by ``$id``.

    Returns
    -------
    dict
        ``{"$id": schema}`` for every ``*.json`` file in this package.
    """
    from importlib.resources import files

    schemas: dict[str, dict[str, Any]] = {}
    for entry in files(__name__).iterdir():
        if entry.name.endswith(".json"):
            schema: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
            schemas[schema["$id"]] = schema
    return schemas
