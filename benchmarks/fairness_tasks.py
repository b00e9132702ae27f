"""Multiclass and regression fairness: fairlearn's MetricFrame against our counts, same data.

At 1M rows (``--rows``), with a string group column of 4 groups, side by side in one run:

1. Multiclass (4 string classes): accuracy and the macro recall, precision and F1 per group
   and their differences, from ``fairness.metric_difference`` (``average: macro``) vs one
   MetricFrame with scikit-learn's ``accuracy_score`` and ``recall/precision/f1_score(average=
   "macro", labels=every class)``.
2. Regression: MAE, RMSE and R² per group and their differences vs MetricFrame with
   ``mean_absolute_error``, ``root_mean_squared_error`` and ``r2_score``.

Each side gets the data as it reads it: ours the columns as pyarrow arrays (what the Parquet
reader yields), fairlearn the same columns converted to NumPy/pandas before its timing starts.
"Ours" is the real check path from a fresh evaluation context (the string group column is
factorised and multiclass labels are encoded from their strings to class ids inside the
timing, as the data reader does), intervals off. The numbers must be equal (1e-9;
R² to 1e-6, whose sum of squares is rounded differently). Times are CPU seconds of this process
(``time.process_time``): the least of several runs for ours, one run for fairlearn.

Target (DESIGN): at least 100x MetricFrame at 1M rows. Exits 1 if missed.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from fairness import GROUPS, SHARES, cpu, seconds  # noqa: E402

from governance.checks.params import MetricDisparityParams  # noqa: E402
from governance.data import ClassEncoder, EvaluationData  # noqa: E402
from governance.evaluators import fairness  # noqa: E402
from governance.evaluators.context import EvaluationContext  # noqa: E402
from governance.manifest import Manifest, ManifestSpec  # noqa: E402
from governance.model_artifact import Predictions  # noqa: E402
from governance.yaml_source import LocatedDict  # noqa: E402

CLASSES = np.array(["ant", "bee", "cat", "dog"])
OURS_ROUNDS = 5
MULTICLASS = ("accuracy", "recall", "precision", "f1")
REGRESSION = ("mean_absolute_error", "root_mean_squared_error", "r2")


def make_data(rows: int, task: str, seed: int = 0) -> tuple[pd.DataFrame, Any, Any]:
    """A string group column, and targets and predictions of ``task`` biased by group."""
    rng = np.random.default_rng(seed)
    codes = rng.choice(4, size=rows, p=SHARES)
    frame = pd.DataFrame({"group": pd.array(GROUPS[codes], dtype="str")})
    if task == "multiclass":
        truth = rng.choice(4, size=rows, p=[0.4, 0.3, 0.2, 0.1])
        keep = rng.random(rows) < np.array([0.8, 0.75, 0.7, 0.6])[codes]
        guess = np.where(keep, truth, rng.choice(4, size=rows))
        return frame, CLASSES[truth], CLASSES[guess]
    truth = rng.normal(50.0, 10.0, rows)
    guess = truth + rng.normal(np.array([0.0, 0.5, 1.0, -1.0])[codes], 5.0, rows)
    return frame, truth, guess


def context(frame: pd.DataFrame, truth: Any, guess: Any, task: str) -> EvaluationContext:
    """A fresh evaluation context, as the data reader makes it (class ids for multiclass)."""
    data_spec: dict[str, Any] = {
        "path": "data.parquet",
        "target": "y",
        "prediction": "p",
        "task": task,
        "sensitive_features": ["group"],
    }
    spec = ManifestSpec.model_validate(
        {
            "apiVersion": "governance/v1",
            "kind": "Model",
            "metadata": {
                "name": "bench",
                "version": "1.0.0",
                "owner": "o",
                "risk_tier": "high",
                "intended_use": "benchmark",
            },
            "data": data_spec,
        }
    )
    manifest = Manifest(path=Path("m.yaml"), spec=spec, digest="", document=LocatedDict())
    values: tuple[Any, ...] = ()
    if task == "multiclass":
        classes = ClassEncoder()
        truth, _ = classes.encode(truth)
        guess, _ = classes.encode(guess)
        values = tuple(classes.values)
    data = EvaluationData(
        frame=frame, y_true=truth, path=Path("data.parquet"), format="parquet", class_values=values
    )
    predictions = Predictions(y_pred=guess, scores=None, source="column p")
    return EvaluationContext(manifest=manifest, data=data, predictions=predictions)


def ours(frame: pd.DataFrame, truth: Any, guess: Any, task: str) -> dict[str, Any]:
    """The checks' measured differences and per-group values."""
    ctx = context(frame, truth, guess, task)
    names = MULTICLASS if task == "multiclass" else REGRESSION
    found: dict[str, Any] = {"groups": {}}
    for name in names:
        average = "macro" if task == "multiclass" and name != "accuracy" else None
        params = MetricDisparityParams(metric=name, average=average, n_boot=0)
        measurement = fairness.metric_difference(ctx, params)
        found[name] = measurement.value
        for group in measurement.evidence["tables"][0]["groups"]:
            metrics = found["groups"].setdefault(group["label"], {})
            metrics[name] = group["metrics"][name]
    return found


