from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator

from governance.lineage import VERDICT_FACET, VERDICT_SCHEMA_ID, VERDICT_SCHEMA_URL, facet_schemas
from governance.lineage.naming import ENGINE_SCHEMA_ID
from tests.lineage.spec import validate_facet, validator


def test_verdict_schema_is_package_data() -> None:
    resource = files("governance.lineage") / "schemas" / "GovernanceVerdictRunFacet.json"
    schema = json.loads(resource.read_text(encoding="utf-8"))
    assert schema["$id"] == VERDICT_SCHEMA_ID
    assert VERDICT_SCHEMA_URL.startswith(f"{VERDICT_SCHEMA_ID}#")
    assert VERDICT_SCHEMA_URL.endswith("#/$defs/GovernanceVerdictRunFacet")
    assert facet_schemas()[VERDICT_SCHEMA_ID] == schema
    assert set(facet_schemas()) == {VERDICT_SCHEMA_ID, ENGINE_SCHEMA_ID}


def test_verdict_schema_is_a_valid_2020_12_schema() -> None:
    schema = facet_schemas()[VERDICT_SCHEMA_ID]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_verdict_schema_extends_the_run_facet() -> None:
    facet_def = facet_schemas()[VERDICT_SCHEMA_ID]["$defs"]["GovernanceVerdictRunFacet"]
    assert {
        "$ref": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet"
    } in facet_def["allOf"]
    assert facet_schemas()[VERDICT_SCHEMA_ID]["properties"] == {
        VERDICT_FACET: {"$ref": "#/$defs/GovernanceVerdictRunFacet"}
    }


def test_verdict_schema_requires_the_base_facet_fields() -> None:
    errors = list(validator(VERDICT_SCHEMA_URL).iter_errors({"verdict": "passed"}))
    missing = {e.message for e in errors}
    assert "'_producer' is a required property" in missing
    assert "'evaluationId' is a required property" in missing


def test_verdict_schema_rejects_a_bad_digest(record: dict[str, Any]) -> None:
    from governance.lineage import complete_event

    facet = complete_event(record)["run"]["facets"][VERDICT_FACET]
    validate_facet(VERDICT_FACET, facet)
    facet["policies"][0]["digest"] = "md5:abc"
    assert not validator(VERDICT_SCHEMA_URL).is_valid(facet)
