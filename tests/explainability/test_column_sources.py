"""Mapping preprocessed columns back to the input columns they come from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    OneHotEncoder,
    PolynomialFeatures,
    StandardScaler,
)

from governance.evaluators.column_sources import column_sources


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], size=60),
            "size": rng.choice(["s", "m", "l", "xl"], size=60),
            "x": rng.normal(size=60),
            "y": rng.normal(size=60),
            "z": rng.normal(size=60),
        }
    )


def _names_to_sources(transformer: ColumnTransformer, frame: pd.DataFrame) -> list[int]:
    """Expected map from the fitted transformer's output names (prefix__input...)."""
    columns = list(frame.columns)
    expected = []
    for name in transformer.get_feature_names_out():
        _, _, rest = name.partition("__")
        expected.append(
            next(i for i, c in enumerate(columns) if rest == c or rest.startswith(c + "_"))
        )
    return expected


def test_one_hot_with_drop_nested_pipeline_scaler_and_passthrough_remainder() -> None:
    frame = _frame()
    transformer = ColumnTransformer(
        [
            ("colour", OneHotEncoder(drop="first"), ["colour"]),
            ("size", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()), [1]),
            ("x", StandardScaler(), ["x"]),
            (
                "bins",
                KBinsDiscretizer(
                    n_bins=3, encode="onehot-dense", quantile_method="averaged_inverted_cdf"
                ),
                ["z"],
            ),
        ],
        remainder="passthrough",
    ).fit(frame)
    sources = column_sources(transformer, frame.shape[1])
    assert sources == _names_to_sources(transformer, frame)
    assert len(sources) == transformer.transform(frame).shape[1]
    assert sources.count(0) == 2  # three colours, one dropped
    assert sources.count(1) == 4


def test_transformers_that_mix_columns_have_no_map() -> None:
    frame = _frame()[["x", "y", "z"]]
    assert column_sources(make_pipeline(StandardScaler(), PCA(2)).fit(frame), 3) is None
    assert column_sources(PolynomialFeatures(2).fit(frame), 3) is None
    mixed = ColumnTransformer([("pca", PCA(1), ["x", "y"])], remainder="passthrough").fit(frame)
    assert column_sources(mixed, 3) is None


# scikit-learn warns that it drops the empty column: what the test makes it do
@pytest.mark.filterwarnings("ignore:Skipping features without any observed values:UserWarning")
def test_dropped_columns_have_no_output_and_an_imputer_drops_empty_ones() -> None:
    frame = _frame()
    transformer = ColumnTransformer([("x", "passthrough", ["x"])], remainder="drop").fit(frame)
    assert column_sources(transformer, frame.shape[1]) == [2]
    empty = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [np.nan] * 3, "c": [1.0, 2.0, 3.0]})
    imputer = SimpleImputer().fit(empty)
    assert column_sources(imputer, 3) == [0, 2]
    assert imputer.transform(empty).shape[1] == 2
