"""``--format sarif``: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

- One ``reportingDescriptor`` per rule id (title, remediation as help, severity and controls as
  properties), whatever its outcome, so a viewer knows every rule that was evaluated.
- One ``result`` per finding that is a problem: ``fail``, ``error``, ``insufficient`` and
  ``waived``. Passing and skipped findings are left out: GitHub code scanning turns every result
  into an alert whatever its ``kind`` (PSRule#955, complyctl#868).
- A waived finding's result carries a ``suppression`` (``kind: external``, ``status: accepted``)
  with the waiver's justification; an expired waiver is a ``rejected`` suppression of an error.
- Levels come from severity: critical/high -> ``error``, medium -> ``warning``, low/info ->
  ``note``.
- The location is the rule in its policy file (line and column); the manifest is a related
  location. Relative paths stay relative (to ``%SRCROOT%``), absolute paths become ``file://``
  URIs.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from governance.reporting.formats.findings import (
    DRY_RUN_NOTE,
    Finding,
    Record,
    location_of,
    measured_text,
    note_text,
    threshold_text,
    waiver_text,
)
from governance.reporting.formats.markdown import escape

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
REPORTED = ("fail", "error", "insufficient", "waived")
WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")
FINGERPRINT = "governanceRuleModel/v1"


def level(severity: str) -> str:
    """The SARIF level of a severity."""
    return LEVELS[severity]


def artifact_location(path: str) -> dict[str, str]:
    """A SARIF ``artifactLocation``: relative to ``%SRCROOT%``, or a ``file://`` URI."""
    if WINDOWS_ABSOLUTE.match(path):
        return {"uri": "file:///" + quote(PureWindowsPath(path).as_posix(), safe="/:")}
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return {"uri": "file://" + quote(posix.as_posix(), safe="/")}
    return {"uri": quote(posix.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _rule_descriptor(finding: Finding) -> dict[str, Any]:
    remediation = finding.get("remediation") or "No remediation is given for this rule."
    controls = list(finding.get("controls") or [])
    markdown = escape(remediation)
    if controls:
        markdown += "\n\nControls:\n" + "\n".join(f"- {escape(control)}" for control in controls)
    return {
        "id": finding["rule_id"],
        "shortDescription": {"text": finding["title"]},
        "fullDescription": {"text": f"{finding['title']} ({finding['check']})"},
        "help": {"text": remediation, "markdown": markdown},
        "defaultConfiguration": {"level": level(finding["severity"])},
        "properties": {
            "severity": finding["severity"],
            "controls": controls,
            "check": finding["check"],
            "policy": finding["policy"],
            "tags": ["governance", finding["check"].split(".", 1)[0]],
        },
    }


def _source_location(source: object) -> dict[str, Any] | None:
    """A waiver's ``path:line`` as a SARIF location."""
    if not isinstance(source, str) or not source:
        return None
    path, _, line = source.rpartition(":")
    physical: dict[str, Any] = {"artifactLocation": artifact_location(path or source)}
    if path and line.isdigit() and int(line) > 0:
        physical["region"] = {"startLine": int(line)}
    else:
        physical = {"artifactLocation": artifact_location(source)}
    return {"physicalLocation": physical}


def _suppression(waiver: dict[str, Any], applied: bool) -> dict[str, Any]:
    properties = {
        key: waiver[key]
        for key in ("approved_by", "ticket", "expires", "subject", "status")
        if waiver.get(key) is not None
    }
    suppression: dict[str, Any] = {
        "kind": "external",
        "status": "accepted" if applied else "rejected",
        "justification": waiver_text(waiver),
    }
    location = _source_location(waiver.get("source"))
    if location is not None:
        suppression["location"] = location
    suppression["properties"] = properties
    return suppression


def _message(finding: Finding, record: Record) -> str:
    model = record["model"]
    return (
        f"{model['name']} {model['version']}: {finding['title']}: {note_text(finding)} "
        f"[{finding['outcome']}, severity {finding['severity']}"
        f"{', blocks the gate' if finding['blocking'] else ''}]"
    )


def _fingerprint(finding: Finding, record: Record) -> str:
    """Stable across runs for the same rule and model, so alerts track the same problem."""
    key = f"{finding['policy']}\0{finding['rule_id']}\0{record['model']['name']}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _result(finding: Finding, index: int, record: Record) -> dict[str, Any]:
    path, line, column = location_of(finding, record)
    physical: dict[str, Any] = {"artifactLocation": artifact_location(path or "policy")}
    if line is not None:
        physical["region"] = {"startLine": line, **({"startColumn": column} if column else {})}
    result: dict[str, Any] = {
        "ruleId": finding["rule_id"],
        "ruleIndex": index,
        "kind": "fail",
        "level": level(finding["severity"]),
        "message": {"text": _message(finding, record)},
        "locations": [{"physicalLocation": physical}],
        "relatedLocations": [
            {
                "id": 1,
                "physicalLocation": {
                    "artifactLocation": artifact_location(record["manifest"]["path"])
                },
                "message": {"text": f"model manifest of {record['model']['name']}"},
            }
        ],
        "partialFingerprints": {FINGERPRINT: _fingerprint(finding, record)},
        "properties": {
            "outcome": finding["outcome"],
            "blocking": finding["blocking"],
            "measured": finding["measured"],
            "threshold": finding["threshold"],
            "summary": f"{measured_text(finding['measured'])} vs "
            f"{threshold_text(finding['threshold'])}",
            "policy": finding["policy"],
        },
    }
    waiver = finding.get("waiver")
    if waiver:
        result["suppressions"] = [_suppression(waiver, finding["outcome"] == "waived")]
    return result


def sarif_log(record: Record) -> dict[str, Any]:
    """The SARIF log of a record, as a dict."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for finding in record["findings"]:
        if finding["rule_id"] not in index:
            index[finding["rule_id"]] = len(rules)
            rules.append(_rule_descriptor(finding))
    results = [
        _result(finding, index[finding["rule_id"]], record)
        for finding in record["findings"]
        if finding["outcome"] in REPORTED
    ]
    tool = record["tool"]
    model = record["model"]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool["name"],
                        "version": tool["version"],
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"governance/{model['name']}/"},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "exitCode": record["exit_code"],
                        "startTimeUtc": record["started_at"],
                        "endTimeUtc": record["finished_at"],
                    }
                ],
                "results": results,
                "properties": {
                    "evaluation_id": record["evaluation_id"],
                    "verdict": record["verdict"],
                    "fail_on": record.get("fail_on"),
                    "model": {"name": model["name"], "version": model["version"]},
                    "manifest": record["manifest"],
                    "policies": record["policies"],
                    "summary": record["summary"],
                    **({"dry_run": True, "note": DRY_RUN_NOTE} if record.get("dry_run") else {}),
                },
            }
        ],
    }


def format_record(record: Record) -> str:
    """The SARIF log as indented JSON, one trailing newline."""
    return json.dumps(sarif_log(record), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
