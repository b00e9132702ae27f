"""Contexts with a real model, and small data sets for explainability tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from governance.data import EvaluationData
from governance.evaluators.context import EvaluationContext
from governance.model_artifact import Predictions
from tests.evaluators.helpers import make_context, manifest_for

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "adult-income"


def model_context(
    model: Any, frame: pd.DataFrame, features: list[str], sensitive: list[str], positive: Any = 1
) -> EvaluationContext:
    """A context as the gate builds it for a model predicting from ``frame[features]``."""
    X = frame[features]
    y_pred = np.asarray(model.predict(X) == positive, dtype=np.int8)
    predictions = Predictions(
        y_pred=y_pred, scores=None, source=type(model).__name__, model=model, features=X
    )
    y_true = np.asarray(frame["y"] == positive, dtype=np.int8)
    data = EvaluationData(frame=frame, y_true=y_true, path=Path("data.csv"), format="csv")
    return EvaluationContext(
        manifest=manifest_for(sensitive, positive, model=True), data=data, predictions=predictions
    )


def column_context(frame: pd.DataFrame, sensitive: list[str]) -> EvaluationContext:
    """A context whose predictions come from a column: there is no model."""
    return make_context(frame, frame["y"], frame["p"], sensitive, source="column p")


def planted_proxy(rows: int = 1500, seed: int = 3) -> pd.DataFrame:
    """``zip`` is a proxy of ``sex`` (same value 90% of the time); the label depends on
    ``zip`` and ``skill``; ``noise`` is independent of everything."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=rows)
    same = rng.random(rows) < 0.9
    zip_code = np.where(same, np.where(sex == "male", "z1", "z2"), rng.choice(["z1", "z2"], rows))
    skill = rng.normal(size=rows)
    noise = rng.normal(size=rows)
    logit = 2.0 * (zip_code == "z1") + 1.5 * skill - 1.0
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"zip": zip_code, "skill": skill, "noise": noise, "sex": sex, "y": y})


def numeric_data(rows: int = 400, seed: int = 1) -> pd.DataFrame:
    """Three numeric features; the label depends on a and b only."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=rows),
            "b": rng.normal(size=rows),
            "c": rng.normal(size=rows),
            "g": rng.choice(["x", "y"], size=rows),
        }
    )
    frame["y"] = ((frame["a"] + 0.5 * frame["b"] + rng.normal(scale=0.5, size=rows)) > 0).astype(
        int
    )
    return frame


def adult_model(name: str = "baseline") -> Any:
    from governance.model_artifact import load_skops

    return load_skops(SAMPLE / "models" / f"{name}.skops", trusted=False)


def adult_frame(rows: int = 3000) -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE / "data" / "adult-test.csv.gz", nrows=rows)
    frame["y"] = frame["income"]
    return frame
