"""policy lint warnings, and the Markdown catalogue."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from governance.checks import default_registry
from governance.policy.catalogue import catalogue, coverage
from governance.policy.lint import lint
from governance.policy.loader import load_policies
from tests.policy.helpers import policy_text

RULES = """
- id: bare
  title: No controls, no remediation
  severity: high
  check: fairness.demographic_parity_ratio
  threshold: {min: 0.8}
  when: model.riks_tier == "high"
- id: card
  title: Model card | complete
  severity: medium
  check: documentation.field_present
  params: {fields: [model_card.intended_use]}
  threshold: {max: 0}
  controls: ["EU AI Act Art. 13(2)", "ISO/IEC 42001 A.9.4"]
  remediation: Write it.
- id: parity
  title: Parity
  severity: high
  check: fairness.demographic_parity_ratio
  assert: measured >= 0.8 && data.rowz > 0
  controls: ["EU AI Act Art. 13(2)"]
  remediation: Mitigate.
"""

WAIVERS = """
waivers:
  - {rule_id: card, subject: {model: m}, justification: j, approved_by: a, ticket: T-1,
     expires: 2026-01-31}
  - {rule_id: gone, subject: {model: m}, justification: j, approved_by: a, ticket: T-2,
     expires: 2026-03-10}
"""


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_lint_warns_about_what_loads_but_deserves_a_look(tmp_path: Path) -> None:
    path = write(tmp_path, policy_text(RULES, extra=WAIVERS))
    result = lint([path], default_registry(), now=datetime(2026, 3, 1, tzinfo=UTC))
    messages = [str(w).removeprefix(f"{path}:") for w in result.warnings]
    assert messages == [
        "12:5: warning: rule bare names no controls",
        "12:5: warning: rule bare gives no remediation",
        "17:17: warning: rule bare: when reads model.riks_tier, which the manifest does not "
        "have (known: name, version, owner, risk_tier, intended_use, description)",
        "30:37: warning: rule parity: assert reads data.rowz, which the manifest does not have "
        "(known: target, positive_label, prediction, score, features, sensitive_features, rows)",
        "6:5: warning: waiver of card expired on 2026-01-31",
        "8:5: warning: waiver names rule gone, which no policy has",
        "8:5: warning: waiver of gone expires on 2026-03-10",
    ]


def test_a_relaxed_override_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path, policy_text(RULES, name="base"), "base.yaml")
    child = write(
        tmp_path,
        "apiVersion: governance/v1\nkind: Policy\nmetadata: {name: child, version: 1.0.0}\n"
        "extends: [base.yaml]\noverrides:\n  card: {threshold: {max: 1}, allow_relax: true,"
        " justification: One field may follow (GOV-3).}\n",
        "child.yaml",
    )
    result = lint([child], default_registry())
    assert f"{child}:6: warning: override relaxes rule card: One field may follow (GOV-3)." in [
        str(w) for w in result.warnings
    ]


def test_the_catalogue_separates_automatic_and_documentary_evidence(tmp_path: Path) -> None:
    policies = load_policies([write(tmp_path, policy_text(RULES))], default_registry())
    table = coverage(policies[0].rules)
    assert table == {
        "EU AI Act Art. 13(2)": (["parity"], ["card"]),
        "ISO/IEC 42001 A.9.4": ([], ["card"]),
    }
    text = catalogue(policies)
    assert "| `card`<br>Model card \\| complete | medium |" in text
    assert "| EU AI Act Art. 13(2) | `parity` | `card` |" in text
    assert "``measured >= 0.8 && data.rowz > 0``" not in text  # no backticks: single fence
    assert "`measured >= 0.8 && data.rowz > 0`" in text
    assert 'only when `model.riks_tier == "high"`' in text
    assert "2 of 3 rules are checked automatically" in text
