"""A realistic evaluation record (docs/evaluation-record.md) for lineage tests.

One finding per outcome, so every branch of the ``test`` facet mapping is exercised.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


EVALUATION_ID = "019375a2-8a4e-7c3b-9f1e-2b8f6f0c1d2e"

_RECORD: dict[str, Any] = {
    "schema_version": 1,
    "evaluation_id": EVALUATION_ID,
    "started_at": "2026-11-27T14:00:00.123456Z",
    "finished_at": "2026-11-27T14:00:02.654321Z",
    "tool": {"name": "governance", "version": "0.1.0.dev0"},
    "namespace": "governance",
    "model": {
        "name": "adult-income",
        "version": "1.0.0",
        "owner": "credit-ml@example.org",
        "risk_tier": "high",
        "intended_use": "Screening of loan applications; a human makes the decision.",
    },
    "manifest": {"path": "samples/adult-income/baseline.yaml", "digest": digest("manifest")},
    "artifacts": {
        "model": {
            "path": "samples/adult-income/models/baseline.skops",
            "format": "skops",
            "digest": digest("model"),
        },
        "data": {
            "path": "samples/adult-income/data/adult-test.csv.gz",
            "format": "csv",
            "digest": digest("data"),
            "rows": 16281,
            "columns": [
                {"name": "age", "type": "int64"},
                {"name": "workclass", "type": "string"},
                {"name": "sex", "type": "string"},
                {"name": "race", "type": "string"},
                {"name": "income", "type": "string"},
            ],
        },
    },
    "lineage": {
        "training_datasets": [
            {"namespace": "file", "name": "samples/adult-income/data/adult-train.csv.gz"}
        ],
        "code": {"repository": "https://example.org/repo.git", "commit": "abc123"},
    },
    "policies": [
        {
            "name": "fairness-baseline",
            "version": "1.0.0",
            "path": "policies/fairness-baseline.yaml",
            "digest": digest("fairness-baseline"),
        },
        {
            "name": "documentation",
            "version": "2.1.0",
            "path": "policies/documentation.yaml",
            "digest": digest("documentation"),
        },
    ],
    "verdict": "failed",
    "exit_code": 1,
    "summary": {
        "rules": 6,
        "pass": 1,
        "fail": 1,
        "insufficient": 1,
        "error": 1,
        "skipped": 1,
        "waived": 1,
        "blocking": 3,
    },
    "findings": [
        {
            "rule_id": "four-fifths-sex",
            "policy": "fairness-baseline",
            "title": "Selection rate of every sex is at least 80% of the highest",
            "severity": "high",
            "check": "fairness.demographic_parity_ratio",
            "params": {
                "sensitive_features": ["sex"],
                "method": "between_groups",
                "min_group_size": 30,
            },
            "threshold": {"min": 0.8, "max": None},
            "outcome": "fail",
            "blocking": True,
            "measured": 0.3127,
            "message": "0.3127 is below the minimum 0.8",
            "controls": ["US EEOC Uniform Guidelines 29 CFR 1607.4(D)"],
            "remediation": "Mitigate the disparity or justify it.",
            "evidence": {
                "sensitive_features": ["sex"],
                "metrics": ["selection_rate"],
                "overall": {"count": 16281, "selection_rate": 0.19},
                "groups": [
                    {
                        "group": {"sex": "Female"},
                        "label": "Female",
                        "count": 5421,
                        "metrics": {"selection_rate": 0.07},
                    },
                    {
                        "group": {"sex": "Male"},
                        "label": "Male",
                        "count": 10860,
                        "metrics": {"selection_rate": 0.25},
                    },
                ],
            },
        },
        {
            "rule_id": "accuracy-floor",
            "policy": "fairness-baseline",
            "title": "Balanced accuracy is at least 0.75",
            "severity": "critical",
            "check": "performance.balanced_accuracy",
            "params": {},
            "threshold": {"min": 0.75, "max": None},
            "outcome": "pass",
            "blocking": False,
            "measured": 0.7731,
            "message": "0.7731 is at least the minimum 0.75",
            "controls": [],
        },
        {
            "rule_id": "equalized-odds-race",
            "policy": "fairness-baseline",
            "title": "True and false positive rates differ by at most 0.1 across race",
            "severity": "high",
            "check": "fairness.equalized_odds_difference",
            "params": {"sensitive_features": ["race"], "min_group_size": 30},
            "threshold": {"min": None, "max": 0.1},
            "outcome": "insufficient",
            "blocking": True,
            "measured": None,
            "message": "group race=Other has 12 rows, below the minimum 30",
            "controls": [],
        },
        {
            "rule_id": "shap-stability",
            "policy": "fairness-baseline",
            "title": "Feature attributions are stable",
            "severity": "critical",
            "check": "explainability.shap_stability",
            "params": {"samples": 200},
            "threshold": {"min": 0.9, "max": 1.0},
            "outcome": "error",
            "blocking": True,
            "measured": None,
            "message": "the model does not expose predict_proba",
            "controls": [],
        },
        {
            "rule_id": "model-card-present",
            "policy": "documentation",
            "title": "A model card is linked from the manifest",
            "severity": "medium",
            "check": "documentation.model_card",
            "params": {},
            "threshold": None,
            "outcome": "waived",
            "blocking": False,
            "measured": None,
            "message": "waived until 2027-01-31 (approved by risk@example.org)",
            "controls": [],
        },
        {
            "rule_id": "calibration-by-age",
            "policy": "fairness-baseline",
            "title": "Calibration error by age band is at most 0.05",
            "severity": "low",
            "check": "performance.calibration_difference",
            "params": {"sensitive_features": ["age_band"]},
            "threshold": {"min": None, "max": 0.05},
            "outcome": "skipped",
            "blocking": False,
            "measured": None,
            "message": "condition false: 'age_band' in data.columns",
            "controls": [],
        },
    ],
}


def evaluation_record(**overrides: Any) -> dict[str, Any]:
    """Return a fresh copy of the sample record, with top-level fields replaced."""
    record = copy.deepcopy(_RECORD)
    record.update(copy.deepcopy(overrides))
    return record
