"""Train the two adult-income sample models and save them as skops files.

Usage::

    python samples/adult-income/train.py

Reads ``data/adult-train.csv.gz`` (fit) and ``data/adult-test.csv.gz`` (report only; nothing is
tuned on it) and writes ``models/baseline.skops`` and ``models/mitigated.skops``.

* **baseline** (1.0.0): one-hot encoded categoricals + standardised numerics -> logistic
  regression. Accurate, but it selects men for ">50K" about three times as often as women.
* **mitigated** (1.1.0): the same fitted pipeline with sex-specific decision thresholds.
  fairlearn's ``ThresholdOptimizer`` (demographic parity, accuracy objective, selection-rate gap
  relaxed to at most ``TOLERANCE``) finds the thresholds on the training data. Its classifier is
  randomised; we keep, per group, the threshold that carries the larger probability and fold it
  into the coefficients of the one-hot ``sex`` columns, so the result is still a plain
  scikit-learn ``Pipeline`` that skops can load without trusting any non-sklearn type.

The script checks that the folded model predicts exactly what "baseline score > group threshold"
predicts, that it agrees with fairlearn's randomised classifier wherever that one is
deterministic, that the saved files contain only builtins/numpy/scipy/sklearn types, and that a
reloaded model predicts like the in-memory one. The skops files are rewritten canonically (object
ids renumbered in order, fixed zip timestamps) so that retraining gives byte-identical files.
"""

from __future__ import annotations

import copy
import io
import json
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_ratio,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from fairlearn.postprocessing import ThresholdOptimizer
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MODELS = HERE / "models"

TARGET = "income"
POSITIVE = ">50K"
NEGATIVE = "<=50K"
SENSITIVE = "sex"
# fnlwgt is the census sampling weight, not an attribute of the person; education duplicates
# education-num. Everything else is used, including sex and race.
CATEGORICAL = [
    "workclass",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native-country",
]
NUMERIC = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
SEED = 0
# Largest allowed gap between the groups' selection rates on the training data (ThresholdOptimizer
# ``tol``). 0.02 keeps the ratio near 0.9: a margin above the 0.85 target, and less accuracy and
# equalized odds given up than exact parity (tol=None).
TOLERANCE = 0.02
TRUSTED_MODULE_ROOTS = ("builtins", "numpy", "scipy", "sklearn")


def load(split: str) -> tuple[pd.DataFrame, pd.Series]:
    """Return the features and the target of ``adult-<split>.csv.gz``."""
    frame = pd.read_csv(DATA / f"adult-{split}.csv.gz")
    return frame.drop(columns=[TARGET]), frame[TARGET]


def build_baseline() -> Pipeline:
    features = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("numeric", StandardScaler(), NUMERIC),
        ]
    )
    classifier = LogisticRegression(max_iter=1000, random_state=SEED)
    return Pipeline([("features", features), ("classifier", classifier)])


def find_thresholds(
    baseline: Pipeline, X: pd.DataFrame, y: pd.Series
) -> tuple[dict[str, float], ThresholdOptimizer]:
    """Per-sex thresholds on the baseline's decision function, found by ThresholdOptimizer.

    Returns, per group, a deterministic threshold ``t`` (predict positive iff score > t) and the
    fitted optimizer. ``t`` is the optimizer's majority-weight threshold moved half-way to the
    next higher training score of that group: the same predictions on every training row, and
    not sitting on a training score, so folding it into the coefficients cannot flip a row
    through floating-point rounding.
    """
    optimizer = ThresholdOptimizer(
        estimator=baseline,
        constraints="demographic_parity",
        objective="accuracy_score",
        tol=TOLERANCE,
        prefit=True,
        predict_method="decision_function",
    )
    optimizer.fit(X, (y == POSITIVE).astype(int), sensitive_features=X[SENSITIVE])
    scores = baseline.decision_function(X)
    thresholds = {}
    for group, interpolation in optimizer.interpolated_thresholder_.interpolation_dict.items():
        if "p_ignore" in interpolation:
            raise RuntimeError(f"{group}: constant predictions are not expressible as a threshold")
        operation = (
            interpolation.operation0
            if interpolation.p0 >= interpolation.p1
            else interpolation.operation1
        )
        if operation.operator != ">":
            raise RuntimeError(f"{group}: unexpected threshold operator {operation.operator!r}")
        group_scores = scores[(X[SENSITIVE] == group).to_numpy()]
        above = group_scores[group_scores > operation.threshold]
        upper = above.min() if above.size else operation.threshold + 1.0
        thresholds[str(group)] = float((operation.threshold + upper) / 2)
    return thresholds, optimizer


