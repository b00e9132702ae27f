"""Build an EvaluationContext straight from arrays, without files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from governance.data import EvaluationData
from governance.evaluators.context import EvaluationContext
from governance.manifest import Manifest, ManifestSpec
from governance.model_artifact import Predictions
from governance.yaml_source import LocatedDict


def manifest_for(sensitive: list[str], positive: Any = 1, model: bool = False) -> Manifest:
    """A manifest of model ``m``: target ``y``, the model ``model.skops`` or predictions ``p``."""
    data: dict[str, Any] = {
        "path": "data.csv",
        "target": "y",
        "positive_label": positive,
        "sensitive_features": sensitive,
    }
    if not model:
        data["prediction"] = "p"
    spec = ManifestSpec.model_validate(
        {
            "apiVersion": "governance/v1",
            "kind": "Model",
            "metadata": {
                "name": "m",
                "version": "1.0.0",
                "owner": "o",
                "risk_tier": "high",
                "intended_use": "tests",
            },
            **({"model": {"path": "model.skops"}} if model else {}),
            "data": data,
        }
    )
    return Manifest(path=Path("m.yaml"), spec=spec, digest="", document=LocatedDict())


def make_context(
    frame: pd.DataFrame,
    y_true: Any,
    y_pred: Any,
    sensitive: list[str],
    scores: Any = None,
    source: str = "test",
) -> EvaluationContext:
    """A context whose predictions (and scores) are given: there is no model."""
    data = EvaluationData(
        frame=frame, y_true=np.asarray(y_true, dtype=np.int8), path=Path("data.csv"), format="csv"
    )
    predictions = Predictions(
        y_pred=np.asarray(y_pred, dtype=np.int8),
        scores=None if scores is None else np.asarray(scores, dtype=float),
        source=source,
    )
    return EvaluationContext(manifest=manifest_for(sensitive), data=data, predictions=predictions)
