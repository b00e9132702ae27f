"""Train the German-credit sample model and save it as a skops file.

Usage::

    python samples/german-credit/train.py

Fits on ``data/german-train.csv.gz`` and writes ``models/credit-logistic.skops``: one-hot encoded
categorical attributes and standardised numeric ones into a logistic regression (lbfgs,
deterministic). Approval means predicting ``good``.

The model is not given the attributes of a prohibited basis under ECOA / Regulation B, nor their
stand-ins in this data: ``personal_status_sex`` (sex and marital status), ``sex``, ``age``,
``age_band`` and ``foreign_worker`` (national origin). Leaving them out does not make the model
fair ("fairness through unawareness"): other attributes can act as proxies, which is what the
sample's policies examine.

The skops file is written canonically (object ids renumbered in order, fixed zip timestamps) so
retraining gives a byte-identical file with the same library versions on CPUs that take the same
BLAS kernels (see samples/adult-income/README.md, Reproducing); the script checks it holds only
builtins, NumPy, SciPy and scikit-learn types and that the reloaded model predicts like the
fitted one.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MODEL = HERE / "models" / "credit-logistic.skops"
TARGET = "credit_risk"
POSITIVE = "good"
CATEGORICAL = [
    "status",
    "credit_history",
    "purpose",
    "savings",
    "employment",
    "other_debtors",
    "property",
    "other_installment_plans",
    "housing",
    "job",
    "telephone",
]
NUMERIC = [
    "duration",
    "credit_amount",
    "installment_rate",
    "residence_since",
    "existing_credits",
    "people_liable",
]
# Not model inputs: a prohibited basis or its stand-in, and the row's id.
EXCLUDED = ["applicant", "personal_status_sex", "sex", "age", "age_band", "foreign_worker"]
TYPE_MODULE_ROOTS = ("builtins", "numpy", "scipy", "sklearn")


def load(split: str) -> tuple[pd.DataFrame, pd.Series]:
    """Features (every column but the target) and target of one split."""
    frame = pd.read_csv(DATA / f"german-{split}.csv.gz")
    return frame.drop(columns=[TARGET]), frame[TARGET]


def build() -> Pipeline:
    """The untrained pipeline."""
    features = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("numeric", StandardScaler(), NUMERIC),
        ],
        remainder="drop",
    )
    classifier = LogisticRegression(max_iter=2000)
    return Pipeline([("features", features), ("classifier", classifier)])


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
    """``skops.io.dumps(model)`` rewritten so the same model always gives the same bytes."""
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
    """Write the canonical skops file and check what it holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical_skops(model))
    # governance loads the sample untrusted: it must hold only types skops trusts by default
    untrusted = skops.io.get_untrusted_types(file=path)
    if untrusted:
        raise AssertionError(f"{path.name}: types skops does not trust by default {untrusted}")
    roots = module_roots(path)
    if not roots <= set(TYPE_MODULE_ROOTS):
        raise AssertionError(f"{path.name}: types from {sorted(roots)}")
    reloaded = skops.io.load(path)
    if not np.array_equal(reloaded.predict(X_check), model.predict(X_check)):
        raise AssertionError(f"{path.name}: reloaded model predicts differently")
    print(f"  {path.relative_to(HERE)}: {path.stat().st_size} bytes, type modules {sorted(roots)}")


def main() -> None:
    X_train, y_train = load("train")
    X_test, y_test = load("test")
    model = build().fit(X_train, y_train)
    predicted = model.predict(X_test)
    accuracy = float((predicted == y_test).mean())
    print(f"  test accuracy {accuracy:.4f}, approval rate {(predicted == POSITIVE).mean():.4f}")
    save(model, MODEL, X_test)


if __name__ == "__main__":
    main()
