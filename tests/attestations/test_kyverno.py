"""The Kyverno example: valid against Kyverno's CRD schema, and its conditions match a real VSA."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

from governance.deploy import build_vsa
from governance.deploy.vsa import VSA_PREDICATE_TYPE
from tests.conftest import REPO

SCHEMAS = REPO / "tests" / "fixtures" / "schemas"
EXAMPLE = REPO / "integrations" / "kyverno" / "clusterpolicy.yaml"
_REFERENCE = re.compile(r"^\{\{\s*([A-Za-z0-9_.]+)\s*\}\}$")


def example() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return document


def undeclared(document: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """Fields of ``document`` the schema does not declare (kubectl --validate=strict)."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found = []
    if isinstance(document, dict) and "properties" in schema:
        for key, value in document.items():
            if key not in schema["properties"]:
                found.append(f"{where}.{key}")
            else:
                found += undeclared(value, schema["properties"][key], f"{where}.{key}")
    elif isinstance(document, list) and "items" in schema:
        for index, item in enumerate(document):
            found += undeclared(item, schema["items"], f"{where}[{index}]")
    return found


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (SCHEMAS / "kyverno-clusterpolicy-v1.openapi.json").read_text(encoding="utf-8")
    )
    return loaded


def test_the_cluster_policy_is_valid_against_kyvernos_crd_schema(schema: dict[str, Any]) -> None:
    document = example()
    assert (document["apiVersion"], document["kind"]) == ("kyverno.io/v1", "ClusterPolicy")
    jsonschema.Draft4Validator(schema).validate(document)
    assert undeclared(document, schema) == []
    [rule] = document["spec"]["rules"]
    [attestation] = rule["verifyImages"][0]["attestations"]
    assert attestation["type"] == VSA_PREDICATE_TYPE


def test_the_schema_check_catches_a_broken_policy(schema: dict[str, Any]) -> None:
    document = example()
    conditions = document["spec"]["rules"][0]["verifyImages"][0]["attestations"][0]["conditions"]
    conditions[0]["all"][0]["operator"] = "Matches"  # not a Kyverno operator
    assert not jsonschema.Draft4Validator(schema).is_valid(document)
    document = example()
    document["spec"]["rules"][0]["verifyImages"][0]["attestation"] = []  # a misspelt field
    assert undeclared(document, schema) == [".spec.rules[0].verifyImages[0].attestation"]


def _value(text: Any, predicate: dict[str, Any]) -> Any:
    """A condition operand: ``{{ a.b }}`` looked up in the predicate, else the literal."""
    match = _REFERENCE.match(text) if isinstance(text, str) else None
    if match is None:
        return text
    value: Any = predicate
    for part in match.group(1).split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def conditions_hold(predicate: dict[str, Any]) -> bool:
    """The example's conditions (Equals, AnyIn) evaluated as Kyverno does on the predicate."""
    attestation = example()["spec"]["rules"][0]["verifyImages"][0]["attestations"][0]
    results = []
    for block in attestation["conditions"]:
        for condition in block["all"]:
            key = _value(condition["key"], predicate)
            value = _value(condition["value"], predicate)
            if condition["operator"] == "Equals":
                results.append(key == value)
            elif condition["operator"] == "AnyIn":
                keys = key if isinstance(key, list) else [key]
                results.append(any(item in (value or []) for item in keys))
            else:
                raise AssertionError(f"operator {condition['operator']} not emulated")
    return all(results)


def record(verdict: str, pack: str) -> dict[str, Any]:
    return {
        "evaluation_id": "e-1",
        "finished_at": "2026-12-01T10:00:00Z",
        "verdict": verdict,
        "artifacts": {"model": {"path": "m.skops", "digest": "sha256:" + "0a" * 32}},
        "policies": [{"name": pack, "version": "1.0.0", "path": f"pack:{pack}", "digest": None}],
    }


def test_the_conditions_admit_a_passed_vsa_and_only_that() -> None:
    assert conditions_hold(build_vsa(record("passed", "fair-lending"))["predicate"])
    assert not conditions_hold(build_vsa(record("failed", "fair-lending"))["predicate"])
    assert not conditions_hold(build_vsa(record("passed", "fairness-baseline"))["predicate"])
