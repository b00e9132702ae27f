"""``--format json``: the record itself, documented by the JSON Schema shipped in the package."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from governance.record import record_schema
from governance.reporting.formats import format_record
from tests.cli.conftest import Run
from tests.conftest import REPO
from tests.reporting.formats.build_record import POLICY
from tests.reporting.formats.conftest import Golden

DOC = REPO / "docs" / "evaluation-record.md"


def validator() -> jsonschema.protocols.Validator:
    schema = record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def errors(record: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator().iter_errors(record)
    ]


def test_golden(record: dict[str, Any], golden: Golden) -> None:
    golden("record.json", format_record(record, "json"))


def test_output_is_the_record(record: dict[str, Any]) -> None:
    assert json.loads(format_record(record, "json")) == record


def test_schema_is_shipped_as_package_data() -> None:
    schema = record_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("https://")


def test_the_old_schema_location_still_works_for_one_release() -> None:
    from governance.reporting.formats import schemas

    with pytest.warns(DeprecationWarning, match=r"moved to governance\.record\.record_schema"):
        assert schemas.record_schema() == record_schema()


def test_fixture_record_validates(record: dict[str, Any]) -> None:
    assert errors(record) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r.pop("verdict"), ""),
        (lambda r: r.update(verdict="maybe"), "verdict"),
        (lambda r: r["findings"][0].update(outcome="flaky"), "findings/0/outcome"),
        (lambda r: r["findings"][0].update(undocumented=1), "findings/0"),
        (lambda r: r.update(undocumented=1), ""),
        (lambda r: r["manifest"].update(digest="md5:abc"), "manifest/digest"),
        (lambda r: r.update(started_at="2026-11-27 14:00:00"), "started_at"),
        (lambda r: r["findings"][2]["waiver"].pop("justification"), "findings/2/waiver"),
        (lambda r: r["waivers"][0].update(status="pending"), "waivers/0/status"),
    ],
)
def test_schema_rejects_what_the_record_never_holds(
    record: dict[str, Any], change: Callable[[dict[str, Any]], object], where: str
) -> None:
    change(record)
    found = errors(record)
    assert found, "the schema accepted an invalid record"
    assert any(e.startswith(f"{where}:") for e in found), found


def test_older_records_without_optional_fields_validate(record: dict[str, Any]) -> None:
    """Records stored before waivers, locations and strict existed stay valid."""
    for key in ("waivers", "strict", "waiver_files"):
        del record[key]
    for finding in record["findings"]:
        for key in ("waiver", "skip_reason", "location", "charts", "assert", "when", "override"):
            del finding[key]
    assert errors(record) == []


def _resolve(schema: dict[str, Any], node: dict[str, Any], parts: list[str]) -> bool:
    """Whether the dotted field path exists in the schema (through $ref, allOf, oneOf, anyOf)."""
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        return _resolve(schema, schema["$defs"][name], parts)
    if not parts:
        return True
    branches = node.get("allOf", []) + node.get("oneOf", []) + node.get("anyOf", [])
    if any(_resolve(schema, branch, parts) for branch in branches):
        return True
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        head = head[:-2]
        child = node.get("properties", {}).get(head)
        return child is not None and _resolve(schema, child.get("items", child), rest)
    child = node.get("properties", {}).get(head)
    return child is not None and _resolve(schema, child, rest)


def documented_fields() -> list[str]:
    """Field paths named in the tables of docs/evaluation-record.md, and the example's keys."""
    text = DOC.read_text(encoding="utf-8")
    fields = re.findall(r"^\| `([a-z_.\[\]]+)` \|", text, flags=re.MULTILINE)
    example = json.loads(re.search(r"```json\n(.*?)\n```", text, flags=re.DOTALL).group(1))

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                path = f"{prefix}.{key}" if prefix else key
                if "evidence" in prefix.split(".") or prefix.endswith("params"):
                    continue  # check-specific
                fields.append(path)
                walk(item, path)
        elif isinstance(value, list) and value:
            walk(value[0], prefix + "[]")

    walk(example, "")
    evidence = "findings[].evidence."  # rows about evidence tables name them from `tables`
    return sorted({evidence + f if f.startswith("tables[]") else f for f in fields})


def test_every_documented_field_is_in_the_schema() -> None:
    schema = record_schema()
    fields = documented_fields()
    assert "findings[].waiver" in fields and "summary.blocking" in fields
    missing = [field for field in fields if not _resolve(schema, schema, field.split("."))]
    assert missing == []


def test_a_real_check_record_validates(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    result = run("check", manifest_path, "-p", policy_path, "--store", store, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert errors(json.loads(result.stdout)) == []


def test_a_real_check_with_every_kind_of_finding_validates(
    run: Run, manifest_path: Path, write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    policy = write("lending.yaml", POLICY)
    out = tmp_path / "record.json"
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    result = run("check", manifest_path, "-p", policy, "--store", store, "--format", f"json={out}")
    assert result.exit_code == 1, result.stderr
    record = json.loads(out.read_text(encoding="utf-8"))
    assert {f["outcome"] for f in record["findings"]} == {
        "pass",
        "fail",
        "error",
        "insufficient",
        "waived",
        "skipped",
    }
    assert errors(record) == []
