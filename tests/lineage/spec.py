"""Validate OpenLineage events against the official JSON schemas, for any test to import.

The official schemas live in ``../shared/openlineage-spec`` beside the repository (they are the
referee, not part of the package). Every event is validated against ``OpenLineage.json``, then
every facet in it against the schema its ``_schemaURL`` points to, which must be registered: the
official facet schemas and the ones the package ships (``governance.lineage.facet_schemas()``).
The facet's key must be the one its schema file declares (``test`` for ``TestRunFacet``).

    from tests.lineage.spec import validate_event
    validate_event(event)  # skips the test when the spec directory is absent
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from governance.lineage import facet_schemas

SPEC_DIR = Path(__file__).parents[2].parent / "shared" / "openlineage-spec"
SPEC_MISSING = (
    "../shared/openlineage-spec not found: "
    "spec validation needs the official schemas beside the repo"
)
CORE_ID = "https://openlineage.io/spec/2-0-2/OpenLineage.json"

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.IGNORECASE
)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*")

# jsonschema checks date-time and uri only with optional packages that are not installed here;
# these strict stand-ins keep the formats checked.
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    datetime.fromisoformat(value.upper())
    return True


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.fullmatch(value))


def spec_dir() -> Path:
    """The official spec directory; skips the calling test when it is absent."""
    if not (SPEC_DIR / "OpenLineage.json").is_file():
        pytest.skip(SPEC_MISSING)
    return SPEC_DIR


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    folder = spec_dir()
    schemas: dict[str, dict[str, Any]] = {}
    for path in [folder / "OpenLineage.json", *sorted((folder / "facets").glob("*.json"))]:
        schema = json.loads(path.read_text(encoding="utf-8"))
        schemas[schema["$id"]] = schema
    shipped = facet_schemas()
    assert not shipped.keys() & schemas.keys(), "a shipped schema reuses an official $id"
    return schemas | shipped


@functools.cache
def registry() -> Registry:
    """A registry of the official schemas and the package's facet schemas, by ``$id``."""
    return Registry().with_resources(
        (schema_id, Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema_id, schema in _schemas().items()
    )


@functools.cache
def validator(ref: str) -> Draft202012Validator:
    """A validator of the schema at ``ref`` (an absolute URL, with a fragment if needed)."""
    return Draft202012Validator({"$ref": ref}, registry=registry(), format_checker=FORMATS)


def validate_event(event: Mapping[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless the event and each of its facets is valid."""
    validator(CORE_ID).validate(event)
    for key, facet in iter_facets(event):
        validate_facet(key, facet)


def validate_facet(key: str, facet: Mapping[str, Any]) -> None:
    """Validate a facet against the schema of its ``_schemaURL``, under the key it declares."""
    url = facet["_schemaURL"]
    document_id, _, pointer = url.partition("#")
    schemas = _schemas()
    assert document_id in schemas, f"facet {key!r}: no registered schema for {url}"
    if document_id != CORE_ID:
        declared = schemas[document_id].get("properties", {})
        assert key in declared, f"facet {key!r}: {document_id} declares only {sorted(declared)}"
        assert declared[key]["$ref"] == f"#{pointer}", f"facet {key!r}: {url} is not its def"
    validator(url).validate(facet)


def iter_facets(event: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every ``(key, facet)`` of the run, the job, and the input and output datasets."""
    holders: list[Mapping[str, Any]] = [event.get("run", {}), event.get("job", {})]
    for dataset in [*event.get("inputs", []), *event.get("outputs", [])]:
        holders.append(dataset)
        holders.append({"facets": dataset.get("inputFacets", {})})
        holders.append({"facets": dataset.get("outputFacets", {})})
    for holder in holders:
        yield from holder.get("facets", {}).items()
