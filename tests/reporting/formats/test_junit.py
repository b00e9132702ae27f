"""``--format junit``: the structure CI servers read (testsuites/testsuite/testcase/failure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from governance.reporting.formats import format_record
from governance.reporting.formats.findings import FAILING
from tests.conftest import SHARED
from tests.reporting.formats.conftest import Golden, findings_by_outcome

JENKINS_SCHEMA = SHARED / "schemas" / "jenkins-xunit-junit-10.xsd"


def parse(record: dict[str, Any]) -> ET.Element:
    text = format_record(record, "junit")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in root.iter("testcase")}


def evidence(case: ET.Element) -> list[str]:
    return (case.findtext("system-out") or "").splitlines()


def schema_errors(text: str) -> list[str]:
    """What the Jenkins xUnit JUnit schema (Jenkins, GitLab, pytest's own tests) rejects."""
    etree = pytest.importorskip("lxml.etree", reason="lxml validates the JUnit schema")
    schema = etree.XMLSchema(etree.parse(str(JENKINS_SCHEMA)))
    document = etree.fromstring(text.encode("utf-8"))
    schema.validate(document)
    return [f"{error.line}: {error.message}" for error in schema.error_log]


def test_golden(record: dict[str, Any], golden: Golden) -> None:
    golden("record.xml", format_record(record, "junit"))


@pytest.mark.skipif(
    not JENKINS_SCHEMA.exists(), reason=f"the Jenkins JUnit schema is not at {JENKINS_SCHEMA}"
)
@pytest.mark.parametrize("strict", [False, True])
def test_validates_against_the_jenkins_xunit_schema(record: dict[str, Any], strict: bool) -> None:
    """No <testsuites skipped>, no <testcase file line>, no <properties> in a <testcase>."""
    if strict:
        for finding in record["findings"]:
            finding["blocking"] = finding["outcome"] in FAILING
    record["policies"].append({**record["policies"][0], "name": "second", "path": "p2.yaml"})
    record["findings"][-1]["policy"] = "second"
    assert schema_errors(format_record(record, "junit")) == []


def test_structure_and_counts_match_the_summary(record: dict[str, Any]) -> None:
    root = parse(record)
    summary = record["summary"]
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "lending-fairness"
    assert suite.get("file") == "policies/lending-fairness.yaml"
    testcases = suite.findall("testcase")
    assert len(testcases) == summary["rules"]
    failures = [c for c in testcases if c.find("failure") is not None]
    errors = [c for c in testcases if c.find("error") is not None]
    skipped = [c for c in testcases if c.find("skipped") is not None]
    warnings = [f for f in record["findings"] if f["outcome"] in FAILING and not f["blocking"]]
    assert len(failures) + len(errors) == summary["blocking"]
    assert len(skipped) == summary["waived"] + summary["skipped"] + len(warnings)
    for element in (root, suite):
        assert element.get("tests") == str(summary["rules"])
        assert element.get("failures") == str(len(failures))
        assert element.get("errors") == str(len(errors))
    assert suite.get("skipped") == str(len(skipped))
    assert root.get("skipped") is None  # not in the schema: consumers count the suites'
    assert root.get("time") == "2.531"


def test_each_finding_becomes_what_ci_servers_show(record: dict[str, Any]) -> None:
    by_name = cases(parse(record))
    findings = findings_by_outcome(record)
    assert [c.get("classname") for c in by_name.values()] == ["lending-fairness"] * 8
    failure = by_name["four-fifths-sex"].find("failure")
    assert failure is not None
    assert failure.get("message") == findings["blocking_fail"]["message"]
    assert failure.get("type") == "fail"
    assert "Remediation: Mitigate the disparity" in (failure.text or "")
    error = by_name["recall-by-group"].find("error")
    assert error is not None and "no such key 'per_group'" in (error.get("message") or "")
    expired = by_name["equalized-odds-sex"].find("failure")
    assert expired is not None and "waiver expired" in (expired.get("message") or "")
    waived = by_name["parity-difference-group"].find("skipped")
    assert waived is not None and waived.get("type") == "waived"
    assert (waived.get("message") or "").startswith("waived: ")
    assert "Group c is a pilot region" in (waived.get("message") or "")
    skipped = by_name["minimal-risk-only"].find("skipped")
    assert skipped is not None and skipped.get("type") == "skipped"
    assert skipped.get("message") == 'skipped: when is false: model.risk_tier == "minimal"'
    passed = by_name["balanced-accuracy"]
    assert [child.tag for child in passed] == ["system-out"]


def test_warnings_are_listed_as_skipped_with_what_failed_not_as_passes(
    record: dict[str, Any],
) -> None:
    """A failing finding below fail-on shows in every test report, and fails none of them."""
    by_name = cases(parse(record))
    findings = findings_by_outcome(record)
    warning = by_name["accuracy-floor"]
    assert warning.find("failure") is None and warning.find("error") is None
    skipped = warning.find("skipped")
    assert skipped is not None and skipped.get("type") == "warning"
    assert skipped.get("message") == (
        f"WARNING (fail, does not block): {findings['warning_fail']['message']}"
    )
    assert "Remediation: Retrain with more data." in (skipped.text or "")  # GitLab shows the text
    insufficient = by_name["intersectional-groups"].find("skipped")
    assert insufficient is not None and insufficient.get("type") == "warning"
    assert insufficient.get("message") == (
        f"WARNING (insufficient, does not block): {findings['warning_insufficient']['message']}"
    )


def test_a_non_blocking_error_is_a_warning_and_a_blocking_insufficient_a_failure(
    record: dict[str, Any],
) -> None:
    by_id = {f["rule_id"]: f for f in record["findings"]}
    by_id["recall-by-group"]["blocking"] = False
    by_id["intersectional-groups"]["blocking"] = True
    by_name = cases(parse(record))
    error = by_name["recall-by-group"].find("skipped")
    assert error is not None and (error.get("message") or "").startswith(
        "WARNING (error, does not block): assert could not be evaluated"
    )
    insufficient = by_name["intersectional-groups"].find("failure")
    assert insufficient is not None and insufficient.get("type") == "insufficient"


def test_evidence_is_in_system_out(record: dict[str, Any]) -> None:
    case = cases(parse(record))["four-fifths-sex"]
    assert case.get("file") is None and case.get("line") is None
    assert case.find("properties") is None
    assert evidence(case) == [
        "rule: policies/lending-fairness.yaml:7",
        "outcome: fail (blocks)",
        "severity: high",
        "check: fairness.demographic_parity_ratio",
        "measured: 0.8634394628546675",
        "threshold: >= 0.9",
        "control: US EEOC Uniform Guidelines 29 CFR 1607.4(D)",
        "control: EU AI Act Art. 10(2)(f)",
    ]
    waived = evidence(cases(parse(record))["parity-difference-group"])
    assert waived[-1].startswith("waiver: applied: Group c is a pilot region")


def test_one_suite_per_policy(record: dict[str, Any]) -> None:
    record["policies"].append({**record["policies"][0], "name": "second", "path": "p2.yaml"})
    record["findings"][-1]["policy"] = "second"
    root = parse(record)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["lending-fairness", "second"]
    assert [s.get("tests") for s in suites] == ["7", "1"]
    assert root.get("tests") == "8"


@pytest.mark.parametrize("text", ["bell\x07 and nul\x00", '<tag> & "quotes"', "\ud800 lone"])
def test_any_text_gives_well_formed_xml(record: dict[str, Any], text: str) -> None:
    record["findings"][0]["message"] = text
    record["findings"][0]["title"] = text
    failure = cases(parse(record))["four-fifths-sex"].find("failure")
    assert failure is not None
    assert failure.get("message", "").replace("\ufffd", "?").strip() != ""
