"""``--format sarif``: SARIF 2.1.0 that validates against the official schema and GitHub accepts."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from governance.reporting.formats import format_record
from governance.reporting.formats.sarif import artifact_location, sarif_log
from tests.conftest import SHARED
from tests.reporting.formats.conftest import Golden, findings_by_outcome

SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


def results_by_rule(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["ruleId"]: result for result in log["runs"][0]["results"]}


def test_golden(record: dict[str, Any], golden: Golden) -> None:
    golden("record.sarif", format_record(record, "sarif"))


@pytest.mark.skipif(
    not SARIF_SCHEMA.exists(), reason=f"the official SARIF schema is not at {SARIF_SCHEMA}"
)
def test_validates_against_the_official_schema(record: dict[str, Any]) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    log = json.loads(format_record(record, "sarif"))
    assert [error.message for error in validator.iter_errors(log)] == []
    assert log["version"] == "2.1.0"


def test_one_reporting_descriptor_per_rule(record: dict[str, Any]) -> None:
    driver = sarif_log(record)["runs"][0]["tool"]["driver"]
    assert [rule["id"] for rule in driver["rules"]] == [f["rule_id"] for f in record["findings"]]
    four_fifths = driver["rules"][0]
    assert four_fifths["properties"]["severity"] == "high"
    assert four_fifths["properties"]["controls"] == [
        "US EEOC Uniform Guidelines 29 CFR 1607.4(D)",
        "EU AI Act Art. 10(2)(f)",
    ]
    assert four_fifths["help"]["text"].startswith("Mitigate the disparity")
    assert four_fifths["defaultConfiguration"] == {"level": "error"}


def test_results_for_problems_only(record: dict[str, Any]) -> None:
    """GitHub code scanning makes an alert of every result, whatever its kind."""
    log = sarif_log(record)
    results = results_by_rule(log)
    named = findings_by_outcome(record)
    problems = [k for k in named if k not in ("pass", "skipped")]
    assert set(results) == {named[k]["rule_id"] for k in problems}
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for result in results.values():
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["kind"] == "fail"


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        ("critical", "error"),
        ("high", "error"),
        ("medium", "warning"),
        ("low", "note"),
        ("info", "note"),
    ],
)
def test_level_comes_from_severity(record: dict[str, Any], severity: str, level: str) -> None:
    finding = findings_by_outcome(record)["blocking_fail"]
    finding["severity"] = severity
    result = results_by_rule(sarif_log(record))[finding["rule_id"]]
    assert result["level"] == level
    assert sarif_log(record)["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"] == {
        "level": level
    }


def test_locations_are_the_rule_in_its_policy_file_and_the_manifest(
    record: dict[str, Any],
) -> None:
    result = results_by_rule(sarif_log(record))["four-fifths-sex"]
    (location,) = result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "policies/lending-fairness.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7, "startColumn": 5},
    }
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "manifest.yaml"


def test_waived_finding_is_an_accepted_suppression_with_its_justification(
    record: dict[str, Any],
) -> None:
    results = results_by_rule(sarif_log(record))
    (suppression,) = results["parity-difference-group"]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"].startswith("Group c is a pilot region")
    assert suppression["properties"]["ticket"] == "RISK-1234"
    assert suppression["location"]["physicalLocation"]["region"] == {"startLine": 70}
    (expired,) = results["equalized-odds-sex"]["suppressions"]
    assert expired["status"] == "rejected"  # an expired waiver suppresses nothing
    assert "suppressions" not in results["four-fifths-sex"]


def test_measured_value_and_gate_effect_are_properties(record: dict[str, Any]) -> None:
    result = results_by_rule(sarif_log(record))["four-fifths-sex"]
    assert result["properties"]["measured"] == pytest.approx(0.8634394628546675)
    assert result["properties"]["threshold"] == {"min": 0.9, "max": None}
    assert result["properties"]["blocking"] is True
    assert result["message"]["text"].startswith("synthetic 0.1.0: Selection rate ratio")


def test_fingerprints_are_stable_across_runs(record: dict[str, Any]) -> None:
    first = results_by_rule(sarif_log(record))["four-fifths-sex"]["partialFingerprints"]
    record["evaluation_id"] = "019375a2-0000-7000-8000-000000000000"
    record["findings"][0]["measured"] = 0.5
    assert results_by_rule(sarif_log(record))["four-fifths-sex"]["partialFingerprints"] == first


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("policies/a b.yaml", {"uri": "policies/a%20b.yaml", "uriBaseId": "%SRCROOT%"}),
        ("/srv/policies/p.yaml", {"uri": "file:///srv/policies/p.yaml"}),
        ("C:\\policies\\p.yaml", {"uri": "file:///C:/policies/p.yaml"}),
        ("policies\\p.yaml", {"uri": "policies/p.yaml", "uriBaseId": "%SRCROOT%"}),
    ],
)
def test_artifact_locations(path: str, expected: dict[str, str]) -> None:
    assert artifact_location(path) == expected


def test_every_result_has_a_location_even_in_an_older_record(record: dict[str, Any]) -> None:
    """GitHub rejects the whole file when one result has no location."""
    for finding in record["findings"]:
        del finding["location"]
    for result in sarif_log(record)["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "policies/lending-fairness.yaml"


def _from_pack(record: dict[str, Any]) -> dict[str, Any]:
    """The fixture's rules as a check with ``-p pack:fair-lending`` records them."""
    record["policies"][0]["path"] = "pack:fair-lending"
    for finding in record["findings"]:
        finding["location"]["path"] = "pack:fair-lending"
    return record


