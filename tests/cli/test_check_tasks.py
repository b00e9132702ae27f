"""`governance check` of multiclass and regression models: verdicts, and bad input (exit 2).

Each bad input is one line naming the file and field, exit code 2, and nothing recorded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.cli.conftest import Run
from tests.cli.test_check import store_entries
from tests.conftest import BASELINE_POLICY

POLICIES = Path(__file__).parents[1] / "fixtures" / "tasks"
MANIFEST = """\
apiVersion: governance/v1
kind: Model
metadata:
  name: tasks
  version: 0.1.0
  owner: o@example.org
  risk_tier: high
  intended_use: Tests.
data:
  path: data.csv
{extra}  target: label
  prediction: prediction
  sensitive_features: [sex, race]
"""


def write_case(folder: Path, task: str | None, frame: pd.DataFrame, extra: str = "") -> Path:
    frame.to_csv(folder / "data.csv", index=False)
    lines = (f"  task: {task}\n" if task else "") + extra
    path = folder / "manifest.yaml"
    path.write_text(MANIFEST.format(extra=lines), encoding="utf-8")
    return path


def multiclass_frame(rows: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.choice(["low", "mid", "high", "top"], rows, p=[0.4, 0.3, 0.2, 0.1])
    return pd.DataFrame(
        {
            "sex": rng.choice(["female", "male"], rows),
            "race": rng.choice(["a", "b"], rows),
            "label": truth,
            "prediction": np.where(rng.random(rows) < 0.7, truth, rng.choice(["low", "mid"], rows)),
        }
    )


def regression_frame(rows: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.normal(50, 10, rows)
    sex = rng.choice(["female", "male"], rows)
    return pd.DataFrame(
        {
            "sex": sex,
            "race": rng.choice(["a", "b"], rows),
            "label": truth,
            "prediction": truth + rng.normal(0, 3, rows) + (sex == "male") * 4.0,
        }
    )


def check(run: Run, manifest: Path, policy: Path, tmp_path: Path, *more: str) -> tuple:
    db = tmp_path / "audit.db"
    result = run("check", manifest, "-p", policy, "--store", f"sqlite:///{db}", *more)
    return result, store_entries(db)


def test_a_multiclass_model_is_judged_per_class_and_on_averages(run: Run, tmp_path: Path) -> None:
    manifest = write_case(tmp_path, "multiclass", multiclass_frame())
    result, _ = check(
        run, manifest, POLICIES / "multiclass-policy.yaml", tmp_path, "--format", "json"
    )
    assert result.exit_code in (0, 1), result.stderr
    findings = {f["rule_id"]: f for f in json.loads(result.stdout)["findings"]}
    per_class = findings["selection-parity-per-class"]["evidence"]
    views = [table["view"] for table in per_class["tables"]]
    assert views == [f"class {c}" for c in ("high", "low", "mid", "top")] * 2  # sex, race
    points = [table["point"] for table in per_class["tables"]]
    assert findings["selection-parity-per-class"]["measured"] == pytest.approx(max(points))
    rare = findings["recall-of-rare-classes"]["evidence"]
    assert set(rare["per_class"]) == {"class high", "class top"}
    assert rare["class"] in rare["per_class"]
    table = findings["accuracy"]["evidence"]
    assert table["overall"] == pytest.approx(0.0) or 0.5 < table["overall"] < 1


def test_a_regression_model_fails_on_a_biased_residual(run: Run, tmp_path: Path) -> None:
    manifest = write_case(tmp_path, "regression", regression_frame())
    result, entries = check(
        run, manifest, POLICIES / "regression-policy.yaml", tmp_path, "--format", "json"
    )
    assert result.exit_code == 1, result.stderr
    findings = {f["rule_id"]: f for f in json.loads(result.stdout)["findings"]}
    assert findings["over-prediction-gap"]["outcome"] == "fail"
    assert 3.0 < findings["over-prediction-gap"]["measured"] < 5.0
    evidence = findings["mae-gap"]["evidence"]
    assert evidence["bootstrap"]["scheme"].startswith("normal approximation")
    group = evidence["tables"][0]["groups"][0]
    assert sum(rows for _, _, rows in group["residuals"]) == group["count"]
    assert entries == 3


THREE_LABELS = (
    "data.csv: label: target column 'label' has 4 labels; a binary task needs two "
    "(set data.task: multiclass for more)"
)


def test_bad_input_is_one_line_and_exit_2(run: Run, tmp_path: Path) -> None:
    cases = {
        "binary target with four labels": (
            None,
            multiclass_frame(),
            '  positive_label: "top"\n',
            "baseline",
            THREE_LABELS,
        ),
        "regression target that is text": (
            "regression",
            multiclass_frame(),
            "",
            "regression",
            "data.csv: label: target column 'label' is string, not numbers: a regression "
            "target holds numbers",
        ),
        "binary-only check on regression": (
            "regression",
            regression_frame(),
            "",
            "calibration",
            "check: rule calibration: fairness.calibration_gap is not defined for a "
            "regression task (binary tasks only)",
        ),
        "classification check on regression": (
            "regression",
            regression_frame(),
            "",
            "multiclass",
            "check: rule selection-parity-per-class: fairness.demographic_parity_difference "
            "is not defined for a regression task: use fairness.metric_difference or "
            "metric_ratio with a regression metric",
        ),
        "score metric on multiclass": (
            "multiclass",
            multiclass_frame(),
            "",
            "roc_auc",
            "params.metric: rule auc: metric roc_auc is not defined for a multiclass task",
        ),
        "average on a binary task": (
            None,
            multiclass_frame().assign(
                label=lambda f: f.label == "top", prediction=lambda f: f.prediction == "top"
            ),
            "  positive_label: true\n",
            "multiclass",
            "params.average: rule selection-parity-per-class: average goes with data.task "
            "multiclass (the task is binary)",
        ),
        "positive_label on multiclass": (
            "multiclass",
            multiclass_frame(),
            '  positive_label: "top"\n',
            "multiclass",
            "manifest.yaml:10:3: data: positive_label goes with data.task binary, not multiclass",
        ),
        "class the target lacks": (
            "multiclass",
            multiclass_frame().replace({"label": {"top": "mid"}, "prediction": {"top": "mid"}}),
            "",
            "multiclass",
            "params.classes: rule recall-of-rare-classes: class 'top' is not a label of the "
            "target (3 labels)",
        ),
    }
    extra_policies = {
        "calibration": "fairness.calibration_gap\n    threshold: {max: 0.1}",
        "roc_auc": "performance.metric\n    params: {metric: roc_auc}\n    threshold: {min: 0.5}",
    }
    for name, (task, frame, extra, policy_name, expected) in cases.items():
        folder = tmp_path / name.replace(" ", "-")
        folder.mkdir()
        manifest = write_case(folder, task, frame, extra)
        if policy_name in extra_policies:
            rule_id = "calibration" if policy_name == "calibration" else "auc"
            policy = folder / "policy.yaml"
            policy.write_text(
                "apiVersion: governance/v1\nkind: Policy\nmetadata: {name: p, version: 1.0.0}\n"
                f"rules:\n  - id: {rule_id}\n    title: t\n    severity: high\n"
                f"    check: {extra_policies[policy_name]}\n",
                encoding="utf-8",
            )
        elif policy_name == "baseline":
            policy = BASELINE_POLICY
        else:
            policy = POLICIES / f"{policy_name}-policy.yaml"
        result, entries = check(run, manifest, policy, folder)
        assert result.exit_code == 2, (name, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (name, lines)
        assert expected in lines[0], (name, lines[0])
        assert entries == 0, name


def test_a_multiclass_prediction_outside_the_targets_labels_names_its_row(
    run: Run, tmp_path: Path
) -> None:
    frame = multiclass_frame()
    frame.loc[41, "prediction"] = "unknown"
    manifest = write_case(tmp_path, "multiclass", frame)
    result, entries = check(run, manifest, POLICIES / "multiclass-policy.yaml", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "data.csv: prediction has a label the target 'label' does not have, first at "
        "data row 42 (1 such label); predictions must use the target's 4 labels"
    )
    assert entries == 0


def test_multiclass_messages_name_the_class_or_the_average(run: Run, tmp_path: Path) -> None:
    manifest = write_case(tmp_path, "multiclass", multiclass_frame())
    result, _ = check(
        run, manifest, POLICIES / "multiclass-policy.yaml", tmp_path, "--format", "json"
    )
    messages = {f["rule_id"]: f["message"] for f in json.loads(result.stdout)["findings"]}
    assert re.match(
        r"selection-rate difference of class \w+ by ", messages["selection-parity-per-class"]
    )
    assert messages["macro-equalized-odds"].startswith(
        "macro-averaged equalized-odds difference by sex"
    )
    assert re.match(r"worst group recall of class (high|top) ", messages["recall-of-rare-classes"])
