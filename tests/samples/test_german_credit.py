"""The committed German-credit sample: data, model, manifest, policy, and what the gate finds."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import fairlearn.metrics as fm
import numpy as np
import pandas as pd
import pytest

from governance.cli import main
from governance.model_artifact import load_skops

from .same_model import assert_same_parameters, assert_same_predictions, skip_unless_writer_versions

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "german-credit"
SHARED = REPO.parent / "shared" / "datasets" / "german"
MANIFEST = SAMPLE / "credit-model.yaml"
POLICIES = [REPO / "policies" / "fair-lending.yaml", SAMPLE / "policy.yaml"]
# Figures quoted in samples/german-credit/README.md.
DOCUMENTED = {
    "accuracy": 0.7400,
    "approval": 0.7733,
    "roc_auc": 0.7723,
    "rates": {
        "female": 0.7253,
        "male": 0.7943,
        "<25": 0.7111,
        "25-59": 0.7689,
        "60+": 1.0,
    },
    "counts": {"female": 91, "male": 209, "<25": 45, "25-59": 238, "60+": 17},
}


def load_script(name: str) -> ModuleType:
    path = SAMPLE / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"german_credit_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def test_data() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "data" / "german-test.csv.gz")


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    # as governance check loads it: untrusted
    return load_skops(SAMPLE / "models" / "credit-logistic.skops", trusted=False)


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> dict:
    db = tmp_path_factory.mktemp("gc") / "audit.db"
    args = ["check", str(MANIFEST), *(arg for p in POLICIES for arg in ("-p", str(p)))]
    output = tmp_path_factory.mktemp("out") / "record.json"
    with pytest.raises(SystemExit) as caught:
        main([*args, "--store", f"sqlite:///{db}", "--format", "json", "--output", str(output)])
    assert caught.value.code == 1  # fails closed: too few applicants aged 60+
    return json.loads(output.read_text(encoding="utf-8"))


def test_data_files_parse_and_derive_sex_and_age_band() -> None:
    frames = {s: pd.read_csv(SAMPLE / "data" / f"german-{s}.csv.gz") for s in ("train", "test")}
    assert {s: len(f) for s, f in frames.items()} == {"train": 700, "test": 300}
    both = pd.concat(frames.values())
    assert sorted(both.applicant) == list(range(1, 1001))
    assert both.credit_risk.value_counts().to_dict() == {"good": 700, "bad": 300}
    # stratified: 30% of each class held out
    assert frames["test"].credit_risk.value_counts().to_dict() == {"good": 210, "bad": 90}
    codes = json.loads((SAMPLE / "data" / "codes.json").read_text())["status_sex"]
    assert "A95" not in set(both.personal_status_sex)  # female single: not in the data
    assert both.personal_status_sex.value_counts().to_dict() == {
        "A93": 548,
        "A92": 310,
        "A94": 92,
        "A91": 50,
    }
    for code, sex in zip(both.personal_status_sex, both.sex, strict=True):
        assert codes[code].startswith(sex)
    bands = pd.cut(both.age, [0, 25, 60, 200], right=False, labels=["<25", "25-59", "60+"])
    assert (bands.astype(str) == both.age_band).all()


def test_prepare_data_reproduces_committed_files(tmp_path: Path) -> None:
    if not (SHARED / "german.data").is_file():
        pytest.skip(f"raw UCI German Credit file not available at {SHARED}")
    written = load_script("prepare_data").prepare(SHARED, tmp_path)
    for path in written:
        assert path.read_bytes() == (SAMPLE / "data" / path.name).read_bytes(), path.name
    assert (SHARED / "codes.json").read_bytes() == (SAMPLE / "data" / "codes.json").read_bytes()


@pytest.fixture(scope="module")
def retrained():  # type: ignore[no-untyped-def]
    train = load_script("train")
    X, y = train.load("train")
    return train.build().fit(X, y)


def test_the_retrained_model_predicts_as_the_committed_one(retrained, model, test_data) -> None:  # type: ignore[no-untyped-def]
    assert_same_predictions(retrained, model, test_data.drop(columns=["credit_risk"]))
    train = load_script("train")
    assert train.module_roots(train.MODEL) <= {"builtins", "numpy", "scipy", "sklearn"}


def test_the_retrained_model_has_the_committed_parameters(retrained) -> None:  # type: ignore[no-untyped-def]
    train = load_script("train")
    skip_unless_writer_versions(train.MODEL)
    assert_same_parameters(train.canonical_skops(retrained), train.MODEL.read_bytes())


def test_the_model_does_not_see_protected_attributes(model) -> None:  # type: ignore[no-untyped-def]
    used = set()
    for name, transformer, columns in model.named_steps["features"].transformers_:
        if transformer != "drop":
            used.update(columns)
        else:
            assert name == "remainder"
    assert not used & {"personal_status_sex", "sex", "age", "age_band", "foreign_worker"}


def test_documented_figures_match_the_model(test_data, model) -> None:  # type: ignore[no-untyped-def]
    X = test_data.drop(columns=["credit_risk"])
    approved = model.predict(X) == "good"
    y = (test_data.credit_risk == "good").to_numpy()
    good = list(model.classes_).index("good")
    from sklearn.metrics import roc_auc_score

    measured = {
        "accuracy": round(float((approved == y).mean()), 4),
        "approval": round(float(approved.mean()), 4),
        "roc_auc": round(float(roc_auc_score(y, model.predict_proba(X)[:, good])), 4),
        "rates": {},
        "counts": {},
    }
    for feature in ("sex", "age_band"):
        frame = fm.MetricFrame(
            metrics={"rate": fm.selection_rate, "count": fm.count},
            y_true=y,
            y_pred=approved,
            sensitive_features=test_data[feature],
        )
        for group, row in frame.by_group.iterrows():
            measured["rates"][group] = round(float(row["rate"]), 4)
            measured["counts"][group] = int(row["count"])
    assert measured == DOCUMENTED


def test_the_gate_finds_too_few_older_applicants(record: dict) -> None:
    findings = {f["rule_id"]: f for f in record["findings"]}
    screen = findings["fair-lending.approval-rate-ratio"]
    assert screen["outcome"] == "insufficient" and screen["blocking"]
    assert "group 60+ has 17 rows; below min_group_size 30" in screen["message"]
    table = {tuple(t["sensitive_features"]): t for t in screen["evidence"]["tables"]}
    old = next(g for g in table[("age_band",)]["groups"] if g["label"] == "60+")
    assert old["count"] == 17 and old["insufficient"]
    intersections = findings["intersectional-approval-ratio"]
    assert intersections["outcome"] == "insufficient"
    assert "group female × 60+ has 3 rows" in intersections["message"]
    labels = [g["label"] for g in intersections["evidence"]["tables"][0]["groups"]]
    assert labels == [f"{s} × {b}" for s in ("female", "male") for b in ("25-59", "60+", "<25")]
    assert record["verdict"] == "failed"


def test_confidence_bound_and_reference_rules(record: dict, test_data, model) -> None:  # type: ignore[no-untyped-def]
    findings = {f["rule_id"]: f for f in record["findings"]}
    by_sex = findings["approval-ratio-by-sex-95"]
    low, high = by_sex["evidence"]["interval"]
    assert by_sex["measured"] == low < 0.8 < by_sex["evidence"]["point"] < high
    assert by_sex["outcome"] == "fail" and not by_sex["blocking"]
    approved = model.predict(test_data.drop(columns=["credit_risk"])) == "good"
    rates = pd.Series(approved).groupby(test_data.age_band).mean()
    reference = findings["approval-ratio-to-prime-age"]
    expected = min(min(r / rates["25-59"], rates["25-59"] / r) for r in rates)
    assert reference["measured"] == pytest.approx(expected, abs=1e-12)
    assert reference["evidence"]["tables"][0]["reference"] == "25-59"
    auc = findings["ranking-power"]
    assert auc["outcome"] == "pass"
    assert auc["measured"] == auc["evidence"]["interval"][0] < auc["evidence"]["point"]
    assert np.isclose(auc["evidence"]["point"], DOCUMENTED["roc_auc"], atol=5e-5)
    from governance.record import read_record
    from governance.reporting.charts import record_charts

    charts = record_charts(read_record(record))
    charted = [rule for rule, drawn in zip(findings, charts, strict=True) if drawn]
    assert "intersectional-approval-ratio" in charted and "fair-lending.sample-size" in charted


def test_readme_lists_every_rule_with_the_outcome_the_gate_gives(record: dict) -> None:
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    table = readme.split("| rule | outcome | measured |\n|---|---|---|\n")[1].split("\n\n")[0]
    rows = {line.split("`")[1]: line.split("|")[2].strip() for line in table.splitlines()}
    findings = {f["rule_id"]: f for f in record["findings"]}
    assert set(rows) == set(findings)
    for rule, finding in findings.items():
        assert rows[rule].startswith(finding["outcome"]), rule
        if finding["outcome"] != "pass":
            assert ("blocks" in rows[rule]) == finding["blocking"], rule
    proxies = findings["fair-lending.proxy-screen"]["evidence"]["proxies"]
    assert proxies == ["housing"] and "`housing` (rank 7" in rows["fair-lending.proxy-screen"]