def test_a_shipped_pack_rule_is_located_at_the_manifest_with_the_pack_rule_beside(
    record: dict[str, Any],
) -> None:
    """A pack is in no file of the repository: no `pack%3A...` path GitHub cannot find."""
    log = sarif_log(_from_pack(record))
    assert "pack%3A" not in json.dumps(log)
    result = results_by_rule(log)["four-fifths-sex"]
    (location,) = result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "manifest.yaml", "uriBaseId": "%SRCROOT%"}
    }
    assert location["logicalLocations"] == [
        {
            "name": "four-fifths-sex",
            "fullyQualifiedName": "pack:fair-lending/four-fifths-sex",
            "kind": "member",
        }
    ]
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"] == {
        "artifactLocation": {"uri": "fair-lending.yaml", "uriBaseId": "GOVERNANCE_PACKS"},
        "region": {"startLine": 7, "startColumn": 5},
    }
    assert "pack:fair-lending" in related["message"]["text"]
    base = log["runs"][0]["originalUriBaseIds"]["GOVERNANCE_PACKS"]
    assert "uri" not in base  # the installed package's folder names the machine
    assert "policies/" in base["description"]["text"]


def test_a_record_without_packs_declares_no_base(record: dict[str, Any]) -> None:
    assert "originalUriBaseIds" not in sarif_log(record)["runs"][0]


def test_every_pack_result_has_what_github_code_scanning_requires(record: dict[str, Any]) -> None:
    """GitHub rejects a log if one result lacks physicalLocation.artifactLocation.uri."""
    for result in sarif_log(_from_pack(record))["runs"][0]["results"]:
        for location in result["locations"]:
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert uri and ":" not in uri


def test_a_pack_waiver_source_is_in_the_pack_file(record: dict[str, Any]) -> None:
    waived = findings_by_outcome(record)["waived"]
    waived["waiver"]["source"] = "pack:fair-lending:12"
    results = results_by_rule(sarif_log(record))
    (suppression,) = results[waived["rule_id"]]["suppressions"]
    assert suppression["location"]["physicalLocation"] == {
        "artifactLocation": {"uri": "fair-lending.yaml", "uriBaseId": "GOVERNANCE_PACKS"},
        "region": {"startLine": 12},
    }


@pytest.mark.skipif(
    not SARIF_SCHEMA.exists(), reason=f"the official SARIF schema is not at {SARIF_SCHEMA}"
)
def test_a_pack_record_validates_against_the_official_schema(record: dict[str, Any]) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    log = json.loads(format_record(_from_pack(record), "sarif"))
    assert [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(log)] == []
