"""What every check sees: the manifest, the data, the predictions, and shared evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from governance.data import EvaluationData
from governance.manifest import Manifest
from governance.model_artifact import Predictions

if TYPE_CHECKING:
    import numpy as np

    from governance.lineage.snapshot import LineageSnapshot

T = TypeVar("T")


@dataclass
class EvaluationContext:
    """Inputs of one evaluation and a cache so evidence is computed once per evaluation."""

    manifest: Manifest
    data: EvaluationData
    predictions: Predictions
    lineage: LineageSnapshot | None = field(default=None, repr=False)
    """The model's recorded lineage, loaded by the gate when a policy has lineage checks."""
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    @property
    def y_true(self) -> np.ndarray[Any, np.dtype[np.int8]]:
        """1 where the target equals the positive label."""
        return self.data.y_true

    @property
    def y_pred(self) -> np.ndarray[Any, np.dtype[np.int8]]:
        """1 where the model predicts the positive label."""
        return self.predictions.y_pred

    @property
    def model(self) -> Any:
        """The loaded model, or None when predictions come from a column."""
        return self.predictions.model

    @property
    def features(self) -> Any:
        """The feature DataFrame the model predicted from, or None without a model."""
        return self.predictions.features

    def feature_sets(self, requested: list[str] | None) -> list[tuple[str, ...]]:
        """Groupings to examine: the rule's columns together, or each sensitive feature alone."""
        if requested:
            return [tuple(requested)]
        return [(name,) for name in self.manifest.spec.data.sensitive_features]

    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key`` for this evaluation."""
        if key not in self._cache:
            self._cache[key] = compute()
        result: T = self._cache[key]
        return result
