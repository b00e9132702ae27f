"""Every built-in check type has a designed place in the report; none falls back to a dump.

A real evaluation of the German-credit sample runs one rule of each registered check type
(lineage, documentation, performance, drift and, against a baseline, comparison included); the
report's HTML must draw each finding in the section made for its check type, and show no
evidence as raw key-value text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import governance
from governance.checks.builtin import builtin_checks
from governance.reporting.check_views import drawn_in
from governance.reporting.render import render_html

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "german-credit"

PARAMS = {
    "fairness.metric_difference": {"metric": "false_negative_rate"},
    "fairness.metric_ratio": {"metric": "selection_rate"},
    "performance.metric": {"metric": "accuracy"},
    "documentation.field_present": {"fields": ["adverse_action.reason_codes", "risk.owner"]},
    "explainability.top_features": {"top_k": 5, "deny": ["sex", "age_band"]},
    "comparison.disparity_increase": {"disparity": "equalized_odds_difference"},
    "comparison.performance_drop": {"metric": "recall"},
}
DRIFT_REFERENCE = {"reference": "data/german-train.csv.gz", "features": ["duration", "purpose"]}
# Where each section's findings appear in the HTML: the section's own markup.
SECTION_MARK = {
    "fairness": 'class="group-block"',
    "performance": 'class="perf"',
    "explainability": 'class="explain-finding"',
    "lineage": 'class="checks-table item-table"',
    "documentation": 'class="doc-table item-table"',
    "drift": 'id="drift"',
    "comparison": 'class="comparison-table item-table"',
}


def _rule(check: str) -> dict[str, object]:
    params = dict(PARAMS.get(check, {}))
    if check.startswith("drift."):
        params.update(DRIFT_REFERENCE)
    rule: dict[str, object] = {
        "id": "r-" + check.replace(".", "-").replace("_", "-"),
        "title": f"One rule of {check}",
        "severity": "medium",
        "check": check,
        "assert": "true",
    }
    if params:
        rule["params"] = params
    return rule


@pytest.fixture(scope="module")
def every_check_html(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    checks = [check.name for check in builtin_checks()]
    policy = {
        "apiVersion": "governance/v1",
        "kind": "Policy",
        "metadata": {"name": "every-check", "version": "1.0.0"},
        "rules": [_rule(check) for check in checks],
    }
    folder = tmp_path_factory.mktemp("every")
    path = folder / "every-check.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    store = f"sqlite:///{folder / 'audit.db'}"
    # the model is its own champion: the comparison checks are drawn against a baseline
    manifest = SAMPLE / "credit-model.yaml"
    result = governance.check(manifest, path, store=store, baseline=manifest)
    record = result.to_dict()
    return render_html(record), checks


def test_every_builtin_check_type_has_a_section() -> None:
    undrawn = [check.name for check in builtin_checks() if drawn_in(check.name) is None]
    assert undrawn == []


def test_a_finding_of_every_check_type_is_drawn_in_its_section(every_check_html) -> None:
    html, checks = every_check_html
    for check in checks:
        rule_id = _rule(check)["id"]
        section = drawn_in(check)
        assert section is not None
        assert SECTION_MARK[section] in html, (check, section)
        # the rule's id appears beyond the rule-by-rule table: in its section
        assert html.count(f">{rule_id}<") >= 2, (check, rule_id)


def test_no_evidence_is_dumped(every_check_html) -> None:
    html, _ = every_check_html
    assert "evidence-table" not in html
    assert "evidence-facts" not in html
    # raw evidence keys (snake_case with a value) never reach the reader
    for key in ("mean_abs_shap", "rows_explained", "min_attribution_share", "n_reference"):
        assert not re.search(rf">\s*{key}\b", html), key
