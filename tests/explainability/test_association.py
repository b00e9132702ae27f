"""Association measures agree with SciPy and scikit-learn, and stay on a 0-1 scale."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association as scipy_association
from sklearn.metrics import mutual_info_score

from governance.evaluators.association import association_table, prepare


def _frame(rows: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], size=rows)
    role = np.where(rng.random(rows) < 0.8, np.where(sex == "m", "husband", "wife"), "child")
    colour = rng.choice(["red", "green", "blue"], size=rows)
    hours = np.where(sex == "m", 45.0, 35.0) + rng.normal(scale=5, size=rows)
    age = rng.normal(40, 10, size=rows)
    return pd.DataFrame({"sex": sex, "role": role, "colour": colour, "hours": hours, "age": age})


def test_cramers_v_and_mutual_information_equal_scipy_and_sklearn() -> None:
    frame = _frame()
    table = association_table(frame[["role", "colour"]], frame[["sex"]])
    crosstab = pd.crosstab(frame["role"], frame["sex"]).to_numpy()
    expected_v = scipy_association(crosstab, method="cramer")
    assert table["role"]["sex"]["measure"] == "cramers_v"
    assert table["role"]["sex"]["value"] == pytest.approx(expected_v, abs=1e-6)
    bits = mutual_info_score(frame["role"], frame["sex"]) / math.log(2)
    assert table["role"]["sex"]["mutual_information_bits"] == pytest.approx(bits, abs=1e-6)
    assert table["role"]["sex"]["value"] > 0.7  # planted
    assert table["colour"]["sex"]["value"] < 0.1  # independent


def test_correlation_ratio_for_numeric_features_and_pearson_for_two_numerics() -> None:
    frame = _frame()
    table = association_table(frame[["hours", "age"]], frame[["sex", "age"]])
    hours = table["hours"]["sex"]
    assert hours["measure"] == "correlation_ratio"
    # eta^2 = between-group sum of squares / total sum of squares
    means = frame.groupby("sex")["hours"].transform("mean")
    eta = math.sqrt(
        ((means - frame["hours"].mean()) ** 2).sum()
        / ((frame["hours"] - frame["hours"].mean()) ** 2).sum()
    )
    assert hours["value"] == pytest.approx(eta, abs=1e-6)
    assert table["age"]["age"] == {"measure": "abs_pearson", "value": 1.0}
    assert table["age"]["sex"]["value"] < 0.1


def test_constant_columns_and_missing_values_give_zero_not_nan() -> None:
    frame = pd.DataFrame(
        {
            "same": ["a"] * 6,
            "number": [1.0, np.nan, 3.0, 4.0, np.nan, 6.0],
            "flat": [2.0] * 6,
            "s": ["x", "y", "x", "y", None, "x"],
        }
    )
    table = association_table(frame[["same", "number", "flat"]], frame[["s"]])
    assert table["same"]["s"]["value"] == 0.0
    assert table["flat"]["s"]["value"] == 0.0
    assert 0.0 <= table["number"]["s"]["value"] <= 1.0
    assert prepare("s", frame["s"]).levels == 3  # missing is a category of its own


def test_large_data_is_measured_on_a_seeded_sample() -> None:
    frame = _frame(rows=5000)
    sampled = association_table(frame[["role"]], frame[["sex"]], max_rows=1000, seed=1)
    again = association_table(frame[["role"]], frame[["sex"]], max_rows=1000, seed=1)
    full = association_table(frame[["role"]], frame[["sex"]])
    assert sampled == again
    assert sampled != full
    assert sampled["role"]["sex"]["value"] == pytest.approx(full["role"]["sex"]["value"], abs=0.05)
