"""The counts engine: per-group confusion counts and score statistics, the source of every metric.

Sensitive columns are factorised (``pandas.factorize`` or pyarrow ``dictionary_encode``), the codes
of an intersection combined into one group id, and ``numpy.bincount`` of
``4 * group + 2 * y_true + y_pred`` gives every group's ``(tn, fp, fn, tp)`` in one pass over the
rows. Scores add per-group sums (Σs, Σ(s - y)², Σ|s - y|), the bins of the expected calibration
error, and a fine histogram of scores by label (:data:`FINE_BINS` equal-width bins on [0, 1]) used
for bootstrap intervals and, when the data is streamed, for ROC AUC. With all rows at hand, ROC
AUC is exact, from ranks (Mann-Whitney with average ranks for ties, as scikit-learn).

A :class:`CountsAccumulator` takes the data chunk by chunk, so memory does not grow with the rows;
:func:`count_groups` is the one-chunk shortcut for data in memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from governance.data import encode_column
from governance.evaluators.metrics import (
    CONDITION_REASON,
    METRICS,
    Array,
    condition_rows,
    confusion_metric,
)
from governance.evaluators.multiclass import MatrixCounter, multiclass_metric, undefined_classes
from governance.evaluators.regression import SumsCounter, regression_metric
from governance.evaluators.score_bins import (
    ece_bin_ids,
    ece_from_bins,
    histogram_auc,
    rank_auc,
)

__all__ = [
    "ece_bin_ids",
    "ece_from_bins",
    "histogram_auc",
    "rank_auc",
]

INTERSECTION = " × "
FINE_BINS = 2048
MAX_LISTED_INTERSECTIONS = 1000
DEFAULT_ECE_BINS = 10

Codes = NDArray[np.int64]


class GroupEncoder:
    """Global group ids for the value combinations of ``features``, stable across chunks."""

    def __init__(self, features: Sequence[str]) -> None:
        self.features = tuple(features)
        self.ids: dict[tuple[Any, ...], int] = {}
        self.values: list[tuple[Any, ...]] = []
        self.missing = [0] * len(self.features)

    def _id(self, key: tuple[Any, ...]) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.values)
            self.values.append(key)
        return found

    def encode(self, columns: Sequence[Any], rows: int) -> Codes:
        """Group id of every row of one chunk (one column per feature, ``rows`` long)."""
        if not self.features:
            return np.full(rows, self._id(()), dtype=np.int64)
        encoded = [encode_column(column) for column in columns]
        for index, (_, _, missing) in enumerate(encoded):
            self.missing[index] += missing
        sizes = [max(len(values), 1) for _, values, _ in encoded]
        if float(np.prod(np.asarray(sizes, dtype=np.float64))) >= 2.0**62:
            return self._encode_by_rows(encoded)
        local = np.zeros(rows, dtype=np.int64)
        for (codes, _, _), size in zip(encoded, sizes, strict=True):
            local *= size
            local += np.maximum(codes, 0)
        span = int(np.prod(sizes))
        if span <= max(4 * rows, 1 << 16):
            present = np.flatnonzero(np.bincount(local, minlength=span))
            lookup = np.zeros(span, dtype=np.int64)
            lookup[present] = [self._id(self._key(int(p), encoded, sizes)) for p in present]
            return lookup[local]
        present, inverse = np.unique(local, return_inverse=True)
        ids = np.asarray([self._id(self._key(int(p), encoded, sizes)) for p in present])
        return np.asarray(ids[inverse], dtype=np.int64)

    @staticmethod
    def _key(
        local: int, encoded: list[tuple[Codes, list[Any], int]], sizes: list[int]
    ) -> tuple[Any, ...]:
        digits = []
        for size in reversed(sizes):
            local, digit = divmod(local, size)
            digits.append(digit)
        digits.reverse()
        return tuple(
            values[digit] if values else None
            for digit, (_, values, _) in zip(digits, encoded, strict=True)
        )

    def _encode_by_rows(self, encoded: list[tuple[Codes, list[Any], int]]) -> Codes:
        stacked = np.stack([np.maximum(codes, 0) for codes, _, _ in encoded], axis=1)
        present, inverse = np.unique(stacked, axis=0, return_inverse=True)
        ids = np.asarray(
            [
                self._id(tuple(values[d] for d, (_, values, _) in zip(row, encoded, strict=True)))
                for row in present
            ]
        )
        return np.asarray(ids[inverse.ravel()], dtype=np.int64)


@dataclass(frozen=True)
class ScoreStats:
    """Per-group statistics of the model's scores (``G`` groups).

    Attributes
    ----------
    sums
        ``(G, 3)``: Σs, Σ(s - y)², Σ|s - y|.
    lowest, highest
        The smallest and largest score seen.
    cells
        ``(G, 2, FINE_BINS, 3)``: per label and fine bin the rows, Σs and Σs²; None when some
        score is outside [0, 1].
    ece
        ``{n_bins: (G, n_bins, 3)}``: per calibration bin the rows, Σs and Σy (bins as
        ``sklearn.calibration.calibration_curve(strategy="uniform")``).
    auc
        ``(G,)`` exact ROC AUC per group, when every row was at hand; else None.
    overall_auc
        Exact ROC AUC over all rows, or None.
    """

    sums: Array
    lowest: float
    highest: float
    cells: Array | None
    ece: Mapping[int, Array]
    auc: Array | None = None
    overall_auc: float | None = None

    @property
    def in_unit_interval(self) -> bool:
        """Whether every score is a probability (within [0, 1])."""
        return self.lowest >= 0.0 and self.highest <= 1.0

    def take(self, order: NDArray[np.intp]) -> ScoreStats:
        """The statistics of the groups at ``order``."""
        return ScoreStats(
            sums=self.sums[order],
            lowest=self.lowest,
            highest=self.highest,
            cells=None if self.cells is None else self.cells[order],
            ece={bins: values[order] for bins, values in self.ece.items()},
            auc=None if self.auc is None else self.auc[order],
            overall_auc=self.overall_auc,
        )


class CountsAccumulator:
    """Per-group counts of one grouping, accumulated chunk by chunk.

    Parameters
    ----------
    features
        The sensitive columns defining the groups (intersections when two or more).
    ece_bins
        The numbers of calibration bins to keep (one per ``n_bins`` a rule uses).
    """

    def __init__(
        self, features: Sequence[str], *, ece_bins: Sequence[int] = (), task: str = "binary"
    ) -> None:
        self.encoder = GroupEncoder(features)
        self.task = task
        self.matrix = MatrixCounter() if task == "multiclass" else None
        self.regression = SumsCounter() if task == "regression" else None
        self.ece_bins = tuple(sorted(set(ece_bins) | {DEFAULT_ECE_BINS}))
        self.confusion = np.zeros((0, 4), dtype=np.int64)
        self.sums = np.zeros((0, 3))
        self.cells: Array | None = np.zeros((0, 2, FINE_BINS, 3))
        self.ece = {bins: np.zeros((0, bins, 3)) for bins in self.ece_bins}
        self.has_scores: bool | None = None
        self.lowest = np.inf
        self.highest = -np.inf

    @property
    def features(self) -> tuple[str, ...]:
        """The grouping's columns."""
        return self.encoder.features

    def _grow(self, groups: int) -> None:
        extra = groups - len(self.confusion)
        if extra <= 0:
            return
        self.confusion = np.concatenate([self.confusion, np.zeros((extra, 4), dtype=np.int64)])
        self.sums = np.concatenate([self.sums, np.zeros((extra, 3))])
        if self.cells is not None:
            self.cells = np.concatenate([self.cells, np.zeros((extra, 2, FINE_BINS, 3))])
        for bins in self.ece_bins:
            self.ece[bins] = np.concatenate([self.ece[bins], np.zeros((extra, bins, 3))])

    def add(
        self,
        columns: Sequence[Any],
        y_true: NDArray[Any],
        y_pred: NDArray[Any],
        scores: NDArray[np.float64] | None = None,
    ) -> Codes:
        """Count one chunk; returns its rows' group ids.

        ``y_true`` and ``y_pred`` are 0/1 (binary), class ids (multiclass) or numbers
        (regression).
        """
        rows = len(y_true)
        codes = self.encoder.encode(columns, rows)
        groups = len(self.encoder.values)
        self._grow(groups)
        counter = self.matrix or self.regression
        if counter is not None:
            counter.add(codes, groups, y_true, y_pred)
            self.confusion[:, 0] += np.bincount(codes, minlength=groups)
            return codes
        truth = np.asarray(y_true, dtype=np.int64)
        cell = codes * 4 + truth * 2 + np.asarray(y_pred, dtype=np.int64)
        self.confusion += np.bincount(cell, minlength=groups * 4).reshape(groups, 4)
        if self.has_scores is None:
            self.has_scores = scores is not None
        if self.has_scores and scores is not None and rows:
            self._add_scores(codes, groups, truth, scores)
        return codes

    def _add_scores(
        self, codes: Codes, groups: int, truth: NDArray[np.int64], scores: NDArray[np.float64]
    ) -> None:
        self.lowest = min(self.lowest, float(scores.min()))
        self.highest = max(self.highest, float(scores.max()))
        error = scores - truth
        for column, weights in enumerate((scores, error * error, np.abs(error))):
            self.sums[:, column] += np.bincount(codes, weights=weights, minlength=groups)
        if not (self.lowest >= 0.0 and self.highest <= 1.0):
            self.cells = None
            return
        for bins in self.ece_bins:
            index = codes * bins + ece_bin_ids(scores, bins)
            target = self.ece[bins].reshape(groups * bins, 3)
            target[:, 0] += np.bincount(index, minlength=groups * bins)
            target[:, 1] += np.bincount(index, weights=scores, minlength=groups * bins)
            target[:, 2] += np.bincount(index, weights=truth, minlength=groups * bins)
        if self.cells is not None:
            fine = np.minimum((scores * FINE_BINS).astype(np.int64), FINE_BINS - 1)
            index = (codes * 2 + truth) * FINE_BINS + fine
            flat = self.cells.reshape(groups * 2 * FINE_BINS, 3)
            size = groups * 2 * FINE_BINS
            flat[:, 0] += np.bincount(index, minlength=size)
            flat[:, 1] += np.bincount(index, weights=scores, minlength=size)
            flat[:, 2] += np.bincount(index, weights=scores * scores, minlength=size)

    def result(
        self,
        *,
        auc: Array | None = None,
        overall_auc: float | None = None,
        class_values: Sequence[Any] = (),
    ) -> GroupCounts:
        """The counts, groups in sorted order (``auc`` in encounter order, if exact).

        ``class_values`` are a multiclass task's labels by class id.
        """
        missing = tuple(self.encoder.missing)
        values = self.encoder.values
        if self.matrix is not None:
            classes, matrix = self.matrix.result(class_values)
            return GroupCounts.build(
                self.features, values, matrix, None, missing=missing, classes=classes
            )
        if self.regression is not None:
            sums = self.regression
            return GroupCounts.build(
                self.features,
                values,
                self.confusion[:, :1],
                None,
                missing=missing,
                regression=(sums.sums, sums.histogram),
            )
        stats = None
        if self.has_scores:
            in_unit = self.lowest >= 0.0 and self.highest <= 1.0
            stats = ScoreStats(
                sums=self.sums,
                lowest=float(self.lowest),
                highest=float(self.highest),
                cells=self.cells if in_unit else None,
                ece=dict(self.ece) if in_unit else {},
                auc=auc,
                overall_auc=overall_auc,
            )
        return GroupCounts.build(
            self.features,
            self.encoder.values,
            self.confusion,
            stats,
            missing=tuple(self.encoder.missing),
        )


