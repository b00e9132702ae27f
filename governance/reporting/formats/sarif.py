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
- A rule of a shipped pack (``pack:NAME``) is in no file of the repository: its result is
  located at the model manifest, with the pack's rule as a logical location, and the rule in the
  pack's file (relative to ``GOVERNANCE_PACKS``, the installed package's ``policies/``, declared
  in ``originalUriBaseIds`` without the machine's path) as the related location.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from governance.policy.packs import PACK_PREFIX, find_pack
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
PACKS_BASE = "GOVERNANCE_PACKS"
PACKS_BASE_DESCRIPTION = (
    "the policies/ folder of the installed governance package, where the shipped policy packs "
    "(pack:NAME) are"
)
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


def pack_artifact_location(ref: str) -> dict[str, str]:
    """The file of the shipped pack ``ref`` (``pack:NAME``), relative to ``GOVERNANCE_PACKS``."""
    name = ref.removeprefix(PACK_PREFIX)
    installed = find_pack(name)
    file_name = installed.name if installed is not None else f"{name}.yaml"
    return {"uri": quote(file_name, safe=""), "uriBaseId": PACKS_BASE}


def _is_pack(path: str | None) -> bool:
    return path is not None and path.startswith(PACK_PREFIX)


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
    if not (path and line.isdigit() and int(line) > 0):
        path, line = source, ""
    where = pack_artifact_location(path) if _is_pack(path) else artifact_location(path)
    physical: dict[str, Any] = {"artifactLocation": where}
    if line:
        physical["region"] = {"startLine": int(line)}
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


def _locations(finding: Finding, record: Record) -> tuple[dict[str, Any], dict[str, Any]]:
    """The result's location and its related location.

    The rule in its policy file, and the manifest; for a rule of a shipped pack, which is in no
    file of the repository, the manifest (with the pack's rule as a logical location), and the
    rule in the pack's file.
    """
    path, line, column = location_of(finding, record)
    manifest = {
        "physicalLocation": {"artifactLocation": artifact_location(record["manifest"]["path"])}
    }
    about_manifest = {"text": f"model manifest of {record['model']['name']}"}
    pack = path if path is not None and _is_pack(path) else None
    where = pack_artifact_location(pack) if pack else artifact_location(path or "policy")
    rule: dict[str, Any] = {"artifactLocation": where}
    if line is not None:
        rule["region"] = {"startLine": line, **({"startColumn": column} if column else {})}
    if pack is None:
        return {"physicalLocation": rule}, {"id": 1, **manifest, "message": about_manifest}
    logical = {
        "name": finding["rule_id"],
        "fullyQualifiedName": f"{pack}/{finding['rule_id']}",
        "kind": "member",
    }
    related = {
        "id": 1,
        "physicalLocation": rule,
        "message": {"text": f"rule {finding['rule_id']} of the shipped policy pack {pack}"},
    }
    return {**manifest, "logicalLocations": [logical]}, related


def _result(finding: Finding, index: int, record: Record) -> dict[str, Any]:
    location, related = _locations(finding, record)
    result: dict[str, Any] = {
        "ruleId": finding["rule_id"],
        "ruleIndex": index,
        "kind": "fail",
        "level": level(finding["severity"]),
        "message": {"text": _message(finding, record)},
        "locations": [location],
        "relatedLocations": [related],
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
    uses_packs = any(
        _is_pack(location_of(finding, record)[0])
        or _is_pack(str((finding.get("waiver") or {}).get("source") or ""))
        for finding in record["findings"]
        if finding["outcome"] in REPORTED
    )
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
                **(
                    {
                        "originalUriBaseIds": {
                            PACKS_BASE: {"description": {"text": PACKS_BASE_DESCRIPTION}}
                        }
                    }
                    if uses_packs
                    else {}
                ),
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
