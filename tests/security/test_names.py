"""Ids, names and versions are matched whole: a trailing newline makes them invalid.

``re.match`` with ``$`` accepts ``"accuracy\\n"``, so two rules ``accuracy`` and
``accuracy\\n`` could coexist, and a waiver, a policy or a version could name something that
prints exactly like another. Every such value is now refused where it is read: one located line,
exit 2, nothing evaluated or written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MANIFEST, CliRun

Write = Callable[[str, str], Path]

POLICY = """\
apiVersion: governance/v1
kind: Policy
metadata:
  name: {name}
  version: {version}
rules:
  - id: accuracy
    title: Accuracy
    severity: high
    check: performance.metric
    params: {{metric: accuracy}}
    threshold: {{min: 0.5}}
  - id: {rule_id}
    title: Accuracy again
    severity: low
    check: performance.metric
    params: {{metric: accuracy}}
    threshold: {{min: 0.0}}
"""
GOOD = {"name": "names", "version": "1.0.0", "rule_id": "accuracy-2"}

WAIVERS = """\
apiVersion: governance/v1
kind: Waivers
waivers:
  - rule_id: {rule_id}
    subject: {{model: {model}, version: {version}}}
    justification: Accepted.
    approved_by: risk@example.org
    ticket: GOV-1
    expires: {expires}