def _sorted(values: set[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def label_of(group: tuple[Any, ...]) -> str:
    """``"Female × 25-59"``: the values of a group joined."""
    return INTERSECTION.join(str(value) for value in group)


@dataclass(frozen=True)
class GroupCounts:
    """Counts of every non-empty group of one grouping, groups in sorted order.

    Attributes
    ----------
    features
        The grouping's columns.
    groups
        Each group's values, one per feature.
    confusion
        ``(G, 4)`` int64: ``tn, fp, fn, tp`` per group.
    scores
        Score statistics, when the model gives scores.
    empty_intersections
        Labels of value combinations no row has (intersections only).
    missing
        Missing values found per feature (the data loader refuses them).
    """

    features: tuple[str, ...]
    groups: tuple[tuple[Any, ...], ...]
    confusion: NDArray[np.int64]
    scores: ScoreStats | None = None
    empty_intersections: tuple[str, ...] = ()
    more_empty_intersections: int = 0
    missing: tuple[int, ...] = field(default=())
    classes: tuple[Any, ...] = ()
    """A multiclass task's labels, sorted; ``confusion`` then holds ``(G, K * K)`` matrices."""
    regression: Array | None = None
    """A regression task's ``(G, SUMS)`` sums; ``confusion`` then holds ``(G, 1)`` rows."""
    residuals: NDArray[np.int64] | None = None
    """A regression task's ``(G, RESIDUAL_BINS)`` residual histograms."""
    average: str = "macro"
    """How a multiclass view averages its classes (``macro`` or ``micro``)."""
    selected: tuple[int, ...] = ()
    """The classes a multiclass view averages over (all when empty)."""
    view: str = ""
    """What part of the counts this is: ``""`` (all), ``class <label>``, ``macro``, ``micro``."""

    @classmethod
    def build(
        cls,
        features: tuple[str, ...],
        values: Sequence[tuple[Any, ...]],
        confusion: NDArray[np.int64],
        scores: ScoreStats | None,
        *,
        missing: tuple[int, ...] = (),
        classes: tuple[Any, ...] = (),
        regression: tuple[Array, NDArray[np.int64]] | None = None,
    ) -> GroupCounts:
        """Sort the groups as fairlearn does (by each feature's sorted values)."""
        per_feature = [_sorted({group[i] for group in values}) for i in range(len(features))]
        ranks = [{value: rank for rank, value in enumerate(vals)} for vals in per_feature]
        keys = [tuple(ranks[i][group[i]] for i in range(len(features))) for group in values]
        order = np.asarray(sorted(range(len(values)), key=keys.__getitem__), dtype=np.intp)
        groups = tuple(values[i] for i in order)
        empty: list[str] = []
        more = 0
        if len(features) > 1:
            present = set(groups)
            total = int(np.prod([len(v) for v in per_feature], dtype=np.float64))
            absent = total - len(present)
            if absent:
                for combination in itertools.product(*per_feature):
                    if combination not in present:
                        if len(empty) == MAX_LISTED_INTERSECTIONS:
                            break
                        empty.append(label_of(combination))
                more = absent - len(empty)
        return cls(
            features=features,
            groups=groups,
            confusion=confusion[order],
            scores=None if scores is None else scores.take(order),
            empty_intersections=tuple(empty),
            more_empty_intersections=more,
            missing=missing,
            classes=classes,
            regression=None if regression is None else regression[0][order],
            residuals=None if regression is None else regression[1][order],
        )

    @property
    def labels(self) -> list[str]:
        """Each group's label."""
        return [label_of(group) for group in self.groups]

    @property
    def sizes(self) -> NDArray[np.int64]:
        """Rows per group."""
        sizes: NDArray[np.int64] = self.confusion.sum(axis=1)
        return sizes

    @property
    def rows(self) -> int:
        """Rows over all groups."""
        return int(self.confusion.sum())

    def distinct(self, feature: str) -> list[Any]:
        """The values of ``feature`` that occur."""
        index = self.features.index(feature)
        return _sorted({group[index] for group in self.groups})

    @property
    def task(self) -> str:
        """``binary``, ``multiclass`` or ``regression``."""
        if self.regression is not None:
            return "regression"
        return "multiclass" if self.classes else "binary"

    @property
    def key(self) -> tuple[Any, ...]:
        """The grouping and the view, for caches and seeds."""
        return (self.features, self.view) if self.view else (self.features,)

    def from_cells(self, name: str, cells: NDArray[Any]) -> Array:
        """A confusion metric from cells shaped as :attr:`confusion` (resamples included)."""
        if self.classes:
            selected = self.selected or tuple(range(len(self.classes)))
            return multiclass_metric(name, cells, self.average, selected)
        return confusion_metric(name, cells)

    def metric(self, name: str, *, n_bins: int = DEFAULT_ECE_BINS) -> tuple[Array, float]:
        """``name`` for every group, and overall."""
        if self.regression is not None:
            return regression_metric(name, self.regression), float(
                regression_metric(name, self.regression.sum(axis=0))
            )
        definition = METRICS[name]
        if definition.kind == "confusion":
            by_group = self.from_cells(name, self.confusion)
            overall = float(self.from_cells(name, self.confusion.sum(axis=0)))
            return by_group, overall
        return score_metric(name, self, n_bins=n_bins)

    def undefined(self, name: str, *, only: Sequence[int] | None = None) -> list[str]:
        """``"<metric> is undefined for <group> (<reason>)"`` for each group where it is.

        ``only`` restricts the answer to the groups of those indices (the groups compared).
        """
        condition = METRICS[name].condition
        if self.regression is not None:
            values = regression_metric(name, self.regression)
            return [
                f"{name} is undefined for {label} (fewer than two rows)"
                for index, (label, value) in enumerate(zip(self.labels, values, strict=True))
                if np.isnan(value) and (only is None or index in only)
            ]
        if self.classes:
            selected = self.selected or tuple(range(len(self.classes)))
            reasons = undefined_classes(
                name, condition, self.confusion, self.average, selected, self.classes
            )
            return [
                f"{name} is undefined for {label} ({reason})"
                for index, (label, reason) in enumerate(zip(self.labels, reasons, strict=True))
                if reason is not None and (only is None or index in only)
            ]
        if condition is None:
            return []
        rows = condition_rows(condition, self.confusion)
        reason = CONDITION_REASON[condition]
        return [
            f"{name} is undefined for {label} ({reason})"
            for index, (label, count) in enumerate(zip(self.labels, rows, strict=True))
            if count == 0 and (only is None or index in only)
        ]


class ScoresUnavailable(Exception):
    """A score metric was asked for where the scores cannot give it (message says why)."""


def score_metric(name: str, counts: GroupCounts, *, n_bins: int) -> tuple[Array, float]:
    """A score or value metric per group and overall, from the score statistics."""
    stats = counts.scores
    if stats is None:
        raise ScoresUnavailable(f"{name} needs scores")
    sizes = counts.sizes.astype(np.float64)
    total = float(sizes.sum())
    sums = stats.sums
    overall_sums = sums.sum(axis=0)
    if name == "mean_prediction":
        return sums[:, 0] / sizes, float(overall_sums[0] / total)
    if name == "brier_score":
        return sums[:, 1] / sizes, float(overall_sums[1] / total)
    if name == "mean_residual":  # Σ(s - y) / n: the mean score less the positive share
        residual = sums[:, 0] - (counts.confusion[:, 2] + counts.confusion[:, 3])
        return residual / sizes, float(residual.sum() / total)
    if name == "mean_absolute_error":
        return sums[:, 2] / sizes, float(overall_sums[2] / total)
    if name == "root_mean_squared_error":
        return np.sqrt(sums[:, 1] / sizes), float(np.sqrt(overall_sums[1] / total))
    if name == "r2":
        confusion = counts.confusion.astype(np.float64)
        positives = confusion[:, 2] + confusion[:, 3]
        return _r2(sums[:, 1], positives, sizes), float(
            _r2(overall_sums[1:2], positives.sum(keepdims=True), np.asarray([total]))[0]
        )
    if name == "expected_calibration_error":
        bins = stats.ece.get(n_bins)
        if bins is None:
            raise ScoresUnavailable(f"{name} with n_bins {n_bins} was not counted")
        return ece_from_bins(bins), float(ece_from_bins(bins.sum(axis=0))[()])
    if name == "roc_auc":
        if stats.auc is not None and stats.overall_auc is not None:
            return stats.auc, stats.overall_auc
        if stats.cells is None:
            raise ScoresUnavailable(
                "roc_auc of streamed data needs scores within [0, 1] "
                f"(they range over [{stats.lowest:g}, {stats.highest:g}])"
            )
        auc, _ = histogram_auc(stats.cells[:, 0, :, 0], stats.cells[:, 1, :, 0])
        overall, _ = histogram_auc(
            stats.cells[:, 0, :, 0].sum(axis=0), stats.cells[:, 1, :, 0].sum(axis=0)
        )
        return auc, float(overall)
    raise KeyError(name)


def auc_error_bound(counts: GroupCounts) -> float | None:
    """The largest possible error of a histogram ROC AUC over the groups, or None if exact."""
    stats = counts.scores
    if stats is None or stats.cells is None or stats.auc is not None:
        return None
    _, bound = histogram_auc(stats.cells[:, 0, :, 0], stats.cells[:, 1, :, 0])
    finite = bound[np.isfinite(bound)]
    return float(finite.max()) if finite.size else None


def _r2(squared_error: Array, positives: Array, sizes: Array) -> Array:
    # scikit-learn's r2_score with force_finite=True: 1.0 for a perfect fit of a constant
    # target, 0.0 otherwise, NaN for a single row. The target is 0/1, so Σ(y - ȳ)² = P·N / n.
    total = positives * (sizes - positives) / sizes
    out = np.where(squared_error == 0, 1.0, 0.0)
    np.divide(squared_error, total, out=out, where=total > 0)
    return np.where(sizes < 2, np.nan, np.where(total > 0, 1.0 - out, out))


def count_groups(
    columns: Sequence[Any],
    features: Sequence[str],
    y_true: NDArray[Any],
    y_pred: NDArray[Any],
    scores: NDArray[np.float64] | None = None,
    *,
    ece_bins: Sequence[int] = (),
    task: str = "binary",
    class_values: Sequence[Any] = (),
) -> GroupCounts:
    """Counts of every group from whole columns in memory (ROC AUC exact)."""
    accumulator = CountsAccumulator(features, ece_bins=ece_bins, task=task)
    codes = accumulator.add(columns, y_true, y_pred, scores)
    if task != "binary":
        return accumulator.result(class_values=class_values)
    auc = overall = None
    if scores is not None:
        groups = len(accumulator.encoder.values)
        auc = rank_auc(codes, y_true, scores, groups)
        overall = float(rank_auc(np.zeros_like(codes), y_true, scores, 1)[0])
    return accumulator.result(auc=auc, overall_auc=overall)
