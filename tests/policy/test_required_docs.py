"""docs/checks.md and docs/evaluation-record.md show what the required-policies check says."""

from __future__ import annotations

import json
import re
from pathlib import Path

from governance.checks import default_registry
from governance.config import load_settings
from governance.policy.engine import Verdict
from governance.policy.loader import load_policies
from governance.policy.model import Severity
from governance.policy.required import REQUIRED_RULE_ID, require_policies
from tests.conftest import REPO

CHECKS_DOC = REPO / "docs" / "checks.md"
RECORD_DOC = REPO / "docs" / "evaluation-record.md"


def _section(path: Path, heading: str) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _documented_finding(tmp_path: Path) -> dict[str, object]:
    """The finding of the documented governance.yml, for a high-tier model checked without
    pack:fair-lending (only pack:fairness-baseline)."""
    section = _section(CHECKS_DOC, "The required-policies check")
    (settings_text,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    config = tmp_path / "governance.yml"
    config.write_text(settings_text, encoding="utf-8")
    settings = load_settings(env={}, config_file=config)
    policies = load_policies(["pack:fairness-baseline"], default_registry())
    verdict = require_policies(
        Verdict(findings=(), fail_on=Severity.HIGH), policies, "high", settings
    )
    (finding,) = verdict.findings
    assert finding.rule.id == REQUIRED_RULE_ID and finding.blocking
    return finding.as_dict()


def test_checks_doc_shows_the_message_of_its_example(tmp_path: Path) -> None:
    finding = _documented_finding(tmp_path)
    section = _section(CHECKS_DOC, "The required-policies check")
    assert f"required-policies: {finding['message']}\n" in section
    assert "pack:fair-lending" in str(finding["message"])


def test_record_doc_shows_the_finding_of_that_example(tmp_path: Path) -> None:
    finding = _documented_finding(tmp_path)
    section = _section(RECORD_DOC, "The required-policies finding")
    (shown_text,) = re.findall(r"```json\n(.*?)```", section, re.S)
    shown = json.loads(shown_text)
    assert {key: finding[key] for key in shown} == shown
