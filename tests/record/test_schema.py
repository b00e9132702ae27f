"""The record's JSON Schema is generated from the models and kept beside them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from governance.record import RECORD_SCHEMA_VERSION, record_schema
from governance.record.schema import SCHEMA_FILE, schema_text
from tests.record.v1_store import v1_records

COMMITTED = Path(__file__).resolve().parents[2] / "governance" / "record" / SCHEMA_FILE


def test_the_committed_schema_is_the_one_the_models_generate() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "the models changed: run `make schema` (python -m governance.record) and commit it"
    )


def test_python_m_governance_record_regenerates_the_schema(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "governance.record"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("wrote ") and out.stdout.strip().endswith(SCHEMA_FILE)
    assert COMMITTED.read_text(encoding="utf-8") == schema_text()


def test_the_schema_names_version_2_and_describes_the_fields() -> None:
    schema = record_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/evaluation-record/{RECORD_SCHEMA_VERSION}/" + SCHEMA_FILE)
    assert RECORD_SCHEMA_VERSION == 2
    finding = schema["$defs"]["FindingRecord"]["properties"]
    assert "assert" in finding and "assertion" not in finding  # names as written
    assert "pass" in schema["$defs"]["Summary"]["properties"]
    assert schema["properties"]["evaluation_id"]["description"].startswith("A UUID")
    jsonschema.Draft202012Validator.check_schema(schema)


def test_version_1_records_of_a_store_written_by_main_validate(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(record_schema())
    records = v1_records(tmp_path)
    assert len(records) == 2 and all(record["schema_version"] == 1 for record in records)
    for record in records:
        validator.validate(record)
    assert json.dumps(records)  # plain JSON
