"""`governance monitor` over a year of daily windows: time and peak memory, first run and re-run.

A synthetic decision log (time, sex, race, age, hours, decision, score, outcome; outcomes arrive
30 days after the decision, so the last month has none) of N rows over 365 days is written as
Parquet, one row group per day, with a reference file of 20,000 rows. The gate records the
baseline, then the monitor runs as the CLI does (a child process), twice: the first run
evaluates and records 365 windows under a policy of drift (PSI of two features and the score
within each sex), demographic parity, a sequential selection-rate gap and accuracy over arrived
outcomes; the second finds every window recorded and records nothing. Printed: wall time,
windows per second and the child's peak RSS for each.

    python benchmarks/monitor.py                    # 1,000,000 rows
    python benchmarks/monitor.py --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DAYS = 365
START = np.datetime64("2025-01-01T00:00:00", "s")
MANIFEST = """
apiVersion: governance/v1
kind: Model
metadata: {name: bench, version: 1.0.0, owner: bench@example.org, risk_tier: high,
           intended_use: Benchmark.}
data:
  path: reference.parquet
  target: outcome
  positive_label: 1
  prediction: prediction
  score: score
  features: [age, hours]
  sensitive_features: [sex, race]
monitoring: {time_column: ts, window: 1d, label_delay: 30d}
"""
POLICY = """
apiVersion: governance/v1
kind: Policy
metadata: {name: bench-watch, version: 1.0.0}
rules:
  - id: drift
    title: No drift within either sex
    severity: high
    check: drift.psi
    params: {features: [age, hours], sensitive_features: [sex]}
    threshold: {max: 0.25}
  - id: parity
    title: Four-fifths by sex
    severity: high
    check: fairness.demographic_parity_ratio
    params: {sensitive_features: [sex], n_boot: 0}
    threshold: {min: 0.8}
  - id: gap
    title: Selection-rate gap by race, anytime-valid
    severity: high
    check: fairness.demographic_parity_difference
    params: {sensitive_features: [race], sequential: true, small_groups: leave_out}
    threshold: {max: 0.2}
  - id: accuracy
    title: Accuracy over arrived outcomes
    severity: medium
    check: performance.metric
    params: {metric: accuracy, n_boot: 0}
    threshold: {min: 0.6}
"""
GATE_POLICY = """
apiVersion: governance/v1
kind: Policy
metadata: {name: bench-gate, version: 1.0.0}
rules:
  - id: parity
    title: Four-fifths by sex
    severity: high
    check: fairness.demographic_parity_ratio
    params: {sensitive_features: [sex], n_boot: 0}
    threshold: {min: 0.8}
"""


def _rows(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    sex = rng.choice(np.array(["female", "male"]), n)
    race = rng.choice(np.array(["a", "b", "c", "d"]), n, p=[0.6, 0.2, 0.15, 0.05])
    age = rng.integers(18, 80, n)
    hours = np.clip(rng.normal(40, 10, n).round(), 1, 99).astype(np.int64)
    score = np.clip(rng.beta(2, 5, n) + (hours - 40) / 200, 0, 1)
    outcome = (rng.random(n) < score).astype(np.int64)
    prediction = (score > 0.4).astype(np.int64)
    return {"sex": sex, "race": race, "age": age, "hours": hours, "prediction": prediction,
            "score": score.round(6), "outcome": outcome}  # fmt: skip


def write_inputs(folder: Path, rows: int) -> None:
    """The reference, and the log as one Parquet file of one row group per day."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(1)
    pq.write_table(pa.table(_rows(rng, 20_000)), folder / "reference.parquet")
    per_day = np.full(DAYS, rows // DAYS)
    per_day[: rows % DAYS] += 1
    end = START + np.timedelta64(DAYS, "D")
    writer = None
    for day, count in enumerate(per_day):
        columns = _rows(rng, int(count))
        seconds = np.sort(rng.integers(0, 86400, int(count)))
        ts = START + np.timedelta64(day, "D") + seconds.astype("timedelta64[s]")
        arrived = ts + np.timedelta64(30, "D") <= end
        outcome = pa.array(columns.pop("outcome"), mask=~arrived)
        table = pa.table({"ts": pa.array(ts, pa.timestamp("s", tz="UTC")), **columns,
                          "outcome": outcome})  # fmt: skip
        if writer is None:
            writer = pq.ParquetWriter(folder / "log.parquet", table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def _governance(*args: str, cwd: Path) -> tuple[float, int, str]:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "governance", *args], cwd=cwd, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise SystemExit(f"governance {args[0]} failed ({done.returncode}): {done.stderr}")
    return seconds, done.returncode, done.stdout


def _peak_child_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="governance-bench-monitor-") as name:
        folder = Path(name)
        began = time.perf_counter()
        write_inputs(folder, args.rows)
        generated = time.perf_counter() - began
        (folder / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
        (folder / "watch.yaml").write_text(POLICY, encoding="utf-8")
        (folder / "gate.yaml").write_text(GATE_POLICY, encoding="utf-8")
        store = f"sqlite:///{folder / 'audit.db'}"
        _governance("check", "manifest.yaml", "-p", "gate.yaml", "--store", store, cwd=folder)
        gate_rss = _peak_child_mib()
        monitor = ("monitor", "manifest.yaml", "-p", "watch.yaml", "--log", "log.parquet",
                   "--store", store, "--format", "json")  # fmt: skip
        first, code, out = _governance(*monitor, cwd=folder)
        first_rss = _peak_child_mib()
        windows = json.loads(out)["windows"]
        failed = sum(w["verdict"] != "passed" for w in windows)
        again, _, out = _governance(*monitor, cwd=folder)
        recorded = sum(w["status"] != "unchanged" for w in json.loads(out)["windows"])
        size = (folder / "log.parquet").stat().st_size / 2**20
    print(f"log: {args.rows:,} rows over {DAYS} days, Parquet {size:.0f} MiB (written in "
          f"{generated:.1f} s); gate child peak RSS {gate_rss:.0f} MiB")  # fmt: skip
    print("| run | windows | wall time | windows/s | rows/s | peak RSS (max so far) |")
    print("|---|---|---|---|---|---|")
    print(f"| first: evaluate and record | {len(windows)} ({failed} failed, exit {code}) | "
          f"{first:.1f} s | {len(windows) / first:.1f} | {args.rows / first:,.0f} | "
          f"{first_rss:.0f} MiB |")  # fmt: skip
    peak = _peak_child_mib()
    print(f"| re-run: nothing new ({recorded} recorded) | {len(windows)} | {again:.1f} s | "
          f"{len(windows) / again:.1f} | {args.rows / again:,.0f} | {peak:.0f} MiB |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
