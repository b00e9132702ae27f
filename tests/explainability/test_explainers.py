"""Each explainer path: which explainer, which feature space, and additivity."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
import shap
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from governance.evaluators.explain_budget import Budget, Progress
from governance.evaluators.explainers import ExplanationError, explain
from tests.explainability.helpers import adult_frame, adult_model, numeric_data, planted_proxy

NUMERIC = ["a", "b", "c"]


def test_adult_pipeline_is_explained_linearly_with_one_hot_columns_summed_back() -> None:
    model = adult_model()
    frame = adult_frame(2000)
    features = frame[list(model.feature_names_in_)]
    explanation = explain(model, features, ">50K", Budget(rows=200, background=50))
    meta = explanation.meta
    assert (meta["explainer"], meta["estimator"], meta["output"]) == (
        "linear",
        "LogisticRegression",
        "log_odds",
    )
    assert meta["feature_space"] == "original"
    assert explanation.features == list(model.feature_names_in_)
    assert explanation.additivity_error < 1e-9
    # log-odds of the positive class, as the model computes them
    rows = features.iloc[explanation.rows]
    assert np.allclose(explanation.model_output, model.decision_function(rows))
    columns = dict(zip(explanation.features, explanation.transformed_columns or [], strict=True))
    assert columns["sex"] == 2 and columns["age"] == 1
    # fnlwgt and education are dropped by the ColumnTransformer: no columns, no attribution
    assert columns["fnlwgt"] == 0 and columns["education"] == 0
    dropped = [explanation.features.index(name) for name in ("fnlwgt", "education")]
    assert np.all(explanation.values[:, dropped] == 0)

    # The attribution of sex is the sum of the SHAP values of its one-hot columns.
    preprocess, logistic = model[:-1], model[-1]
    background = features.iloc[np.sort(np.random.default_rng(0).choice(2000, 50, replace=False))]
    bare = shap.LinearExplainer(logistic, preprocess.transform(background).toarray())
    one_hot = bare.shap_values(preprocess.transform(rows).toarray())
    names = list(preprocess.get_feature_names_out())
    sex_columns = [i for i, name in enumerate(names) if name.startswith("categorical__sex_")]
    assert len(sex_columns) == 2
    ours = explanation.values[:, explanation.features.index("sex")]
    assert np.allclose(ours, one_hot[:, sex_columns].sum(axis=1))


def test_random_forest_is_explained_with_tree_shap_in_probability() -> None:
    frame = numeric_data()
    model = RandomForestClassifier(n_estimators=15, max_depth=4, random_state=0)
    model.fit(frame[NUMERIC], frame["y"])
    explanation = explain(model, frame[NUMERIC], 1, Budget(rows=100, background=40))
    assert explanation.meta["explainer"] == "tree"
    assert explanation.meta["output"] == "probability"
    assert explanation.transformed_columns is None
    rows = frame[NUMERIC].iloc[explanation.rows]
    assert np.allclose(explanation.model_output, model.predict_proba(rows)[:, 1])
    assert explanation.additivity_error < 1e-6
    importance = np.abs(explanation.values).mean(axis=0)
    assert importance[0] > importance[2]  # a drives the label, c is noise


def test_gradient_boosting_in_a_pipeline_is_explained_in_log_odds_on_original_features() -> None:
    frame = planted_proxy(800)
    columns = ["zip", "skill", "noise"]
    model = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        ("zip", OneHotEncoder(sparse_output=False), ["zip"]),
                        ("numbers", "passthrough", ["skill", "noise"]),
                    ]
                ),
            ),
            ("boost", HistGradientBoostingClassifier(max_iter=30, random_state=0)),
        ]
    )
    model.fit(frame[columns], frame["y"])
    explanation = explain(model, frame[columns], 1, Budget(rows=100, background=30))
    assert (explanation.meta["explainer"], explanation.meta["output"]) == ("tree", "log_odds")
    assert explanation.features == columns
    assert explanation.transformed_columns == [2, 1, 1]
    rows = frame[columns].iloc[explanation.rows]
    assert np.allclose(explanation.model_output, model.decision_function(rows))
    assert explanation.additivity_error < 1e-6


def test_a_positive_label_that_is_the_first_class_is_explained_as_such() -> None:
    frame = numeric_data()
    frame["label"] = np.where(frame["y"] == 1, "yes", "no")  # classes_ = [no, yes]
    model = LogisticRegression().fit(frame[NUMERIC], frame["label"])
    explanation = explain(model, frame[NUMERIC], "no", Budget(rows=50, background=20))
    rows = frame[NUMERIC].iloc[explanation.rows]
    # the log-odds of "no" are minus those of "yes"
    assert np.allclose(explanation.model_output, -model.decision_function(rows))
    assert explanation.additivity_error < 1e-9
    a = explanation.values[:, 0]
    assert np.corrcoef(a, rows["a"])[0, 1] < -0.99  # a raises "yes", so lowers "no"


def test_an_unknown_positive_label_cannot_be_explained() -> None:
    frame = numeric_data()
    model = LogisticRegression().fit(frame[NUMERIC], frame["y"])
    with pytest.raises(ExplanationError, match=r"positive label 'maybe' is not one of"):
        explain(model, frame[NUMERIC], "maybe", Budget(rows=5, background=5))


def test_running_out_of_time_returns_the_rows_explained_so_far_marked_partial() -> None:
    frame = numeric_data(300)
    model = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0)
    model.fit(frame[NUMERIC], frame["y"])
    ticks = itertools.count()
    explanation = explain(
        model,
        frame[NUMERIC],
        1,
        Budget(rows=200, max_seconds=6),
        clock=lambda: float(next(ticks)),  # every look at the clock costs a second
    )
    meta = explanation.meta
    assert meta["partial"] is True
    assert 0 < meta["rows_explained"] < meta["rows_requested"] == 200
    assert len(explanation.rows) == len(explanation.values) == meta["rows_explained"]
    assert explanation.additivity_error < 1e-9


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_only_on_a_terminal_and_only_for_long_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("governance.evaluators.explain_budget.PROGRESS_AFTER_SECONDS", 0.0)
    terminal, log = _Terminal(), io.StringIO()
    for stream in (terminal, log):
        line = Progress("explaining", 10, stream)
        line.update(4)
        line.close()
    assert "explaining [########............] 4/10 rows" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\x1b[2K")
    assert log.getvalue() == ""


def test_a_frame_without_rows_cannot_be_explained() -> None:
    frame = numeric_data()
    model = LogisticRegression().fit(frame[NUMERIC], frame["y"])
    with pytest.raises(ExplanationError, match="no rows"):
        explain(model, frame[NUMERIC].iloc[:0], 1, Budget())
