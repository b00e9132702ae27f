"""XGBoost and LightGBM models: TreeExplainer in log-odds, alone and after preprocessing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from governance.evaluators.explain_budget import Budget
from governance.evaluators.explainers import explain
from tests.explainability.helpers import numeric_data, planted_proxy

NUMERIC = ["a", "b", "c"]
PROXY_INPUTS = ["zip", "skill", "noise"]


def _boosters() -> list[Any]:
    xgboost = pytest.importorskip("xgboost")
    lightgbm = pytest.importorskip("lightgbm")
    return [
        xgboost.XGBClassifier(n_estimators=30, max_depth=3, random_state=0),
        lightgbm.LGBMClassifier(n_estimators=30, num_leaves=8, random_state=0, verbose=-1),
    ]


@pytest.mark.parametrize("index", [0, 1], ids=["xgboost", "lightgbm"])
def test_a_booster_is_explained_with_tree_shap_in_log_odds(index: int) -> None:
    model = _boosters()[index]
    frame = numeric_data()
    model.fit(frame[NUMERIC], frame["y"])
    explanation = explain(model, frame[NUMERIC], 1, Budget(rows=100))
    meta = explanation.meta
    assert (meta["explainer"], meta["shap_explainer"], meta["output"]) == (
        "tree",
        "shap.TreeExplainer",
        "log_odds",
    )
    assert meta["estimator"] == type(model).__name__
    rows = frame[NUMERIC].iloc[explanation.rows]
    probability = model.predict_proba(rows)[:, 1]
    assert np.allclose(explanation.model_output, np.log(probability / (1 - probability)), atol=1e-5)
    assert explanation.additivity_error < 1e-4  # the boosters compute in float32
    importance = np.abs(explanation.values).mean(axis=0)
    assert importance[0] > importance[2]  # a drives the label, c is noise


@pytest.mark.parametrize("index", [0, 1], ids=["xgboost", "lightgbm"])
def test_a_booster_after_one_hot_encoding_is_explained_on_the_original_columns(index: int) -> None:
    frame = planted_proxy(800)
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
            ("boost", _boosters()[index]),
        ]
    )
    model.fit(frame[PROXY_INPUTS], frame["y"])
    explanation = explain(model, frame[PROXY_INPUTS], 1, Budget(rows=100))
    assert explanation.meta["explainer"] == "tree"
    assert explanation.meta["feature_space"] == "original"
    assert explanation.features == PROXY_INPUTS
    assert explanation.transformed_columns == [2, 1, 1]
    assert explanation.additivity_error < 1e-4
    importance = dict(zip(PROXY_INPUTS, np.abs(explanation.values).mean(axis=0), strict=True))
    assert importance["zip"] > importance["noise"] and importance["skill"] > importance["noise"]
