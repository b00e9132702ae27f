"""A whole `governance check` against a plain fairlearn script, on the same 1M-row CSV.

Both are whole processes, timed from the outside: interpreter start, imports, reading the CSV,
the metrics, and (ours) loading manifest and policy, recording the evaluation in a SQLite audit
store and printing the verdict. The data is generated into a temporary folder (no downloads):
a CSV of ``--rows`` rows with two numeric features, a string group column of 4 groups, a 0/1
label and a 0/1 predictions column. The policy has 4 fairness rules on the group column
(demographic parity difference and ratio, equalized odds difference and ratio, default
parameters: 1,000-resample intervals); the plain script is what a user would write for the same
4 numbers: ``pandas.read_csv`` and the four fairlearn functions. Both results are compared
(to 1e-9) before anything is timed.

The two commands run in turn, in an order that alternates every round (ours, plain, plain,
ours, ...), after one warm-up each (file cache, the store created): ``--rounds`` runs of each.
Each run's wall time is a monotonic clock around the child; its CPU (user + system) and peak
RSS are the kernel's accounting of the finished child (``os.wait4``). The table gives the
median and the spread (min - max) of each, and the ratio ours / plain as the median of the
per-round ratios, so drift of the machine's speed hits both alike. The load average before and
after is printed: on a shared machine the medians measure the neighbours too.

Targets: ratio at most 0.1, and ``governance check`` of 1M rows under 1.5 s (median wall).
Exits 1 if a target is missed, 2 if the results differ.

``--keep DIR`` writes the files into DIR and keeps them (to profile ``governance check`` by
hand); ``--rounds`` sets the runs of each (default 7).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GROUPS = ["group_a", "group_b", "group_c", "group_d"]
SHARES = [0.4, 0.3, 0.2, 0.1]
RATIO_TARGET = 0.1
SECONDS_TARGET = 1.5
RULES = {
    "dp": "fairness.demographic_parity_difference",
    "dpr": "fairness.demographic_parity_ratio",
    "eo": "fairness.equalized_odds_difference",
    "eor": "fairness.equalized_odds_ratio",
}

MANIFEST = """
apiVersion: governance/v1
kind: Model
metadata: {name: bench, version: 1.0.0, owner: bench, risk_tier: high, intended_use: benchmark}
data:
  path: data.csv
  target: label
  positive_label: 1
  prediction: prediction
  sensitive_features: [group]
"""
POLICY = """
apiVersion: governance/v1
kind: Policy
metadata: {name: bench, version: 1.0.0}
rules:
  - {id: dp, title: DP difference, severity: high,
     check: fairness.demographic_parity_difference, threshold: {max: 1}}
  - {id: dpr, title: DP ratio, severity: high,
     check: fairness.demographic_parity_ratio, threshold: {min: 0}}
  - {id: eo, title: EO difference, severity: high,
     check: fairness.equalized_odds_difference, threshold: {max: 1}}
  - {id: eor, title: EO ratio, severity: high,
     check: fairness.equalized_odds_ratio, threshold: {min: 0}}
"""
# What a user writes to get the same four numbers with fairlearn.
PLAIN = '''
"""Demographic parity and equalized odds (difference and ratio) of data.csv, with fairlearn."""
import json
import sys

import pandas as pd
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
)

data = pd.read_csv(sys.argv[1])
y_true, y_pred, groups = data["label"] == 1, data["prediction"] == 1, data["group"]
results = {
    "dp": demographic_parity_difference(y_true, y_pred, sensitive_features=groups),
    "dpr": demographic_parity_ratio(y_true, y_pred, sensitive_features=groups),
    "eo": equalized_odds_difference(y_true, y_pred, sensitive_features=groups),
    "eor": equalized_odds_ratio(y_true, y_pred, sensitive_features=groups),
}
print(json.dumps({name: float(value) for name, value in results.items()}))
'''


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """``rows`` rows: age, income, group (4 groups), label, prediction biased by group."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    codes = rng.choice(4, size=rows, p=SHARES)
    label = (rng.random(rows) < 0.3).astype(np.int8)
    rate = np.array([0.35, 0.3, 0.25, 0.2])[codes]
    prediction = np.where(rng.random(rows) < 0.7, label, rng.random(rows) < rate).astype(np.int8)
    table = pa.table(
        {
            "age": rng.integers(18, 90, size=rows),
            "income": np.round(rng.lognormal(10, 0.5, size=rows), 2),
            "group": pa.DictionaryArray.from_arrays(codes.astype(np.int32), GROUPS).cast(
                pa.string()
            ),
            "label": label,
            "prediction": prediction,
        }
    )
    pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="none"))


def write_inputs(root: Path, rows: int) -> None:
    """The CSV, manifest, policy and the plain script in ``root``."""
    write_csv(root / "data.csv", rows)
    (root / "manifest.yaml").write_text(textwrap.dedent(MANIFEST))
    (root / "policy.yaml").write_text(textwrap.dedent(POLICY))
    (root / "plain_fairlearn.py").write_text(textwrap.dedent(PLAIN).lstrip())


