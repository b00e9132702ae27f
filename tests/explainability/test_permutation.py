"""The model-agnostic path: shap's Permutation explainer on the model's own input columns.

The first Permutation explanation in a process compiles shap's numba kernels (about 10 s), so
these tests share a warm-up and are marked slow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import governance.evaluators.explainability as explainability
from governance.checks.explainability import AvailableParams
from governance.evaluators.explain_budget import Budget
from governance.evaluators.explainers import explain
from tests.explainability.helpers import model_context, numeric_data, planted_proxy

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("warm_permutation_explainer")]

NUMERIC = ["a", "b", "c"]


@pytest.fixture(scope="module")
def warm_permutation_explainer() -> None:
    frame = numeric_data(50)
    model = KNeighborsClassifier().fit(frame[NUMERIC], frame["y"])
    explain(model, frame[NUMERIC], 1, Budget(rows=1, background=2))


def test_other_models_take_the_permutation_explainer_on_original_columns() -> None:
    frame = planted_proxy(300)
    columns = ["zip", "skill", "noise"]
    model = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [("zip", OneHotEncoder(), ["zip"]), ("n", StandardScaler(), ["skill", "noise"])]
                ),
            ),
            ("knn", KNeighborsClassifier(n_neighbors=7)),
        ]
    )
    model.fit(frame[columns], frame["y"])
    explanation = explain(model, frame[columns], 1, Budget(rows=8, background=10))
    meta = explanation.meta
    assert (meta["explainer"], meta["output"]) == ("permutation", "probability")
    assert meta["estimator"] == "Pipeline" and meta["fallback_reason"] is None
    assert explanation.features == columns and explanation.transformed_columns is None
    rows = frame[columns].iloc[explanation.rows]
    assert np.allclose(explanation.model_output, model.predict_proba(rows)[:, 1])
    assert explanation.additivity_error < 1e-9


def test_a_preprocessing_that_mixes_columns_falls_back_to_permutation_and_says_why() -> None:
    frame = numeric_data()
    model = make_pipeline(StandardScaler(), PCA(n_components=2), LogisticRegression())
    model.fit(frame[NUMERIC], frame["y"])
    explanation = explain(model, frame[NUMERIC], 1, Budget(rows=5, background=10))
    assert explanation.meta["explainer"] == "permutation"
    assert "PCA" in explanation.meta["fallback_reason"]
    assert explanation.features == NUMERIC
    assert explanation.additivity_error < 1e-9


def test_same_seed_same_explanation_other_seed_other_rows() -> None:
    frame = planted_proxy(300)
    columns = ["zip", "skill", "noise"]
    model = make_pipeline(
        ColumnTransformer([("zip", OneHotEncoder(), ["zip"])], remainder="passthrough"),
        KNeighborsClassifier(n_neighbors=5),
    ).fit(frame[columns], frame["y"])
    first = explain(model, frame[columns], 1, Budget(rows=6, background=8, seed=4))
    again = explain(model, frame[columns], 1, Budget(rows=6, background=8, seed=4))
    other = explain(model, frame[columns], 1, Budget(rows=6, background=8, seed=5))
    assert np.array_equal(first.rows, again.rows)
    assert np.array_equal(first.values, again.values)
    assert not np.array_equal(first.rows, other.rows)


def test_the_permutation_explainer_leaves_numpy_global_random_state_alone() -> None:
    frame = numeric_data(100)
    model = KNeighborsClassifier().fit(frame[NUMERIC], frame["y"])
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    explain(model, frame[NUMERIC], 1, Budget(rows=3, background=5))
    assert np.random.random() == expected


def test_categorical_inputs_reach_the_model_as_categories_in_the_permutation_path() -> None:
    frame = planted_proxy(200)
    frame["zip"] = frame["zip"].astype("category")
    columns = ["zip", "skill"]
    model = make_pipeline(
        ColumnTransformer([("zip", OneHotEncoder(), ["zip"])], remainder="passthrough"),
        KNeighborsClassifier(n_neighbors=5),
    ).fit(frame[columns], frame["y"])
    explanation = explain(model, frame[columns], 1, Budget(rows=4, background=6))
    assert explanation.meta["explainer"] == "permutation"
    assert explanation.additivity_error < 1e-9
    assert isinstance(frame[columns].dtypes["zip"], pd.CategoricalDtype)


class _Broken(LogisticRegression):
    """Fits, then fails to score: the permutation explainer meets the failure."""

    def predict_proba(self, X: Any) -> Any:
        raise RuntimeError("the scoring service is down")


def test_a_model_that_fails_while_explained_is_an_error_finding() -> None:
    frame = planted_proxy(200)
    broken = _Broken().fit(frame[["skill"]], frame["y"])
    context = model_context(broken, frame, ["skill"], ["sex"])
    measurement = explainability.available(context, AvailableParams(rows=3, background=3))
    assert measurement.error == (
        "cannot explain _Broken: shap.explainers.Permutation failed: the scoring service is down"
    )
