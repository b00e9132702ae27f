"""The shipped packs: lint-clean, every rule tested and passing, every rule with controls."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.checks import default_registry
from governance.policy.catalogue import catalogue, is_documentary
from governance.policy.lint import lint
from governance.policy.loader import expand_policy_paths, load_policies
from governance.policy.testing import run_test_file
from tests.conftest import REPO

POLICIES = REPO / "policies"
TESTS = expand_policy_paths([POLICIES], tests=True)
REGULATORY_PACKS = [
    "eu-ai-act-high-risk",
    "nist-ai-rmf",
    "iso-42001",
    "us-four-fifths",
    "fair-lending",
]
EVIDENCE_PACKS = ["explainability", "lineage-completeness"]  # one kind of evidence each
PACKS = [*REGULATORY_PACKS, *EVIDENCE_PACKS]


def test_every_shipped_policy_lints_clean_together() -> None:
    result = lint([POLICIES], default_registry())
    assert [str(w) for w in result.warnings] == []
    assert {p.name for p in result.policies} >= {*PACKS, "fairness-baseline"}


@pytest.mark.parametrize("pack", PACKS)
def test_each_pack_has_a_test_file_that_covers_every_rule_and_passes(pack: str) -> None:
    path = POLICIES / "tests" / f"{pack}.test.yaml"
    assert path in TESTS
    result = run_test_file(path, default_registry())
    assert [p.name for p in result.policies] == [pack]
    failures = [(case.name, case.problems) for case in result.cases if not case.passed]
    assert failures == []
    assert result.untested == ()


@pytest.mark.parametrize("pack", REGULATORY_PACKS)
def test_each_regulatory_pack_checks_automatically_and_from_documents(pack: str) -> None:
    (policy,) = load_policies([POLICIES / f"{pack}.yaml"], default_registry())
    kinds = {is_documentary(rule) for rule in policy.rules}
    assert kinds == {True, False}
    assert all(rule.spec.controls and rule.spec.remediation for rule in policy.rules)


@pytest.mark.parametrize("pack", REGULATORY_PACKS)
def test_each_regulatory_pack_uses_explainability_and_lineage_evidence(pack: str) -> None:
    (policy,) = load_policies([POLICIES / f"{pack}.yaml"], default_registry())
    families = {rule.spec.check.split(".")[0] for rule in policy.rules}
    assert "explainability" in families
    # the employment and credit packs screen the model itself; the others also trace its data
    assert ("lineage" in families) == (pack not in {"us-four-fifths", "fair-lending"})


@pytest.mark.parametrize("pack", EVIDENCE_PACKS)
def test_each_evidence_pack_uses_only_its_own_checks_with_controls(pack: str) -> None:
    (policy,) = load_policies([POLICIES / f"{pack}.yaml"], default_registry())
    family = pack.split("-")[0]
    assert {rule.spec.check.split(".")[0] for rule in policy.rules} == {family}
    assert all(rule.spec.controls and rule.spec.remediation for rule in policy.rules)
    assert all(rule.id.startswith(f"{pack}.") for rule in policy.rules)


def test_the_catalogue_lists_every_rule_and_control() -> None:
    policies = load_policies([POLICIES], default_registry())
    text = catalogue(policies)
    for policy in policies:
        assert f"## {policy.name} {policy.version}" in text
        for rule in policy.rules:
            assert f"`{rule.id}`" in text
            for control in rule.spec.controls:
                assert control.replace("|", "\\|") in text


def test_demo_policy_still_loads_alone() -> None:
    (policy,) = load_policies([POLICIES / "fairness-baseline.yaml"], default_registry())
    assert policy.rules[0].id == "four-fifths-rule"


def test_test_files_are_not_policies(tmp_path: Path) -> None:
    assert all(path.name.endswith(".test.yaml") for path in TESTS)
    assert not any(p.name.endswith(".test.yaml") for p in expand_policy_paths([POLICIES]))


PACKS_DOC = REPO / "docs" / "packs.md"


def _section(text: str, marker: str, body: str) -> str:
    start, end = f"<!-- {marker} -->\n", f"<!-- /{marker} -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + body + end + tail


def generated_packs_doc() -> str:
    from governance.policy.catalogue import coverage_table

    text = PACKS_DOC.read_text(encoding="utf-8")
    rows = []
    for pack in PACKS:
        (policy,) = load_policies([POLICIES / f"{pack}.yaml"], default_registry())
        text = _section(text, f"coverage:{pack}", "\n".join(coverage_table(policy.rules)) + "\n")
        if pack not in REGULATORY_PACKS:
            continue
        fields = sorted(
            {
                field
                for rule in policy.rules
                if is_documentary(rule)
                for field in rule.params.model_dump()["fields"]
            }
        )
        rows.append(f"| `{pack}` | {', '.join(f'`{f}`' for f in fields)} |")
    return _section(text, "fields", "\n".join(rows) + "\n")


def test_packs_doc_coverage_tables_are_current() -> None:
    import os

    text = generated_packs_doc()
    if os.environ.get("UPDATE_DOCS"):
        PACKS_DOC.write_text(text, encoding="utf-8")
    assert PACKS_DOC.read_text(encoding="utf-8") == text, "regenerate: UPDATE_DOCS=1 pytest"


@pytest.mark.parametrize("pack", PACKS)
def test_packs_doc_states_each_pack_s_version_and_rule_count(pack: str) -> None:
    (policy,) = load_policies([POLICIES / f"{pack}.yaml"], default_registry())
    text = PACKS_DOC.read_text(encoding="utf-8")
    assert f"| `{pack}` {policy.version} | {len(policy.rules)} |" in text


def test_every_documentation_field_the_packs_use_is_in_the_manifest_doc() -> None:
    manifest_doc = (REPO / "docs" / "manifest.md").read_text(encoding="utf-8")
    for pack in PACKS:
        (policy,) = load_policies([POLICIES / f"{pack}.yaml"], default_registry())
        for rule in policy.rules:
            if is_documentary(rule):
                for field in rule.params.model_dump()["fields"]:
                    document, name = field.split(".", 1)
                    assert f"`{document}`" in manifest_doc and f"`{name}`" in manifest_doc, field
