"""``--format junit``: the structure CI servers read (testsuites/testsuite/testcase/failure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from governance.reporting.formats import format_record
from tests.reporting.formats.conftest import Golden


def parse(record: dict[str, Any]) -> ET.Element:
    text = format_record(record, "junit")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in root.iter("testcase")}


def properties(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.findall("properties/property")}


def test_golden(record: dict[str, Any], golden: Golden) -> None:
    golden("record.xml", format_record(record, "junit"))


def test_structure_and_counts_match_the_summary(record: dict[str, Any]) -> None:
    root = parse(record)
    summary = record["summary"]
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "lending-fairness"
    testcases = suite.findall("testcase")
    assert len(testcases) == summary["rules"]
    failures = [c for c in testcases if c.find("failure") is not None]
    errors = [c for c in testcases if c.find("error") is not None]
    skipped = [c for c in testcases if c.find("skipped") is not None]
    assert len(failures) + len(errors) == summary["blocking"]
    assert len(skipped) == summary["waived"] + summary["skipped"]
    for element in (root, suite):
        assert element.get("tests") == str(summary["rules"])
        assert element.get("failures") == str(len(failures))
        assert element.get("errors") == str(len(errors))
        assert element.get("skipped") == str(len(skipped))
    assert root.get("time") == "2.531"


def test_each_finding_becomes_what_ci_servers_show(record: dict[str, Any]) -> None:
    by_name = cases(parse(record))
    assert [c.get("classname") for c in by_name.values()] == ["lending-fairness"] * 8
    failure = by_name["four-fifths-sex"].find("failure")
    assert failure is not None
    assert failure.get("message") == "0.8634 is below the minimum 0.9"
    assert failure.get("type") == "fail"
    assert "Remediation: Mitigate the disparity" in (failure.text or "")
    error = by_name["recall-by-group"].find("error")
    assert error is not None and "no such key 'per_group'" in (error.get("message") or "")
    expired = by_name["equalized-odds-sex"].find("failure")
    assert expired is not None and "waiver expired" in (expired.get("message") or "")
    waived = by_name["parity-difference-group"].find("skipped")
    assert waived is not None
    assert (waived.get("message") or "").startswith("waived: ")
    assert "Group c is a pilot region" in (waived.get("message") or "")
    skipped = by_name["minimal-risk-only"].find("skipped")
    assert skipped is not None and "when is false" in (skipped.get("message") or "")
    warning = by_name["accuracy-floor"]
    assert warning.find("failure") is None and warning.find("error") is None
    assert (warning.findtext("system-out") or "").startswith("WARNING (does not block)")
    passed = by_name["balanced-accuracy"]
    assert [child.tag for child in passed] == ["properties"]


def test_properties_carry_measured_value_and_threshold(record: dict[str, Any]) -> None:
    case = cases(parse(record))["four-fifths-sex"]
    props = properties(case)
    assert props["measured"] == "0.8634394628546675"
    assert props["threshold.min"] == "0.9" and props["threshold.max"] == ""
    assert props["severity"] == "high" and props["outcome"] == "fail"
    assert case.get("file") == "policies/lending-fairness.yaml" and case.get("line") == "7"
    controls = [p.get("value") for p in case.findall("properties/property[@name='control']")]
    assert controls == ["US EEOC Uniform Guidelines 29 CFR 1607.4(D)", "EU AI Act Art. 10(2)(f)"]


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
