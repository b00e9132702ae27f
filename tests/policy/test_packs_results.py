"""docs/packs.md's results table is what the gate finds when each pack checks each sample model.

The adult-income sample's lineage is ingested first (as `governance lineage ingest
samples/adult-income/lineage` does); the German-credit sample has none recorded. Every shipped
policy is evaluated in one check per model: rules are independent and rule ids unique, so each
pack's findings, and its verdict (whether any of them blocks), are those of a check with that pack
alone.

Regenerate the table with:
UPDATE_DOCS=1 .venv/bin/python -m pytest tests/policy/test_packs_results.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.policy.test_packs import PACKS, PACKS_DOC, _section

POLICIES = REPO / "policies"
MODELS = [
    REPO / "samples" / "adult-income" / "baseline.yaml",
    REPO / "samples" / "adult-income" / "mitigated.yaml",
    REPO / "samples" / "german-credit" / "credit-model.yaml",
]
ORDER = ["fairness-baseline", *PACKS]


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    from governance.audit import AuditStore
    from governance.gate import CheckOptions, GateRun, run_gate
    from governance.lineage.ingest import ingest

    url = f"sqlite:///{tmp_path_factory.mktemp('packs') / 'audit.db'}"
    with AuditStore.open(url) as store:
        report = ingest(store, [REPO / "samples" / "adult-income" / "lineage"], strict=True)
        assert report.rejected == []
    return [
        run_gate(
            GateRun(options=CheckOptions(manifest=manifest, policies=[POLICIES]), store_url=url)
        ).record
        for manifest in MODELS
    ]


def _strip_paths(text: str) -> str:
    """A lineage message without the machine-dependent paths it looked for."""
    return text.split(": looked for")[0]


def why(finding: dict[str, Any]) -> str:
    """The finding's message, with the names its evidence gives."""
    message = _strip_paths(finding["message"]).removeprefix("insufficient evidence: ")
    if message.startswith("assertion failed"):
        message = f"assertion failed (measured {finding['measured']:.4g})"
    evidence = finding.get("evidence") or {}
    if finding["outcome"] != "fail":
        return message
    if finding["check"] == "explainability.proxy_features":
        proxies = [
            f"{f['feature']} ({', '.join(f['proxy_of'])})"
            for f in evidence["features"]
            if f["potential_proxy"]
        ]
        return f"{message}: {', '.join(proxies)}"
    if finding["check"] == "explainability.sensitive_attribution_share":
        used = [f"{s['feature']} {s['share']:.3g}" for s in evidence["sensitive"] if s["share"]]
        return f"{message} ({', '.join(used)})"
    if evidence.get("gaps"):
        return f"{message}: " + "; ".join(_strip_paths(gap) for gap in evidence["gaps"])
    return message


def results_table(records: list[dict[str, Any]]) -> str:
    lines = [
        "| pack | model | verdict | blocking findings (why) | warnings (fail, do not block) |",
        "|---|---|---|---|---|",
    ]
    for pack in ORDER:
        for record in records:
            findings = [f for f in record["findings"] if f["policy"] == pack]
            assert findings, (pack, record["model"]["name"])
            blocking = [f for f in findings if f.get("blocking")]
            warnings = [
                f for f in findings if f["outcome"] not in ("pass", "skipped") and not f["blocking"]
            ]
            passed = sum(f["outcome"] == "pass" for f in findings)
            verdict = f"**{'FAILED' if blocking else 'PASSED'}** ({passed}/{len(findings)} pass)"
            model = f"{record['model']['name']} {record['model']['version']}"
            blocks = "<br>".join(
                f"`{f['rule_id']}` {f['outcome']}: {why(f)}".replace("|", "\\|") for f in blocking
            )
            warns = ", ".join(f"`{f['rule_id']}`" for f in warnings)
            lines.append(f"| `{pack}` | {model} | {verdict} | {blocks or '—'} | {warns or '—'} |")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_packs_doc_results_are_what_the_gate_finds(records: list[dict[str, Any]]) -> None:
    text = _section(PACKS_DOC.read_text(encoding="utf-8"), "results", results_table(records))
    if os.environ.get("UPDATE_DOCS"):
        PACKS_DOC.write_text(text, encoding="utf-8")
    assert PACKS_DOC.read_text(encoding="utf-8") == text, "regenerate: UPDATE_DOCS=1 pytest"


@pytest.mark.slow
def test_each_pack_judges_the_samples_as_documented(records: list[dict[str, Any]]) -> None:
    # the outcomes docs/packs.md explains in prose, independently of the generated table
    baseline, mitigated, german = (
        {f["rule_id"]: f for f in record["findings"]} for record in records
    )
    # the mitigation equalises selection rates by reading sex and race at decision time
    assert mitigated["four-fifths.selection-rate-ratio"]["outcome"] == "pass"
    assert mitigated["four-fifths.no-group-specific-scoring"]["blocking"]
    assert mitigated["fair-lending.prohibited-basis-not-used"]["blocking"]
    assert (
        mitigated["explainability.sensitive-attribution"]["measured"]
        > (baseline["explainability.sensitive-attribution"]["measured"])
    )
    for record in (baseline, mitigated):
        proxies = record["explainability.potential-proxies"]["evidence"]["features"]
        assert {f["feature"]: f["proxy_of"] for f in proxies if f["potential_proxy"]} == {
            "relationship": ["sex"],
            "marital-status": ["sex"],
            "occupation": ["sex"],
        }
    # the German-credit model does not take sex or age; one input is a potential proxy of age
    assert german["fair-lending.prohibited-basis-not-used"]["outcome"] == "pass"
    proxy = german["fair-lending.proxy-screen"]["evidence"]
    assert proxy["proxies"] == ["housing"]
    # lineage: recorded for the adult models, not for the German-credit one
    for record in (baseline, mitigated):
        lineage = [f for f in record.values() if f["check"].startswith("lineage.")]
        assert lineage and all(f["outcome"] == "pass" for f in lineage)
    assert german["lineage-completeness.training-data-traced"]["outcome"] == "fail"
    assert german["lineage-completeness.no-failed-runs"]["outcome"] == "insufficient"
    # documentation: present where the samples' READMEs have it
    for record in (baseline, mitigated, german):
        assert record["nist-ai-rmf.map-1-1-intended-purpose"]["outcome"] == "pass"
        assert record["eu-ai-act.art14-human-oversight"]["outcome"] == "fail"
    assert mitigated["eu-ai-act.art9-risk-management"]["outcome"] == "pass"
    assert baseline["eu-ai-act.art9-risk-management"]["outcome"] == "fail"


def test_results_section_exists() -> None:
    text = PACKS_DOC.read_text(encoding="utf-8")
    assert "<!-- results -->\n" in text and "<!-- /results -->" in text
    assert Path(__file__).name in text  # the doc says where the table comes from