def fold_thresholds(baseline: Pipeline, thresholds: dict[str, float]) -> Pipeline:
    """Return a copy of ``baseline`` whose plain predict() applies the per-sex thresholds.

    The decision function is ``w·x + b``; each row has exactly one one-hot ``sex`` column set to
    1, so subtracting ``t_g`` from that column's coefficient turns ``score > t_g`` into
    ``score' > 0``, which is what LogisticRegression.predict tests. A row whose sex was not seen
    in training has no column set and keeps the baseline threshold 0.
    """
    mitigated = copy.deepcopy(baseline)
    names = list(mitigated.named_steps["features"].get_feature_names_out())
    coef = mitigated.named_steps["classifier"].coef_
    for group, threshold in thresholds.items():
        coef[0, names.index(f"categorical__{SENSITIVE}_{group}")] -= threshold
    return mitigated


def verify_folding(
    baseline: Pipeline,
    mitigated: Pipeline,
    optimizer: ThresholdOptimizer,
    thresholds: dict[str, float],
    X: pd.DataFrame,
    name: str,
) -> None:
    """Check the folded model against the thresholds and against fairlearn's classifier."""
    group = X[SENSITIVE].to_numpy()
    per_row = np.array([thresholds.get(g, 0.0) for g in group])
    expected = np.where(baseline.decision_function(X) > per_row, POSITIVE, NEGATIVE)
    predicted = mitigated.predict(X)
    if not np.array_equal(predicted, expected):
        raise AssertionError(f"{name}: folded model differs from baseline + group thresholds")
    # fairlearn's ThresholdOptimizer predicts positive with probability p0*[s > t0] + p1*[s > t1]:
    # random on the narrow band between t0 and t1, fixed elsewhere, where ours must be the same.
    scores = baseline.decision_function(X)
    p_positive = np.zeros(len(X))
    for value, b in optimizer.interpolated_thresholder_.interpolation_dict.items():
        rows = group == value
        p_positive[rows] = b.p0 * b.operation0(scores[rows]) + b.p1 * b.operation1(scores[rows])
    fixed = np.isclose(p_positive, 0) | np.isclose(p_positive, 1)
    disagree = int(((predicted == POSITIVE) != (p_positive > 0.5))[fixed].sum())
    if disagree:
        raise AssertionError(f"{name}: {disagree} rows differ from ThresholdOptimizer")
    print(
        f"  {name}: folded predictions == baseline score > group threshold on all "
        f"{len(X)} rows; == ThresholdOptimizer on the {int(fixed.sum())} rows it does not "
        f"randomise ({int((~fixed).sum())} rows fall in its randomised band)"
    )


def _renumber(node: Any, ids: dict[int, int]) -> Any:
    """Replace skops object ids (memory addresses) by their order of first appearance."""
    if isinstance(node, list):
        return [_renumber(item, ids) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "__id__":
            value = ids.setdefault(value, len(ids) + 1)
        elif key == "file" and isinstance(value, str) and value.endswith(".npy"):
            value = f"{ids.setdefault(int(value[:-4]), len(ids) + 1)}.npy"
        elif key == "file":
            raise ValueError(f"cannot canonicalise skops entry {value!r}")
        out[key] = _renumber(value, ids)
    return out


def canonical_skops(model: Any) -> bytes:
    """Return ``skops.io.dumps(model)`` rewritten so the same model always gives the same bytes.

    skops names arrays and tags objects by ``id()`` and stamps zip entries with the current
    time. The ids only link references within the file, so renumbering them consistently keeps
    the meaning; the caller reloads the result and compares predictions.
    """
    source = zipfile.ZipFile(io.BytesIO(skops.io.dumps(model)))
    ids: dict[int, int] = {}
    schema = _renumber(json.loads(source.read("schema.json")), ids)
    entries = {"schema.json": json.dumps(schema, indent=2).encode()}
    for info in source.infolist():
        if info.filename != "schema.json":
            entries[f"{ids[int(info.filename[:-4])]}.npy"] = source.read(info)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            target.writestr(info, entries[name], compresslevel=9)
    return buffer.getvalue()


def module_roots(path: Path) -> set[str]:
    """Top-level packages of every type recorded in a skops file."""
    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
    roots = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("__module__"), str):
                roots.add(node["__module__"].split(".")[0])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return roots


