"""Association measures agree with SciPy and scikit-learn, and stay on a 0-1 scale."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association as scipy_association
from sklearn.metrics import mutual_info_score

from governance.evaluators.association import association_table, association_values, prepare


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


# The fast measures against plain implementations, to 1e-12 ----------------------------------


def _mixed_frame(rows: int = 4000, seed: int = 7) -> pd.DataFrame:
    """Every kind of column the table meets: strings with missing values, categories, bools,
    nullable integers, floats with NaN, constants, many levels; some planted associations."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m", None], size=rows, p=[0.48, 0.48, 0.04])
    role = np.where(rng.random(rows) < 0.7, np.where(sex == "m", "husband", "wife"), "child")
    hours = np.where(sex == "m", 44.0, 36.0) + rng.normal(scale=6, size=rows)
    return pd.DataFrame(
        {
            "sex": pd.Series(sex, dtype="str"),
            "race": pd.Categorical(
                rng.choice(["a", "b", "c", "d"], size=rows, p=[0.7, 0.2, 0.07, 0.03])
            ),
            "senior": rng.random(rows) < 0.2,
            "income": rng.lognormal(10, 1, size=rows),
            "role": role,
            "colour": pd.Series(rng.choice(["red", "green", None], size=rows), dtype=object),
            "zip": pd.Series(rng.integers(0, 900, size=rows).astype(str), dtype="str"),
            "children": pd.array(
                np.where(rng.random(rows) < 0.1, None, rng.integers(0, 5, size=rows)),
                dtype="Int64",
            ),
            "hours": np.where(rng.random(rows) < 0.05, np.nan, hours),
            "capital": np.where(rng.random(rows) < 0.9, 0.0, rng.exponential(5000, size=rows)),
            "tenth": 0.1,  # constant, with a mean that is not exactly 0.1 in floating point
            "same": "x",
        }
    )


def _labels(series: pd.Series) -> np.ndarray:
    """Category labels as strings, a missing value a label of its own."""
    return np.asarray(series.astype(object).where(series.notna(), "<missing>").astype(str))


def _reference_cramers_v(a: pd.Series, b: pd.Series) -> tuple[float, float]:
    from scipy.stats import chi2_contingency

    la, lb = _labels(a), _labels(b)
    table = pd.crosstab(la, lb).to_numpy()
    if min(table.shape) < 2:
        return 0.0, 0.0
    chi2 = chi2_contingency(table, correction=False).statistic
    v = math.sqrt(chi2 / (table.sum() * (min(table.shape) - 1)))
    return v, mutual_info_score(la, lb) / math.log(2)


def _reference_eta(groups: pd.Series, numeric: pd.Series) -> float:
    values = numeric.astype("float64").to_numpy(na_value=np.nan)
    keep = ~np.isnan(values)
    x, labels = values[keep], _labels(groups)[keep]
    if len(x) == 0 or x.min() == x.max() or len(set(labels)) < 2:
        return 0.0
    frame = pd.DataFrame({"g": labels, "x": x})
    means = frame.groupby("g")["x"].transform("mean").to_numpy()
    return math.sqrt(((means - x.mean()) ** 2).sum() / ((x - x.mean()) ** 2).sum())


def _reference_pearson(a: pd.Series, b: pd.Series) -> float:
    from scipy.stats import pearsonr

    x = a.astype("float64").to_numpy(na_value=np.nan)
    y = b.astype("float64").to_numpy(na_value=np.nan)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < 2 or x.min() == x.max() or y.min() == y.max():
        return 0.0
    return abs(float(pearsonr(x, y).statistic))


def _categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
        series.dtype
    )


@pytest.mark.parametrize("seed", [7, 8])
def test_every_measure_equals_a_plain_reference_implementation(seed: int) -> None:
    frame = _mixed_frame(seed=seed)
    targets = ["sex", "race", "senior", "income", "children"]
    values = association_values(frame, {name: frame[name] for name in targets})
    checked = 0
    for feature in frame.columns:
        for target in targets:
            link = values[feature][target]
            a, b = frame[feature], frame[target]
            if _categorical(a) and _categorical(b):
                v, bits = _reference_cramers_v(a, b)
                assert link.measure == "cramers_v"
                assert link.value == pytest.approx(v, abs=1e-12), (feature, target)
                assert link.information_bits == pytest.approx(bits, abs=1e-12), (feature, target)
            elif _categorical(a) or _categorical(b):
                groups, numeric = (a, b) if _categorical(a) else (b, a)
                assert link.measure == "correlation_ratio"
                expected = _reference_eta(groups, numeric)
                assert link.value == pytest.approx(expected, abs=1e-12), (feature, target)
            else:
                assert link.measure == "abs_pearson"
                expected = _reference_pearson(a, b)
                assert link.value == pytest.approx(expected, abs=1e-12), (feature, target)
            checked += 1
    assert checked == len(frame.columns) * len(targets)
    # the planted associations are found, the constants associated with nothing
    assert values["role"]["sex"].value > 0.5
    assert values["hours"]["sex"].value > 0.4
    assert all(values["tenth"][t].value == 0.0 for t in targets)
    assert all(values["same"][t].value == 0.0 for t in targets)


def test_columns_measured_one_at_a_time_equal_columns_measured_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import governance.evaluators.association as association

    frame = _mixed_frame(rows=1000)
    sensitive = {name: frame[name] for name in ("sex", "race", "senior", "income")}
    together = association_values(frame, sensitive)
    monkeypatch.setattr(association, "BATCH_CELLS", 1)  # one feature per bincount
    monkeypatch.setattr(association, "JOINT_CELLS", 1)  # one sensitive attribute at a time
    alone = association_values(frame, sensitive)
    assert list(alone) == list(together)
    for feature, links in together.items():
        assert list(alone[feature]) == list(links)  # attributes in the order given
        for target, link in links.items():
            assert alone[feature][target].measure == link.measure
            assert alone[feature][target].value == pytest.approx(link.value, abs=1e-12)


def test_a_constant_numeric_column_is_associated_with_nothing() -> None:
    # 0.1 summed 6 times and divided by 6 is not 0.1: without care the rounding noise left
    # after centering would be "explained" entirely by any grouping (a correlation ratio of 1)
    frame = pd.DataFrame({"tenth": [0.1] * 6, "s": ["x", "y", "x", "y", "x", "z"]})
    table = association_table(frame[["tenth"]], frame[["s"]])
    assert table["tenth"]["s"] == {"measure": "correlation_ratio", "value": 0.0}
