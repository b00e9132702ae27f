"""Build ``record.json``, the realistic record the format tests render, from a real check.

Run ``.venv/bin/python -m tests.reporting.formats.build_record`` to rebuild it (then review the
diff and regenerate the golden files and the examples in docs/outputs.md:
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/reporting/formats``). test_fixture_record.py fails when
the record a check writes today differs from this file.

The check runs ``governance check --format json`` on the synthetic data of tests/conftest.py with
POLICY below: one rule per kind of finding (blocking fail, warning, waived, expired waiver,
insufficient, error, skipped, pass) and text that every format must escape. Volatile fields
(ids, times, absolute paths) are replaced by fixed values so the fixture is stable.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from tests.conftest import MANIFEST, synthetic_frame

HERE = Path(__file__).parent
RECORD = HERE / "record.json"

POLICY = """
apiVersion: governance/v1
kind: Policy
metadata:
  name: lending-fairness
  version: 2.1.0
rules:
  - id: four-fifths-sex
    title: "Selection rate ratio | sex (<80% flags, see `29 CFR 1607.4`)"
    severity: high
    check: fairness.demographic_parity_ratio
    params: {sensitive_features: [sex]}
    threshold: {min: 0.9}
    controls: ["US EEOC Uniform Guidelines 29 CFR 1607.4(D)", "EU AI Act Art. 10(2)(f)"]
    remediation: |-
      Mitigate the disparity (reweighing, threshold optimisation) and re-run the check.
      Escalate to @model-risk if it persists: 100% of reviews need sign-off.
  - id: accuracy-floor
    title: Accuracy is at least 0.8
    severity: medium
    check: performance.metric
    params: {metric: accuracy}
    threshold: {min: 0.8}
    controls: ["EU AI Act Art. 15(1)"]
    remediation: Retrain with more data.
  - id: parity-difference-group
    title: Selection rate difference between groups
    severity: high
    check: fairness.demographic_parity_difference
    params: {sensitive_features: [group]}
    threshold: {max: 0.01}
    controls: ["NIST AI RMF MEASURE 2.11"]
    remediation: Investigate the groups' selection rates.
  - id: equalized-odds-sex
    title: Equalized odds difference by sex
    severity: critical
    check: fairness.equalized_odds_difference
    params: {sensitive_features: [sex]}
    threshold: {max: 0.01}
    controls: ["ISO/IEC 42001 A.7.4"]
    remediation: Post-process with equalized-odds threshold optimisation.
  - id: intersectional-groups
    title: Every sex × group intersection has enough rows
    severity: low
    check: fairness.demographic_parity_ratio
    params: {sensitive_features: [sex, group], min_group_size: 500}
    threshold: {min: 0.8}
    remediation: Collect more evaluation data for small groups.
  - id: recall-by-group
    title: Recall of the worst group, by assertion
    severity: high
    check: performance.metric
    params: {metric: recall}
    assert: evidence.per_group.worst >= 0.5
    controls: ["EU AI Act Art. 15(1)"]
  - id: minimal-risk-only
    title: Only for minimal-risk models
    severity: medium
    check: performance.metric
    params: {metric: precision}
    threshold: {min: 0.5}
    when: model.risk_tier == "minimal"
  - id: balanced-accuracy
    title: Balanced accuracy is at least 0.6
    severity: high
    check: performance.metric
    params: {metric: balanced_accuracy}
    threshold: {min: 0.6}
    controls: ["EU AI Act Art. 15(1)"]
waivers:
  - rule_id: parity-difference-group
    subject: {model: synthetic, version: 0.1.0}
    justification: "Group c is a pilot region | reviewed <quarterly> by @fairness-board"
    approved_by: Jane Doe (Head of Model Risk)
    ticket: RISK-1234
    expires: 2099-12-31
  - rule_id: equalized-odds-sex
    subject: {model: synthetic}
    justification: Accepted until the Q1 retraining.
    approved_by: John Roe
    ticket: RISK-999
    expires: 2020-01-31
  - rule_id: balanced-accuracy
    subject: {model: synthetic}
    justification: Left over from the previous model version.
    approved_by: Jane Doe
    ticket: RISK-1000
    expires: 2099-06-30
"""

FIXED = {
    "evaluation_id": "019375a2-8a4e-7c3b-9f1e-2b8f6f0c1d2e",
    "started_at": "2026-11-27T14:00:00.123456Z",
    "finished_at": "2026-11-27T14:00:02.654321Z",
}


def _normalise(record: dict[str, Any], folder: Path) -> dict[str, Any]:
    text = json.dumps(record, ensure_ascii=False)
    text = text.replace(str(folder) + "/", "").replace(str(folder), ".")
    record = json.loads(text)
    record.update(FIXED)
    record["tool"]["version"] = "0.1.0"
    for finding in record["findings"]:
        finding["charts"] = [
            {"title": chart["title"], "svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"}
            for chart in finding.get("charts", [])
        ]
    return record


def build() -> dict[str, Any]:
    """Run the real check and return the normalised record."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        synthetic_frame().to_csv(folder / "data.csv", index=False)
        (folder / "manifest.yaml").write_text(textwrap.dedent(MANIFEST).lstrip(), "utf-8")
        (folder / "policies").mkdir()
        (folder / "policies" / "lending-fairness.yaml").write_text(POLICY.lstrip(), "utf-8")
        command = [
            sys.executable,
            "-m",
            "governance",
            "check",
            "manifest.yaml",
            "--policy",
            "policies/lending-fairness.yaml",
            "--store",
            "sqlite:///audit.db",
            "--format",
            "json",
        ]
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):
            raise SystemExit(f"check failed ({done.returncode}): {done.stderr}")
        return _normalise(json.loads(done.stdout), folder)


def main() -> None:
    """Rewrite record.json."""
    record = build()
    RECORD.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RECORD}: {record['summary']}")


if __name__ == "__main__":
    main()
