"""`governance packs` lists the shipped packs; `check --policy pack:NAME` gates with one."""

from __future__ import annotations

import json
import os
from pathlib import Path

from governance.checks import default_registry
from governance.policy.controls import framework_of
from governance.policy.loader import load_policy
from tests.cli.conftest import Run
from tests.conftest import REPO

POLICIES = REPO / "policies"
PACKS_DOC = REPO / "docs" / "packs.md"


def expected() -> dict[str, dict[str, object]]:
    """What each pack file in the repository says about itself."""
    packs = {}
    for path in sorted(POLICIES.glob("*.yaml")):
        policy = load_policy(path, default_registry())
        controls = {c for rule in policy.rules for c in rule.spec.controls}
        frameworks: dict[str, int] = {}
        for control in controls:
            frameworks[framework_of(control)] = frameworks.get(framework_of(control), 0) + 1
        packs[path.stem] = {
            "version": policy.version,
            "digest": policy.digest,
            "rules": len(policy.rules),
            "controls": {"count": len(controls), "frameworks": frameworks},
        }
    return packs


def test_packs_as_json_describe_every_shipped_pack(run: Run) -> None:
    result = run("packs", "--format", "json")
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    want = expected()
    assert [pack["name"] for pack in listed] == list(want)
    for pack in listed:
        assert pack["ref"] == f"pack:{pack['name']}"
        assert {key: pack[key] for key in ("version", "digest", "rules", "controls")} == want[
            pack["name"]
        ]
        assert Path(pack["path"]).name == f"{pack['name']}.yaml"


def test_packs_as_text_name_version_rules_controls_digest(run: Run) -> None:
    result = run("packs")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for name, pack in expected().items():
        header = next(line for line in text.splitlines() if line.startswith(f"pack:{name} "))
        assert header.split() == [f"pack:{name}", pack["version"], str(pack["rules"]), "rules"]
        assert f"digest:   {pack['digest']}" in text
    assert text.splitlines()[-1].startswith(f"{len(expected())} packs: use one with --policy")


def test_check_with_a_pack_records_its_digest(
    run: Run, manifest_path: Path, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    result = run(
        "check", manifest_path, "-p", "pack:us-four-fifths", "--store", store, "--format", "json"
    )
    assert result.exit_code in (0, 1), result.stderr
    [policy] = json.loads(result.stdout)["policies"]
    assert policy["name"] == "us-four-fifths"
    assert policy["digest"] == expected()["us-four-fifths"]["digest"]


def test_check_with_an_unknown_pack_lists_them_and_writes_nothing(
    run: Run, manifest_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "audit.db"
    result = run("check", manifest_path, "-p", "pack:eu-ai-act", "--store", f"sqlite:///{db}")
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: unknown policy pack 'eu-ai-act' (shipped packs: ")
    assert ", ".join(expected()) in line
    assert not db.exists()


def test_packs_doc_shows_the_real_output(run: Run) -> None:
    """docs/packs.md shows `governance packs` as it prints today (UPDATE_DOCS=1 rewrites it)."""
    result = run("packs")
    assert result.exit_code == 0, result.stderr
    start, end = "<!-- packs-output -->\n", "<!-- /packs-output -->"
    text = PACKS_DOC.read_text(encoding="utf-8")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    session = f"```console\n$ governance packs\n{result.stdout}```\n"
    updated = head + start + session + end + tail
    if os.environ.get("UPDATE_DOCS"):
        PACKS_DOC.write_text(updated, encoding="utf-8")
    assert PACKS_DOC.read_text(encoding="utf-8") == updated, "regenerate: UPDATE_DOCS=1 pytest"
