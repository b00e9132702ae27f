"""The committed adult-income sample: data, models, manifests and their reproducibility."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import yaml
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
)

from governance.model_artifact import load_skops

from .same_model import assert_same_parameters, assert_same_predictions, skip_unless_writer_versions

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "adult-income"
SHARED_ADULT = REPO.parent / "shared" / "datasets" / "adult"
COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]
TYPE_ROOTS = {"numpy", "scipy", "sklearn"}  # the libraries the sample models' types come from
# Figures on adult-test quoted in samples/adult-income/README.md: accuracy, selection rate per
# group, and per sensitive feature fairlearn's demographic-parity ratio and difference and
# equalized-odds difference (method "between_groups").
DOCUMENTED = {
    "baseline": {
        "accuracy": 0.8525,
        "rates": {
            "Female": 0.0758,
            "Male": 0.2537,
            "Amer-Indian-Eskimo": 0.0503,
            "Asian-Pac-Islander": 0.2458,
            "Black": 0.0846,
            "Other": 0.0815,
            "White": 0.2077,
        },
        "sex": {"dp_ratio": 0.2989, "dp_difference": 0.1779, "eo_difference": 0.0913},
        "race": {"dp_ratio": 0.2047, "dp_difference": 0.1955, "eo_difference": 0.3383},
    },
    "mitigated": {
        "accuracy": 0.8288,
        "rates": {
            "Female": 0.1937,
            "Male": 0.1964,
            "Amer-Indian-Eskimo": 0.1950,
            "Asian-Pac-Islander": 0.1979,
            "Black": 0.2012,
            "Other": 0.2370,
            "White": 0.1944,
        },
        "sex": {"dp_ratio": 0.9862, "dp_difference": 0.0027, "eo_difference": 0.2795},
        "race": {"dp_ratio": 0.8201, "dp_difference": 0.0426, "eo_difference": 0.2737},
    },
}
SENSITIVE = ("sex", "race")


def load_script(name: str) -> ModuleType:
    path = SAMPLE / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"adult_income_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def test_data() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "data" / "adult-test.csv.gz")


def load_model(name: str):
    # as governance check loads it: untrusted
    return load_skops(SAMPLE / "models" / f"{name}.skops", trusted=False)


@pytest.fixture(scope="module")
def models():
    return {name: load_model(name) for name in ("baseline", "mitigated")}


@pytest.fixture(scope="module")
def predictions(models, test_data) -> dict[str, np.ndarray]:
    X = test_data.drop(columns=["income"])
    return {name: model.predict(X) for name, model in models.items()}


@pytest.mark.parametrize(
    ("split", "rows"), [("train", 32561), ("test", 16281)], ids=["train", "test"]
)
def test_data_files_parse(split: str, rows: int) -> None:
    frame = pd.read_csv(SAMPLE / "data" / f"adult-{split}.csv.gz")
    assert list(frame.columns) == COLUMNS
    assert len(frame) == rows
    assert set(frame["income"]) == {">50K", "<=50K"}
    assert set(frame["sex"]) == {"Female", "Male"}
    # missing values are empty cells (NaN), never the raw "?"; no stray whitespace
    assert frame[["workclass", "occupation", "native-country"]].isna().any().all()
    text = frame.select_dtypes(exclude="number")
    assert not text.isin(["?"]).any().any()
    assert all((text[c].dropna() == text[c].dropna().str.strip()).all() for c in text)


def test_skops_files_hold_only_trusted_types(models) -> None:
    # load_model() loads them untrusted; also list every type in the schema
    train = load_script("train")
    for name in models:
        roots = train.module_roots(SAMPLE / "models" / f"{name}.skops")
        assert roots <= {"builtins", *TYPE_ROOTS}, (name, roots)
    for name, model in models.items():
        assert type(model).__module__.startswith("sklearn."), name
        for _, step in model.steps:
            assert type(step).__module__.startswith("sklearn."), (name, step)


@pytest.mark.parametrize("feature", SENSITIVE)
def test_baseline_fails_and_mitigated_passes_four_fifths_rule(
    test_data, predictions, feature: str
) -> None:
    # the policy applies the four-fifths rule to each declared sensitive feature separately
    y_true = test_data["income"] == ">50K"
    ratios = {
        name: demographic_parity_ratio(
            y_true, pred == ">50K", sensitive_features=test_data[feature]
        )
        for name, pred in predictions.items()
    }
    assert ratios["baseline"] < 0.5
    assert ratios["mitigated"] >= 0.8


def test_mitigated_keeps_accuracy_and_demographic_parity_difference(test_data, predictions) -> None:
    y_true = test_data["income"] == ">50K"
    y_pred = predictions["mitigated"] == ">50K"
    assert (y_pred == y_true).mean() >= 0.8
    for feature in SENSITIVE:
        groups = test_data[feature]
        assert demographic_parity_difference(y_true, y_pred, sensitive_features=groups) <= 0.1


def test_documented_figures_match_the_committed_models(test_data, predictions) -> None:
    y_true = (test_data["income"] == ">50K").to_numpy()
    for name, figures in DOCUMENTED.items():
        y_pred = predictions[name] == ">50K"
        measured: dict = {"accuracy": round(float((y_pred == y_true).mean()), 4), "rates": {}}
        for feature in SENSITIVE:
            groups = test_data[feature].to_numpy()
            for group in np.unique(groups):
                measured["rates"][group] = round(float(y_pred[groups == group].mean()), 4)
            measured[feature] = {
                key: round(float(metric(y_true, y_pred, sensitive_features=groups)), 4)
                for key, metric in (
                    ("dp_ratio", demographic_parity_ratio),
                    ("dp_difference", demographic_parity_difference),
                    ("eo_difference", equalized_odds_difference),
                )
            }
        assert measured == figures, name


def test_predictions_are_deterministic(test_data, predictions) -> None:
    X = test_data.drop(columns=["income"])
    for name, first in predictions.items():
        again = load_model(name).predict(X)
        assert np.array_equal(first, again), name
        # the target column in the frame is ignored (ColumnTransformer drops unused columns)
        assert np.array_equal(load_model(name).predict(test_data), first), name


def test_mitigated_is_baseline_with_sex_and_race_offsets(models, test_data) -> None:
    baseline, mitigated = models["baseline"], models["mitigated"]
    names = list(baseline.named_steps["features"].get_feature_names_out())
    assert names == list(mitigated.named_steps["features"].get_feature_names_out())
    delta = mitigated.named_steps["classifier"].coef_ - baseline.named_steps["classifier"].coef_
    changed = {names[i] for i in np.flatnonzero(delta[0])}
    # one offset per sex and per race, except the reference race White (offset 0)
    assert changed == {
        "categorical__sex_Female",
        "categorical__sex_Male",
        "categorical__race_Amer-Indian-Eskimo",
        "categorical__race_Asian-Pac-Islander",
        "categorical__race_Black",
        "categorical__race_Other",
    }
    assert np.array_equal(
        mitigated.named_steps["classifier"].intercept_,
        baseline.named_steps["classifier"].intercept_,
    )
    # predictions are exactly "baseline score + offset[sex] + offset[race] > 0"
    offset = dict(zip(names, delta[0], strict=True))
    X = test_data.drop(columns=["income"])
    margin = (
        baseline.decision_function(X)
        + X["sex"].map(lambda g: offset[f"categorical__sex_{g}"]).to_numpy()
        + X["race"].map(lambda g: offset[f"categorical__race_{g}"]).to_numpy()
    )
    assert np.array_equal(mitigated.predict(X) == ">50K", margin > 0)


def test_skops_files_are_canonical(models) -> None:
    # train.py writes canonical skops bytes; re-serialising the loaded model must reproduce them,
    # which is what makes retraining byte-reproducible.
    train = load_script("train")
    for name, model in models.items():
        assert train.canonical_skops(model) == (SAMPLE / "models" / f"{name}.skops").read_bytes()


@pytest.mark.parametrize("manifest", ["baseline.yaml", "mitigated.yaml"])
def test_manifests_point_at_committed_files(manifest: str) -> None:
    document = yaml.safe_load((SAMPLE / manifest).read_text())
    monitored = {"monitoring"} if manifest == "baseline.yaml" else set()  # its production log
    assert set(document) - monitored == {
        "apiVersion",
        "kind",
        "metadata",
        "model",
        "data",
        "lineage",
        "documentation",
    }
    assert monitored <= set(document)
    assert document["apiVersion"] == "governance/v1"
    assert document["kind"] == "Model"
    assert document["metadata"]["name"] == "adult-income"
    assert document["metadata"]["risk_tier"] == "high"
    assert document["model"]["format"] == "skops"
    assert (SAMPLE / document["model"]["path"]).is_file()
    assert (SAMPLE / document["data"]["path"]).is_file()
    assert document["data"]["positive_label"] == ">50K"
    assert document["data"]["sensitive_features"] == ["sex", "race"]
    for dataset in document["lineage"]["training_datasets"]:
        assert (REPO / dataset["name"]).is_file()
    assert (REPO / document["lineage"]["code"]["path"]).is_file()


def test_prepare_data_reproduces_committed_files(tmp_path: Path) -> None:
    if not (SHARED_ADULT / "adult.data").is_file():
        pytest.skip(f"raw UCI Adult files not available at {SHARED_ADULT}")
    written = load_script("prepare_data").prepare(SHARED_ADULT, tmp_path)
    assert [p.name for p in written] == ["adult-train.csv.gz", "adult-test.csv.gz"]
    for path in written:
        assert path.read_bytes() == (SAMPLE / "data" / path.name).read_bytes(), path.name


@pytest.fixture(scope="module")
def retrained() -> dict[str, object]:
    # retraining is deterministic (lbfgs, fixed data, raking) up to the last bits of BLAS
    train = load_script("train")
    X_train, y_train = train.load("train")
    baseline = train.build_baseline().fit(X_train, y_train)
    offsets, _, _ = train.find_offsets(baseline, X_train)
    return {"baseline": baseline, "mitigated": train.fold_offsets(baseline, offsets)}


def test_retrained_models_predict_as_the_committed_ones(retrained, models, test_data) -> None:
    X = test_data.drop(columns=["income"])
    for name, model in retrained.items():
        assert_same_predictions(model, models[name], X)


@pytest.mark.parametrize("name", ["baseline", "mitigated"])
def test_retrained_models_have_the_committed_parameters(retrained, name: str) -> None:
    committed = SAMPLE / "models" / f"{name}.skops"
    skip_unless_writer_versions(committed)
    canonical = load_script("train").canonical_skops(retrained[name])
    assert_same_parameters(canonical, committed.read_bytes())


def test_readme_explainability_table_is_what_the_gate_finds(tmp_path: Path) -> None:
    import json

    from governance.cli import main

    output = tmp_path / "record.json"
    args = [
        "check",
        str(SAMPLE / "baseline.yaml"),
        "--policy",
        str(REPO / "policies" / "explainability.yaml"),
        "--store",
        f"sqlite:///{tmp_path / 'audit.db'}",
        "--format",
        f"json={output}",
    ]
    with pytest.raises(SystemExit) as caught:
        main(args)
    assert caught.value.code == 1
    findings = {f["rule_id"]: f for f in json.loads(output.read_text())["findings"]}
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What drives the baseline")[1].split("\n## ")[0]
    table = section.split("|---|---|---|\n")[1].split("\n\n")[0]
    rows = {line.split("`")[1]: line.split("|")[2].strip() for line in table.splitlines()}
    assert set(rows) == set(findings)
    for rule, finding in findings.items():
        assert rows[rule].startswith(finding["outcome"]), rule
    proxies = findings["explainability.potential-proxies"]["evidence"]
    assert proxies["proxies"] == ["marital-status", "occupation", "relationship"]
    quoted = {row["feature"]: row for row in proxies["features"] if row["potential_proxy"]}
    assert round(quoted["relationship"]["association"]["sex"]["value"], 3) == 0.642
    assert round(quoted["marital-status"]["share"], 3) == 0.269
    share = findings["explainability.sensitive-attribution"]["measured"]
    assert round(share, 3) == 0.100 and "10.0% of the attribution" in section
