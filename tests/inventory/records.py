"""Evaluation records of several models, appended to a store as the gate and monitor append them."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.audit import AuditStore
from governance.config import RequiredPolicies, Settings
from governance.lineage import complete_event, start_event

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "reporting" / "evaluation.json"
REQUIRED = Settings(required_policies=RequiredPolicies(by_tier=(("high", ("eu-ai-act",)),)))
"""Settings requiring the policy ``eu-ai-act`` of every high-risk model."""


def policy(name: str, version: str = "1.0.0") -> dict[str, Any]:
    """A policy reference as the record keeps it."""
    digest = "sha256:" + (name.encode().hex() + version.encode().hex()).ljust(64, "0")[:64]
    return {"name": name, "version": version, "path": f"policies/{name}.yaml", "digest": digest}


def record(
    model: str,
    version: str,
    *,
    verdict: str = "passed",
    policies: tuple[str, ...] = ("fairness-baseline", "eu-ai-act"),
    finished_at: str = "2026-11-27T14:00:02Z",
    waivers: list[dict[str, Any]] | None = None,
    monitoring: dict[str, Any] | None = None,
    measured: float | None = None,
    outcome: str | None = None,
    documentation: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The fixture record as another model version's evaluation."""
    base = copy.deepcopy(json.loads(FIXTURE.read_text(encoding="utf-8")))
    base["evaluation_id"] = str(uuid.uuid4())
    base["model"] = {**base["model"], "name": model, "version": version}
    base["verdict"] = verdict
    base["exit_code"] = 0 if verdict == "passed" else 1
    base["finished_at"] = finished_at
    base["policies"] = [policy(name) for name in policies]
    if measured is not None:
        base["findings"][0]["measured"] = measured
    if outcome is not None:
        base["findings"][0]["outcome"] = outcome
    if waivers is not None:
        base["waivers"] = waivers
    if monitoring is not None:
        base["monitoring"] = monitoring
    if documentation is not None:
        base["documentation"] = documentation
    base.update(extra)
    return base


def waiver(model: str, rule: str, expires: str, status: str = "applied") -> dict[str, Any]:
    """A waiver of ``rule`` for ``model`` as the record keeps it."""
    return {
        "rule_id": rule,
        "subject": {"model": model},
        "justification": "Accepted while the retraining lands.",
        "approved_by": "risk-office@example.org",
        "ticket": "RISK-1",
        "expires": expires,
        "status": status,
    }


def window(baseline: dict[str, Any], verdict: str, start: str, end: str) -> dict[str, Any]:
    """A monitored window of ``baseline``, as ``governance monitor`` records it."""
    model = baseline["model"]
    return record(
        model["name"],
        model["version"],
        verdict=verdict,
        monitoring={
            "baseline": baseline["evaluation_id"],
            "log": "production.csv",
            "time_column": "ts",
            "window": "7d",
            "index": 0,
            "window_start": start,
            "window_end": end,
            "rows": 500,
            "rows_with_outcome": 400,
            "key": "sha256:" + uuid.uuid4().hex * 2,
        },
    )


@dataclass
class Seeded:
    """A store holding passed, failed, incomplete, waived and monitored model versions."""

    url: str
    records: dict[str, dict[str, Any]]


def append(store: AuditStore, item: dict[str, Any]) -> None:
    """Append an evaluation as the gate does: START event, record, COMPLETE event."""
    store.append_events([start_event(item)])
    store.append("evaluation", item)
    store.append_events([complete_event(item)])


def seed(path: Path) -> Seeded:
    """Append the evaluations and windows of the inventory tests to a new store at ``path``."""
    url = f"sqlite:///{path}"
    records = {
        "credit-1": record("credit", "1.0.0", verdict="passed", measured=0.62, outcome="fail"),
        "credit-2": record(
            "credit",
            "2.0.0",
            verdict="failed",
            measured=0.91,
            outcome="pass",
            policies=("fairness-baseline", "eu-ai-act", "explainability"),
        ),
        "churn": record("churn", "1.0.0", verdict="passed", policies=("fairness-baseline",)),
        "fraud": record(
            "fraud",
            "3.1.0",
            waivers=[
                waiver("fraud", "demographic-parity", "2099-12-31"),
                waiver("fraud", "equalized-odds", "2020-01-31", status="expired"),
                waiver("other-model", "accuracy", "2099-12-31", status="unmatched"),
            ],
            registry={"name": "fraud", "version": 7, "uri": "models:/fraud/7"},
        ),
    }
    with AuditStore.open(url) as store:
        for item in records.values():
            append(store, item)
        early = window(
            records["credit-1"], "passed", "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z"
        )
        late = window(records["credit-1"], "failed", "2026-12-08T00:00:00Z", "2026-12-15T00:00:00Z")
        for item in (late, early):  # appended out of time order: the later window still wins
            store.append("evaluation", item)
        records["window"] = late
        store.append(
            "report",
            {
                "evaluation_id": records["credit-2"]["evaluation_id"],
                "path": "reports/credit-2.pdf",
                "digest": "sha256:" + "ab" * 32,
                "signed": True,
                "signer": "CN=Validator",
                "dev_key": False,
                "timestamped": False,
                "attestation": None,
                "checkpoint": None,
            },
        )
    return Seeded(url, records)