"""
GOOD_WAIVER = {"rule_id": "accuracy", "model": "synthetic", "version": "0.1.0"}
GOOD_WAIVER["expires"] = "2099-01-01"


def first_error(result: Any) -> str:
    assert result.exit_code == 2, result.stdout + result.stderr
    return str(result.stderr.splitlines()[0])


@pytest.mark.parametrize(
    ("field", "value", "where", "message"),
    [
        # the attack: rules `accuracy` and `accuracy\n` in one policy
        ("rule_id", '"accuracy\\n"', "13:9: rules[1].id", "'accuracy\\n' is not a valid id"),
        ("rule_id", "|\n      accuracy", "13:9: rules[1].id", "'accuracy\\n' is not a valid id"),
        ("name", '"names\\n"', "4:9: metadata.name", "'names\\n' is not a valid id"),
        ("version", '"1.0.0\\n"', "5:12: metadata.version", "'1.0.0\\n' is not a semantic"),
        # digits other than 0-9 are not a version either: 1.0.1 and a fullwidth zero
        ("version", '"1.0.1\\uff10"', "5:12: metadata.version", "'1.0.1\uff10' is not a"),
    ],
    ids=["rule-id", "rule-id-block-scalar", "policy-name", "version", "fullwidth-digit"],
)
def test_policy_ids_names_and_versions_with_a_trailing_newline_are_refused(
    run_cli: CliRun, write: Write, field: str, value: str, where: str, message: str
) -> None:
    path = write("names.yaml", POLICY.format(**{**GOOD, field: value}))
    found = first_error(run_cli("policy", "lint", path))
    assert found.startswith(f"Error: {path}:{where}: {message}"), found


def test_the_same_policy_with_plain_names_loads(run_cli: CliRun, write: Write) -> None:
    path = write("names.yaml", POLICY.format(**GOOD))
    assert run_cli("policy", "lint", path).exit_code == 0


@pytest.mark.parametrize(
    ("field", "value", "where", "message"),
    [
        ("rule_id", '"accuracy\\n"', "4:14: waivers[0].rule_id", "'accuracy\\n' is not a valid"),
        ("model", '"synthetic\\n"', "5:22: waivers[0].subject.model", "'synthetic\\n' is not"),
        ("version", '"0.1.0\\n"', "5:42: waivers[0].subject.version", "'0.1.0\\n' is not"),
        ("expires", '"2099-01-01\\n"', "9:14: waivers[0].expires", "2099-01-01\\n is not a date"),
    ],
    ids=["rule-id", "model", "version", "expires"],
)
def test_waivers_naming_with_a_trailing_newline_are_refused(
    run_cli: CliRun, write: Write, field: str, value: str, where: str, message: str
) -> None:
    policy = write("names.yaml", POLICY.format(**GOOD))
    waivers = write("waivers.yaml", WAIVERS.format(**{**GOOD_WAIVER, field: value}))
    found = first_error(run_cli("policy", "lint", policy, "--waivers", waivers))
    assert found.startswith(f"Error: {waivers}:{where}: {message}"), found


def test_a_policy_test_naming_a_rule_with_a_trailing_newline_is_refused(
    run_cli: CliRun, write: Write
) -> None:
    write("names.yaml", POLICY.format(**GOOD))
    path = write(
        "names.test.yaml",
        """\
        apiVersion: governance/v1
        kind: PolicyTest
        policies: [names.yaml]
        tests:
          - name: newline
            evidence:
              "accuracy\\n": {measured: 0.9}
            expect:
              accuracy: pass
        """,
    )
    found = first_error(run_cli("policy", "test", path))
    assert found.startswith(f"Error: {path}:7:21: tests[0].evidence['accuracy\\n']: "), found
    assert "'accuracy\\n' is not a valid id" in found


def _entries(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        if "audit_log" not in tables:
            return 0
        return int(conn.execute("select count(*) from audit_log").fetchone()[0])


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("name: synthetic", 'name: "synthetic\\n"', "4:9: metadata.name"),
        ("name: synthetic", "name: |\n    synthetic", "4:9: metadata.name"),
        ("version: 0.1.0", 'version: "0.1.0\\n"', "5:12: metadata.version"),
    ],
    ids=["model-name", "model-name-block-scalar", "model-version"],
)
def test_a_manifest_naming_the_model_with_a_trailing_newline_is_refused(
    run_cli: CliRun,
    write: Write,
    manifest_path: Path,
    policy_path: Path,
    tmp_path: Path,
    old: str,
    new: str,
    where: str,
) -> None:
    manifest = write("manifest.yaml", MANIFEST.replace(old, new))
    db = tmp_path / "audit.db"
    found = first_error(run_cli("check", manifest, "-p", policy_path, "--store", f"sqlite:///{db}"))
    assert found.startswith(f"Error: {manifest}:{where}: "), found
    assert _entries(db) == 0


def test_a_documentation_field_with_a_trailing_newline_is_refused(
    run_cli: CliRun, write: Write
) -> None:
    path = write(
        "docs.yaml",
        """\
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: docs, version: 1.0.0}
        rules:
          - id: documented
            title: Documented
            severity: high
            check: documentation.field_present
            params: {fields: ["intended_use\\n"]}
            threshold: {max: 0}
        """,
    )
    found = first_error(run_cli("policy", "lint", path))
    assert found.startswith(f"Error: {path}:9:"), found
    assert "rules[0].params.fields[0]" in found


@pytest.mark.parametrize(
    "node", ["dataset:warehouse:features.adult\n", "job:warehouse:etl.features\n"]
)
def test_a_lineage_node_id_with_a_trailing_newline_is_a_bad_request(
    tmp_path: Path, node: str
) -> None:
    from fastapi.testclient import TestClient

    from governance.serve.app import create_app
    from governance.store import sqlite_url_for
    from tests.serve.conftest import config_for, seed_store

    seeded = seed_store(tmp_path, sqlite_url_for(tmp_path / "audit.db"))
    app = create_app(config_for(seeded.url))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/api/v1/lineage", params={"nodeId": node.strip()}).status_code == 200
        response = client.get("/api/v1/lineage", params={"nodeId": node})
    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_a_policy_named_like_a_required_pack_does_not_stand_in_for_it(
    manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    """``required_policies: [pack:fair-lending]`` is met by the shipped pack itself only.

    A policy author who names an empty policy ``fair-lending`` must not pass the requirement.
    """
    import governance
    from governance.config import load_settings

    impostor = tmp_path / "impostor.yaml"
    impostor.write_text(POLICY.format(**{**GOOD, "name": "fair-lending"}), encoding="utf-8")
    settings = load_settings(env={"GOVERNANCE_REQUIRED_POLICIES": "pack:fair-lending"})
    store = f"sqlite:///{tmp_path / 'a.db'}"
    faked = governance.check(
        manifest_path, [impostor], fail_on="critical", store=store, settings=settings
    )
    (finding,) = [f for f in faked.findings if f.rule_id == "required-policies"]
    assert (faked.exit_code, finding.outcome) == (1, "fail")
    assert finding.message.startswith("required policies not applied: pack:fair-lending ")
    real = governance.check(
        manifest_path,
        ["pack:fair-lending"],
        fail_on="critical",
        store=store,
        settings=settings,
        dry_run=True,
    )
    (finding,) = [f for f in real.findings if f.rule_id == "required-policies"]
    assert finding.outcome == "pass"
