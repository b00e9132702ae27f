"""What every check sees: the manifest, the data, the predictions, and shared evidence.

Small data is held whole: ``data.frame``, ``y_true``, ``y_pred``, ``scores`` and ``features``
cover every row. Data too large to hold (see :mod:`governance.evaluators.stream`) is read once in
chunks: the per-group counts of every grouping the policies use are accumulated on the way
(``counts``), and the row-level attributes hold a seeded uniform sample of the rows instead
(``data.sampled`` is true, ``data.rows`` is still the full count). Checks needing per-row data
(explainability) work on that sample; fairness and performance checks use the counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from governance.config import Settings
from governance.data import EvaluationData
from governance.errors import DataError
from governance.manifest import Manifest
from governance.model_artifact import Predictions

if TYPE_CHECKING:
    import numpy as np

    from governance.evaluators.counts import GroupCounts
    from governance.evaluators.paired import Champion
    from governance.lineage.snapshot import LineageSnapshot

T = TypeVar("T")


@dataclass
class EvaluationContext:
    """Inputs of one evaluation and a cache so evidence is computed once per evaluation."""

    manifest: Manifest
    data: EvaluationData
    predictions: Predictions
    counts: dict[tuple[str, ...], GroupCounts] = field(default_factory=dict, repr=False)
    lineage: LineageSnapshot | None = field(default=None, repr=False)
    """The model's recorded lineage, loaded by the gate when a policy has lineage checks."""
    lineage_by_sources: dict[str, LineageSnapshot] = field(default_factory=dict, repr=False)
    """The lineage as rules with ``sources`` see it, by ``EventSources.key``."""
    engine: dict[str, Any] | None = field(default=None, repr=False)
    """The SQL engine that counted the data (the record's ``artifacts.data.engine``), if any."""
    settings: Settings = field(default_factory=Settings, repr=False)
    approved_waivers: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    """Waiver digest -> roles whose signed approval of it the store holds, verified (read by
    the gate before evaluation: :func:`governance.approvals.load_waiver_approvals`)."""
    """The command's resolved settings (flags, environment, file); the defaults if none given."""
    reference: Any = field(default=None, repr=False)
    """Reference data (a pandas DataFrame) for the drift checks whose rule names no file, e.g.
    the baseline's data handed over by a monitor; None when there is none."""
    look: int | None = field(default=None, repr=False)
    """The window's number (from 1) when a monitor evaluates a window of a production log: the
    look of rules with ``sequential: true``; None (look 1) otherwise."""
    baseline: Champion | None = field(default=None, repr=False)
    """The champion's predictions on these rows (``check --baseline``); None without one."""
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    @property
    def task(self) -> str:
        """The manifest's ``data.task``: ``binary``, ``multiclass`` or ``regression``."""
        return self.manifest.spec.data.task

    @property
    def y_true(self) -> np.ndarray[Any, np.dtype[np.int8]]:
        """1 where the target equals the positive label (rows of ``data.frame``).

        A multiclass task holds class ids (``data.class_values``), a regression task numbers.
        """
        return self.data.y_true

    @property
    def y_pred(self) -> np.ndarray[Any, np.dtype[np.int8]]:
        """1 where the model predicts the positive label (rows of ``data.frame``)."""
        return self.predictions.y_pred

    @property
    def model(self) -> Any:
        """The loaded model, or None when predictions come from a column."""
        return self.predictions.model

    @property
    def features(self) -> Any:
        """The feature DataFrame the model predicted from (rows of ``data.frame``), or None."""
        return self.predictions.features

    def feature_sets(self, requested: list[str] | None) -> list[tuple[str, ...]]:
        """Groupings to examine: the rule's columns together, or each sensitive feature alone."""
        if requested:
            return [tuple(requested)]
        return [(name,) for name in self.manifest.spec.data.sensitive_features]

    def group_counts(
        self, features: tuple[str, ...], *, ece_bins: Sequence[int] = ()
    ) -> GroupCounts:
        """Per-group counts of ``features``: counted while streaming, or now from the rows."""
        counted = self.counts.get(features)
        if counted is not None and _has_bins(counted, ece_bins):
            return counted
        if self.data.sampled:
            raise DataError(
                f"grouping {' × '.join(features)} was not counted while the data was streamed "
                "(only groupings that the policies name are counted)",
                path=self.data.path,
            )
        bins = tuple(sorted(set(ece_bins)))
        return self.cached(("counts", features, bins), lambda: self._count(features, bins))

    def _count(self, features: tuple[str, ...], bins: tuple[int, ...]) -> GroupCounts:
        from governance.evaluators.counts import count_groups

        frame = self.data.frame
        return count_groups(
            [frame[name] for name in features],
            features,
            self.y_true,
            self.y_pred,
            self.predictions.scores,
            ece_bins=bins,
            task=self.manifest.spec.data.task,
            class_values=self.data.class_values,
        )

    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key`` for this evaluation."""
        if key not in self._cache:
            self._cache[key] = compute()
        result: T = self._cache[key]
        return result


def _has_bins(counts: GroupCounts, bins: Sequence[int]) -> bool:
    if counts.scores is None or not counts.scores.ece:
        return True  # no scores, or scores outside [0, 1]: nothing more to count
    return all(n in counts.scores.ece for n in bins)
