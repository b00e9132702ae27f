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


def make_context(
    frame: pd.DataFrame,
    y_true: Any,
    y_pred: Any,
    sensitive: list[str],
    scores: Any = None,
) -> EvaluationContext:
    spec = ManifestSpec.model_validate(
        {
            "apiVersion": "governance/v1",
            "kind": "Model",
            "metadata": {
                "name": "m",
                "version": "1",
                "owner": "o",
                "risk_tier": "high",
                "intended_use": "tests",
            },
            "data": {
                "path": "data.csv",
                "target": "y",
                "positive_label": 1,
                "prediction": "p",
                "sensitive_features": sensitive,
            },
        }
    )
    manifest = Manifest(path=Path("m.yaml"), spec=spec, digest="", document=LocatedDict())
    data = EvaluationData(
        frame=frame, y_true=np.asarray(y_true, dtype=np.int8), path=Path("data.csv"), format="csv"
    )
    predictions = Predictions(
        y_pred=np.asarray(y_pred, dtype=np.int8),
        scores=None if scores is None else np.asarray(scores, dtype=float),
        source="test",
    )
    return EvaluationContext(manifest=manifest, data=data, predictions=predictions)
