"""A synthetic model, its gate evaluation (the baseline) and a production log of 14 days."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import MANIFEST, POLICY, CliRun, synthetic_frame

MONITORED = (
    MANIFEST
    + """
monitoring:
  time_column: ts
  window: 1d
  label_delay: 3d
  min_outcome_rows: 50
"""
)

MONITOR_POLICY = """
apiVersion: governance/v1
kind: Policy
metadata: {name: watch, version: 1.0.0}
rules:
  - id: dp-ratio
    title: Four-fifths, every window
    severity: high
    check: fairness.demographic_parity_ratio
    params: {sensitive_features: [sex]}
    threshold: {min: 0.6}
  - id: accuracy
    title: Accuracy over arrived outcomes
    severity: medium
    check: performance.metric
    params: {metric: accuracy}
    threshold: {min: 0.5}
"""

DAYS = 14
START = pd.Timestamp("2026-03-02T00:00:00Z")


def production_log(
    *, days: int = DAYS, unfair_days: tuple[int, ...] = (), arrived_until: int = DAYS - 3
) -> pd.DataFrame:
    """``days`` days of 300 decisions; on ``unfair_days`` women are never selected; outcomes
    of decisions from day ``arrived_until`` on have not arrived."""
    frame = synthetic_frame(rows=300 * days, seed=11)
    day = np.repeat(np.arange(days), 300)
    seconds = np.random.default_rng(3).uniform(0, 86400, size=len(frame))
    seconds = np.concatenate([np.sort(seconds[day == d]) for d in range(days)])
    stamps = START + pd.to_timedelta(day * 86400 + seconds.astype(int), unit="s")
    frame.insert(0, "ts", stamps.strftime("%Y-%m-%dT%H:%M:%SZ"))
    unfair = np.isin(day, unfair_days) & (frame["sex"] == "female").to_numpy()
    frame.loc[unfair, "prediction"] = "no"
    frame.loc[day >= arrived_until, "label"] = None
    return frame


def entries(db: Path, kind: str | None = None) -> int:
    """Entries in the store (of ``kind``)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        if kind is None:
            return int(conn.execute("select count(*) from audit_log").fetchone()[0])
        query = "select count(*) from audit_log where kind = ?"
        return int(conn.execute(query, (kind,)).fetchone()[0])


@dataclass(frozen=True)
class Deployed:
    """A checked model: its manifest, the monitor's policy, the store, the log's path."""

    folder: Path
    manifest: Path
    policy: Path
    db: Path
    log: Path

    @property
    def store(self) -> str:
        return f"sqlite:///{self.db}"

    def write_log(self, frame: pd.DataFrame, name: str = "log.csv") -> Path:
        path = self.folder / name
        frame.to_csv(path, index=False)
        return path

    def args(self, *extra: object) -> list[object]:
        """``monitor`` arguments on this deployment, then ``extra``."""
        return [
            "monitor",
            self.manifest,
            "-p",
            self.policy,
            "--log",
            self.log,
            "--store",
            self.store,
            *extra,
        ]


@pytest.fixture
def deployed(tmp_path: Path, run_cli: CliRun, write: Callable[[str, str], Path]) -> Deployed:
    """The synthetic model checked by the gate (the baseline), and a fair 14-day log."""
    synthetic_frame().to_csv(tmp_path / "data.csv", index=False)
    manifest = write("manifest.yaml", MONITORED)
    gate_policy = write("gate.yaml", POLICY)
    policy = write("watch.yaml", MONITOR_POLICY)
    db = tmp_path / "audit.db"
    result = run_cli("check", manifest, "-p", gate_policy, "--store", f"sqlite:///{db}")
    assert result.exit_code == 0, result.stdout + result.stderr
    deployment = Deployed(tmp_path, manifest, policy, db, tmp_path / "log.csv")
    deployment.write_log(production_log())
    return deployment