def commands(root: Path) -> dict[str, list[str]]:
    """Ours and the plain script, each writing its results to a file in ``root``."""
    ours = [
        str(BIN / "governance"),
        "check",
        str(root / "manifest.yaml"),
        "--policy",
        str(root / "policy.yaml"),
        "--store",
        f"sqlite:///{root / 'audit.db'}",
        "--format",
        f"json={root / 'ours.json'}",
    ]
    plain = [sys.executable, str(root / "plain_fairlearn.py"), str(root / "data.csv")]
    return {"ours": ours, "plain": plain}


@dataclass(frozen=True)
class Run:
    """One finished child: wall and CPU seconds, peak RSS in bytes, exit code."""

    wall: float
    cpu: float
    peak: int
    code: int


def run(command: list[str], root: Path, out: Path) -> Run:
    """Run ``command`` to its end; its own accounting from ``os.wait4``."""
    with out.open("wb") as stdout:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=root, stdout=stdout, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, child.returncode)


def same_results(root: Path) -> tuple[bool, str]:
    """Whether ours (the JSON output's measured values) equals the plain script's, to 1e-9."""
    theirs = json.loads((root / "plain.out").read_text())
    record = json.loads((root / "ours.json").read_text())
    mine = {finding["rule_id"]: finding["measured"] for finding in record["findings"]}
    shown = ", ".join(f"{name} {mine.get(name)} / {theirs[name]:.6f}" for name in RULES)
    equal = all(
        mine.get(name) is not None
        and math.isclose(float(mine[name]), theirs[name], rel_tol=0, abs_tol=1e-9)
        for name in RULES
    )
    return equal, shown


def measure(root: Path, rounds: int) -> dict[str, list[Run]]:
    """``rounds`` runs of each command, alternating which goes first; one warm-up each."""
    todo = commands(root)
    runs: dict[str, list[Run]] = {name: [] for name in todo}
    for name, command in todo.items():
        warm = run(command, root, root / f"{name}.out")
        if warm.code != 0:
            raise SystemExit(f"{name} exited {warm.code}: {' '.join(command)}")
    for index in range(rounds):
        order = list(todo) if index % 2 == 0 else list(reversed(todo))
        for name in order:
            runs[name].append(run(todo[name], root, root / f"{name}.out"))
    return runs


def spread(values: list[float], unit: str = "s") -> str:
    median = statistics.median(values)
    if unit == "MiB":
        return f"{median:,.0f} MiB ({min(values):,.0f} - {max(values):,.0f})"
    return f"{median:.2f} s ({min(values):.2f} - {max(values):.2f})"


def table(runs: dict[str, list[Run]], rows: int) -> list[tuple[str, ...]]:
    ratios = [o.wall / p.wall for o, p in zip(runs["ours"], runs["plain"], strict=True)]
    cpu = [o.cpu / p.cpu for o, p in zip(runs["ours"], runs["plain"], strict=True)]
    lines: list[tuple[str, ...]] = []
    labels = {"ours": "governance check (store, json output)", "plain": "plain fairlearn script"}
    for name, label in labels.items():
        lines.append(
            (
                label,
                f"{rows:,}",
                spread([r.wall for r in runs[name]]),
                spread([r.cpu for r in runs[name]]),
                spread([r.peak / 2**20 for r in runs[name]], "MiB"),
            )
        )
    lines.append(
        (
            "ratio ours / plain (median of rounds)",
            "",
            f"{statistics.median(ratios):.3f} ({min(ratios):.3f} - {max(ratios):.3f})",
            f"{statistics.median(cpu):.3f}",
            "",
        )
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="whole-process-bench-") as folder:
        root = args.keep or Path(folder)
        root.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        write_inputs(root, args.rows)
        size = (root / "data.csv").stat().st_size
        print(f"  ({size / 2**20:.0f} MiB CSV written in {time.perf_counter() - started:.1f} s)")
        load_before = os.getloadavg()
        runs = measure(root, args.rounds)
        load_after = os.getloadavg()
        equal, shown = same_results(root)
    header = ("measure", "rows", "wall: median (min - max)", "CPU user+sys", "peak RSS")
    lines = [header, *table(runs, args.rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in [lines[0], tuple("-" * w for w in widths), *lines[1:]]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |")
    print(
        f"\n{args.rounds} runs each, alternating; load average (1 min) {load_before[0]:.2f} "
        f"before, {load_after[0]:.2f} after, on {os.cpu_count()} cores"
    )
    print(f"results (ours / fairlearn): {shown}")
    ratio = statistics.median(
        o.wall / p.wall for o, p in zip(runs["ours"], runs["plain"], strict=True)
    )
    ours = statistics.median(r.wall for r in runs["ours"])
    targets = [
        ("identical results (1e-9)", equal),
        (f"ratio at most {RATIO_TARGET} ({ratio:.3f})", ratio <= RATIO_TARGET),
        (
            f"governance check of {args.rows:,} rows under {SECONDS_TARGET} s ({ours:.2f} s)",
            ours < SECONDS_TARGET,
        ),
    ]
    for text, met in targets:
        print(f"{'MET ' if met else 'MISS'}  {text}")
    if not equal:
        return 2
    return 0 if all(met for _, met in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
