"""The named disparity checks equal fairlearn's functions and MetricFrame aggregates to 1e-9;
reference groups are found by label or by mapping."""

from __future__ import annotations

import math
import warnings

import fairlearn.metrics as fm
import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from governance.checks.params import CalibrationParams, DisparityParams
from governance.evaluators import fairness
from tests.evaluators.helpers import make_context
from tests.evaluators.strategies import BOUNDED, Dataset, datasets
from tests.evaluators.test_counts_match_fairlearn import ON_PREDICTIONS, ON_SCORES, _below_one


def close(ours: float | None, theirs: float) -> bool:
    if ours is None:
        return math.isnan(theirs)
    return ours == theirs or abs(ours - theirs) <= 1e-9


@BOUNDED
@given(data=datasets(), method=st.sampled_from(["between_groups", "to_overall"]))
def test_named_disparity_checks_equal_fairlearn(data: Dataset, method: str) -> None:
    context = make_context(data.frame, data.y_true, data.y_pred, data.features, data.scores)
    sensitive = data.frame[data.features]
    common = {"sensitive_features": data.features, "method": method, "min_group_size": 1}
    kwargs = {"sensitive_features": sensitive, "method": method}
    params = DisparityParams(**common, n_boot=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eo_ratio = fm.equal_opportunity_ratio(data.y_true, data.y_pred, **kwargs)
        ppv = fm.MetricFrame(
            metrics=ON_PREDICTIONS["precision"],
            y_true=data.y_true,
            y_pred=data.y_pred,
            sensitive_features=sensitive,
        )
        ece = fm.MetricFrame(
            metrics=ON_SCORES["expected_calibration_error"],
            y_true=data.y_true,
            y_pred=data.scores,
            sensitive_features=sensitive,
        )
    assert close(fairness.equal_opportunity_ratio(context, params).value, eo_ratio)
    assert close(
        fairness.predictive_parity_difference(context, params).value, ppv.difference(method=method)
    )
    assert close(fairness.predictive_parity_ratio(context, params).value, ppv.ratio(method=method))
    gap = fairness.calibration_gap(context, CalibrationParams(**common, n_boot=0)).value
    assert close(gap, ece.difference(method=method))


def test_reference_group_as_a_mapping_and_as_a_label_agree() -> None:
    rng = np.random.default_rng(4)
    rows = 600
    frame = pd.DataFrame(
        {"sex": rng.choice(["f", "m"], size=rows), "age": rng.choice(["<25", "25+"], size=rows)}
    )
    y = (rng.random(rows) < 0.4).astype(np.int8)
    p = (rng.random(rows) < 0.5).astype(np.int8)
    context = make_context(frame, y, p, ["sex", "age"])
    common = {"sensitive_features": ["sex", "age"], "method": "to_reference", "n_boot": 0}
    by_label = fairness.demographic_parity_ratio(
        context, DisparityParams(**common, reference_group="m × 25+")
    )
    by_mapping = fairness.demographic_parity_ratio(
        context, DisparityParams(**common, reference_group={"sex": "m", "age": "25+"})
    )
    assert by_label.value == by_mapping.value
    assert by_label.evidence["tables"][0]["reference"] == "m × 25+"
    rates = pd.Series(p).groupby([frame.sex, frame.age]).mean()
    assert by_label.value == min(_below_one(r / rates[("m", "25+")]) for r in rates)
