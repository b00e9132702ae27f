"""Hypothesis strategies: random evaluation sets with groups, labels, predictions and scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Bounded: each property runs in seconds, and the same examples every run.
BOUNDED = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass
class Dataset:
    frame: pd.DataFrame
    y_true: np.ndarray
    y_pred: np.ndarray
    scores: np.ndarray
    features: list[str]


@st.composite
def datasets(draw: Any, max_rows: int = 400, max_features: int = 2) -> Dataset:
    """Random sizes, group counts and shares (some intersections empty), label balance,
    prediction quality, and scores (sometimes on a coarse grid, so with ties and bin edges)."""
    rows = draw(st.integers(min_value=2, max_value=max_rows))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    n_features = draw(st.integers(min_value=1, max_value=max_features))
    columns = {}
    for index in range(n_features):
        groups = draw(st.integers(min_value=2, max_value=4))
        weights = rng.dirichlet(np.ones(groups) * draw(st.sampled_from([0.3, 1.0, 5.0])))
        values = rng.choice([f"g{i}" for i in range(groups)], size=rows, p=weights)
        values[:groups] = [f"g{i}" for i in range(groups)][: min(groups, rows)]
        columns[f"s{index}"] = values
    frame = pd.DataFrame(columns)
    balance = draw(st.floats(min_value=0.0, max_value=1.0))
    y_true = (rng.random(rows) < balance).astype(np.int8)
    agreement = draw(st.floats(min_value=0.0, max_value=1.0))
    flip = rng.random(rows) > agreement
    y_pred = np.where(flip, 1 - y_true, y_true).astype(np.int8)
    scores = np.clip(0.5 * y_true + rng.random(rows) * 0.6 - 0.05, 0.0, 1.0)
    if draw(st.booleans()):
        scores = np.round(scores, 1)  # ties, and scores exactly on calibration bin edges
    return Dataset(frame, y_true, y_pred, scores, list(columns))