def fairlearn(frame: pd.DataFrame, truth: Any, guess: Any, task: str) -> dict[str, Any]:
    """The same numbers from one MetricFrame with scikit-learn's metrics."""
    import fairlearn.metrics as fm
    from sklearn import metrics as sk

    if task == "multiclass":
        labels = sorted(set(truth) | set(guess))

        def averaged(function: Any) -> Any:
            def measure(y: Any, p: Any) -> float:
                return float(function(y, p, labels=labels, average="macro", zero_division=0))

            return measure

        metrics = {
            "accuracy": sk.accuracy_score,
            "recall": averaged(sk.recall_score),
            "precision": averaged(sk.precision_score),
            "f1": averaged(sk.f1_score),
        }
    else:
        metrics = {
            "mean_absolute_error": sk.mean_absolute_error,
            "root_mean_squared_error": sk.root_mean_squared_error,
            "r2": sk.r2_score,
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = fm.MetricFrame(
            metrics=metrics, y_true=truth, y_pred=guess, sensitive_features=frame["group"]
        )
    difference = mf.difference()
    found: dict[str, Any] = {name: float(difference[name]) for name in metrics}
    found["groups"] = {
        str(label): {k: float(v) for k, v in row.items()} for label, row in mf.by_group.iterrows()
    }
    return found


def equal(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same differences and per-group values (1e-9; R² 1e-6)."""
    for name, value in b.items():
        if name == "groups":
            continue
        tolerance = 1e-6 if name == "r2" else 1e-9
        if not math.isclose(a[name], value, rel_tol=0, abs_tol=tolerance):
            return False
    for label, metrics in b["groups"].items():
        for name, value in metrics.items():
            tolerance = 1e-6 if name == "r2" else 1e-9
            if not math.isclose(a["groups"][label][name], value, rel_tol=0, abs_tol=tolerance):
                return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    lines = []
    missed = []
    for task in ("multiclass", "regression"):
        frame, truth, guess = make_data(args.rows, task)
        read = (pa.array(truth), pa.array(guess)) if task == "multiclass" else (truth, guess)
        peer_time, peer = cpu(lambda: fairlearn(frame, truth, guess, task))  # noqa: B023
        our_time, mine = cpu(lambda: ours(frame, *read, task), OURS_ROUNDS)  # noqa: B023
        same = equal(mine, peer)
        ratio = peer_time / our_time
        lines.append((task, peer_time, our_time, ratio, same))
        missed += [] if ratio >= 100 else [f"{task} {ratio:.0f}x < 100x"]
        missed += [] if same else [f"{task}: results differ"]
    print("| task | rows | fairlearn MetricFrame | ours | ratio | equal |")
    print("|---|---|---|---|---|---|")
    for task, peer_time, our_time, ratio, same in lines:
        print(
            f"| {task} | {args.rows:,} | {seconds(peer_time)} | {seconds(our_time)} | "
            f"{ratio:,.0f}x | {same} |"
        )
    if missed:
        print("targets missed: " + "; ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
