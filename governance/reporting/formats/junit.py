"""``--format junit``: JUnit XML, the test report format CI servers read (GitLab, Jenkins, ...).

``<testsuites>`` holds one ``<testsuite>`` per policy and one ``<testcase>`` per rule
(``classname`` = policy, ``name`` = rule id). What each finding becomes:

- blocking ``fail`` or ``insufficient``: ``<failure>``; blocking ``error``: ``<error>``
- ``waived`` and ``skipped``: ``<skipped>`` with the waiver or the reason as message
- a failing finding that does not block (a warning) and ``pass``: a passing test case; a
  warning says so in ``<system-out>``

So ``failures + errors`` equals the summary's ``blocking`` and ``skipped`` equals ``waived +
skipped``. Each test case carries its severity, outcome, measured value and threshold as
``<properties>`` (as pytest writes them).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from governance.reporting.formats.findings import (
    Finding,
    Record,
    is_warning,
    location_of,
    note_text,
    waiver_text,
)

# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _number(value: float | None) -> str:
    return "" if value is None else json.dumps(value)


def _seconds(record: Record) -> str | None:
    try:
        started = datetime.fromisoformat(record["started_at"])
        finished = datetime.fromisoformat(record["finished_at"])
    except (KeyError, TypeError, ValueError):
        return None
    return f"{max((finished - started).total_seconds(), 0.0):.3f}"


def _properties(parent: ET.Element, pairs: list[tuple[str, Any]]) -> None:
    properties = ET.SubElement(parent, "properties")
    for name, value in pairs:
        ET.SubElement(properties, "property", name=name, value=_xml_text(value))


def _kind(finding: Finding) -> str:
    """``failure``, ``error``, ``skipped`` or ``passed``: what the test case reports."""
    if finding["outcome"] in ("waived", "skipped"):
        return "skipped"
    if not finding["blocking"]:
        return "passed"
    return "error" if finding["outcome"] == "error" else "failure"


def _details(finding: Finding) -> str:
    lines = [f"{finding['title']} ({finding['check']}, severity {finding['severity']})"]
    lines.append(note_text(finding))
    if finding.get("remediation"):
        lines.append(f"Remediation: {finding['remediation']}")
    if finding.get("controls"):
        lines.append("Controls: " + "; ".join(finding["controls"]))
    return "\n".join(lines)


def _testcase(suite: ET.Element, finding: Finding, record: Record) -> str:
    path, line, _ = location_of(finding, record)
    attributes = {"classname": _xml_text(finding["policy"]), "name": _xml_text(finding["rule_id"])}
    if path:
        attributes["file"] = _xml_text(path)
    if line is not None:
        attributes["line"] = str(line)
    case = ET.SubElement(suite, "testcase", attributes)
    threshold = finding.get("threshold") or {}
    pairs: list[tuple[str, Any]] = [
        ("severity", finding["severity"]),
        ("outcome", finding["outcome"]),
        ("blocking", "true" if finding["blocking"] else "false"),
        ("check", finding["check"]),
        ("measured", _number(finding["measured"])),
        ("threshold.min", _number(threshold.get("min"))),
        ("threshold.max", _number(threshold.get("max"))),
    ]
    pairs += [("control", control) for control in finding.get("controls") or []]
    waiver = finding.get("waiver")
    if waiver:
        status = f"{waiver['status']}: " if waiver.get("status") else ""
        pairs.append(("waiver", status + waiver_text(waiver)))
    _properties(case, pairs)
    kind = _kind(finding)
    if kind in ("failure", "error"):
        element = ET.SubElement(
            case, kind, message=_xml_text(note_text(finding)), type=finding["outcome"]
        )
        element.text = _xml_text(_details(finding))
    elif kind == "skipped":
        ET.SubElement(
            case, "skipped", message=_xml_text(f"{finding['outcome']}: {note_text(finding)}")
        )
    elif is_warning(finding):
        out = ET.SubElement(case, "system-out")
        out.text = _xml_text(f"WARNING (does not block): {_details(finding)}")
    return kind


def _count(suite: ET.Element, kinds: list[str]) -> dict[str, int]:
    counts = {
        "tests": len(kinds),
        "failures": kinds.count("failure"),
        "errors": kinds.count("error"),
        "skipped": kinds.count("skipped"),
    }
    for key, value in counts.items():
        suite.set(key, str(value))
    return counts


def junit_tree(record: Record) -> ET.Element:
    """The ``<testsuites>`` element of a record."""
    model = record["model"]
    root = ET.Element(
        "testsuites", name=_xml_text(f"governance {model['name']} {model['version']}")
    )
    seconds = _seconds(record)
    names = [policy["name"] for policy in record["policies"]]
    names += [f["policy"] for f in record["findings"] if f["policy"] not in names]
    by_name = {policy["name"]: policy for policy in record["policies"]}
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suites = []
    for name in dict.fromkeys(names):
        suite = ET.Element("testsuite", name=_xml_text(name))
        policy = by_name.get(name, {})
        _properties(
            suite,
            [
                ("model", f"{model['name']} {model['version']}"),
                ("policy.version", policy.get("version", "")),
                ("policy.digest", policy.get("digest", "")),
                ("evaluation_id", record["evaluation_id"]),
                ("verdict", record["verdict"]),
                ("fail_on", record.get("fail_on") or ""),
            ],
        )
        kinds = [_testcase(suite, f, record) for f in record["findings"] if f["policy"] == name]
        counts = _count(suite, kinds)
        suite.set("timestamp", record["started_at"].removesuffix("Z"))
        suites.append((suite, counts))
        for key in totals:
            totals[key] += counts[key]
    for key, value in totals.items():
        root.set(key, str(value))
    if seconds is not None:
        root.set("time", seconds)
    for suite, _ in suites:
        root.append(suite)
    return root


def format_record(record: Record) -> str:
    """The JUnit XML document, indented, with an XML declaration and a trailing newline."""
    root = junit_tree(record)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