def save(model: Pipeline, path: Path, X_check: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical_skops(model))
    untrusted = skops.io.get_untrusted_types(file=path)
    if any(t.split(".")[0] not in TRUSTED_MODULE_ROOTS for t in untrusted):
        raise AssertionError(f"{path.name}: untrusted non-sklearn types {untrusted}")
    roots = module_roots(path)
    if not roots <= set(TRUSTED_MODULE_ROOTS):
        raise AssertionError(f"{path.name}: types from {sorted(roots)}")
    reloaded = skops.io.load(path, trusted=untrusted)
    if not np.array_equal(reloaded.predict(X_check), model.predict(X_check)):
        raise AssertionError(f"{path.name}: reloaded model predicts differently")
    print(
        f"  {path.relative_to(HERE)}: {path.stat().st_size} bytes, untrusted types "
        f"{untrusted or 'none'}, type modules {sorted(roots)}"
    )


def report(name: str, model: Pipeline, X: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    """Print and return accuracy and sex/race fairness figures computed with fairlearn."""
    y_true = (y == POSITIVE).astype(int).to_numpy()
    y_pred = (model.predict(X) == POSITIVE).astype(int)
    frame = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
        },
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=X[SENSITIVE],
    )
    figures = {
        "accuracy": float((y_true == y_pred).mean()),
        "selection_rate": float(y_pred.mean()),
        "by_sex": frame.by_group.to_dict(orient="index"),
        "dp_ratio_sex": demographic_parity_ratio(y_true, y_pred, sensitive_features=X["sex"]),
        "eo_ratio_sex": equalized_odds_ratio(y_true, y_pred, sensitive_features=X["sex"]),
        "dp_ratio_race": demographic_parity_ratio(y_true, y_pred, sensitive_features=X["race"]),
        "eo_ratio_race": equalized_odds_ratio(y_true, y_pred, sensitive_features=X["race"]),
    }
    print(f"  {name}: accuracy {figures['accuracy']:.4f}, selection rate {y_pred.mean():.4f}")
    for group, row in figures["by_sex"].items():
        print(
            f"    {group:<7} selection rate {row['selection_rate']:.4f}  "
            f"TPR {row['tpr']:.4f}  FPR {row['fpr']:.4f}"
        )
    print(
        f"    sex:  demographic_parity_ratio {figures['dp_ratio_sex']:.4f}  "
        f"equalized_odds_ratio {figures['eo_ratio_sex']:.4f}"
    )
    print(
        f"    race: demographic_parity_ratio {figures['dp_ratio_race']:.4f}  "
        f"equalized_odds_ratio {figures['eo_ratio_race']:.4f}  (not mitigated)"
    )
    return figures


def main() -> int:
    started = time.perf_counter()
    X_train, y_train = load("train")
    X_test, y_test = load("test")

    print("training baseline")
    baseline = build_baseline().fit(X_train, y_train)

    print(f"finding sex-specific thresholds (ThresholdOptimizer, tol={TOLERANCE})")
    thresholds, optimizer = find_thresholds(baseline, X_train, y_train)
    for group, threshold in thresholds.items():
        print(f"  {group}: predict {POSITIVE} when the baseline score exceeds {threshold:+.6f}")
    mitigated = fold_thresholds(baseline, thresholds)
    verify_folding(baseline, mitigated, optimizer, thresholds, X_train, "train")
    verify_folding(baseline, mitigated, optimizer, thresholds, X_test, "test")

    print("saving")
    save(baseline, MODELS / "baseline.skops", X_test)
    save(mitigated, MODELS / "mitigated.skops", X_test)
    trained = time.perf_counter() - started

    print("on adult-train (where the thresholds were chosen)")
    train_figures = report("mitigated", mitigated, X_train, y_train)
    print("on adult-test (fairlearn metrics, positive label '>50K')")
    figures = {
        "baseline": report("baseline", baseline, X_test, y_test),
        "mitigated": report("mitigated", mitigated, X_test, y_test),
    }
    print(f"trained, verified and saved in {trained:.1f} s")

    problems = []
    if figures["baseline"]["dp_ratio_sex"] >= 0.8:
        problems.append("baseline DP ratio (sex) is not below 0.8")
    if train_figures["dp_ratio_sex"] < 0.85 or figures["mitigated"]["dp_ratio_sex"] < 0.85:
        problems.append("mitigated DP ratio (sex) is below 0.85")
    if figures["mitigated"]["accuracy"] <= 0.78:
        problems.append("mitigated accuracy is not above 0.78")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
