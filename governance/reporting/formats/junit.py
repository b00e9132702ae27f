"""``--format junit``: JUnit XML, the test report format CI servers read (GitLab, Jenkins, ...).

The output validates against the Jenkins xUnit JUnit schema (the dialect Jenkins, GitLab, Azure
DevOps and the GitHub test-report actions read). ``<testsuites>`` holds one ``<testsuite>`` per
policy (``file`` = the policy file) and one ``<testcase>`` per rule (``classname`` = policy,
``name`` = rule id). What each finding becomes:

- blocking ``fail`` or ``insufficient``: ``<failure>``; blocking ``error``: ``<error>``
- a failing finding that does not block (a warning: ``fail``, ``insufficient`` or ``error``
  below ``fail_on``): ``<skipped type="warning">`` whose message starts ``WARNING (<outcome>,
  does not block)``
- ``waived`` and ``skipped``: ``<skipped>`` with the waiver or the reason as message
- ``pass``: a passing test case

So ``failures + errors`` equals the summary's ``blocking``: a CI server's test report fails
exactly when the gate does, and every warning is listed, with its message, among the skipped
tests instead of passing silently. Each test case's ``<system-out>`` holds the rule's place
(``file:line``), severity, outcome, measured value, threshold, controls and waiver; the
schema allows ``<properties>`` only on a suite, which carries the model, the policy's version
and digest, the evaluation id and the verdict.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from governance.reporting.formats.findings import (
    DRY_RUN_NOTE,
    Finding,
    Record,
    gate_effect,
    is_warning,
    location_of,
    note_text,
    threshold_text,
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
    if finding["outcome"] in ("waived", "skipped") or is_warning(finding):
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


def _evidence(finding: Finding, record: Record) -> str:
    """The rule's place and the finding's values, one ``name: value`` line each."""
    path, line, _ = location_of(finding, record)
    where = f"{path}:{line}" if path and line is not None else path or "-"
    effect = gate_effect(finding)
    lines = [
        f"rule: {where}",
        f"outcome: {finding['outcome']}" + ("" if effect == "-" else f" ({effect})"),
        f"severity: {finding['severity']}",
        f"check: {finding['check']}",
        f"measured: {_number(finding['measured']) or '-'}",
        f"threshold: {threshold_text(finding.get('threshold'))}",
    ]
    lines += [f"control: {control}" for control in finding.get("controls") or []]
    waiver = finding.get("waiver")
    if waiver:
        status = f"{waiver['status']}: " if waiver.get("status") else ""
        lines.append(f"waiver: {status}{waiver_text(waiver)}")
    return "\n".join(lines)


def _skip_message(finding: Finding) -> tuple[str, str]:
    """The ``type`` and ``message`` of a skipped test case."""
    note = note_text(finding)
    outcome = finding["outcome"]
    if is_warning(finding):
        return "warning", f"WARNING ({outcome}, does not block): {note}"
    prefix = f"{outcome}: "
    return outcome, note if note.startswith(prefix) else prefix + note


def _testcase(suite: ET.Element, finding: Finding, record: Record) -> str:
    attributes = {"classname": _xml_text(finding["policy"]), "name": _xml_text(finding["rule_id"])}
    case = ET.SubElement(suite, "testcase", attributes)
    kind = _kind(finding)
    if kind in ("failure", "error"):
        element = ET.SubElement(
            case, kind, message=_xml_text(note_text(finding)), type=finding["outcome"]
        )
        element.text = _xml_text(_details(finding))
    elif kind == "skipped":
        kind_type, message = _skip_message(finding)
        element = ET.SubElement(case, "skipped", message=_xml_text(message), type=kind_type)
        element.text = _xml_text(_details(finding))
    out = ET.SubElement(case, "system-out")
    out.text = _xml_text(_evidence(finding, record))
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
        if policy.get("path"):
            suite.set("file", _xml_text(policy["path"]))
        _properties(
            suite,
            [
                ("model", f"{model['name']} {model['version']}"),
                ("policy.version", policy.get("version", "")),
                ("policy.digest", policy.get("digest", "")),
                ("evaluation_id", record["evaluation_id"]),
                ("verdict", record["verdict"]),
                ("fail_on", record.get("fail_on") or ""),
                *([("dry_run", DRY_RUN_NOTE)] if record.get("dry_run") else []),
            ],
        )
        kinds = [_testcase(suite, f, record) for f in record["findings"] if f["policy"] == name]
        counts = _count(suite, kinds)
        suite.set("timestamp", record["started_at"].removesuffix("Z"))
        suites.append((suite, counts))
        for key in totals:
            totals[key] += counts[key]
    for key in ("tests", "failures", "errors"):  # the schema has no skipped here
        root.set(key, str(totals[key]))
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
