"""The counting query's result (a pyarrow table) as per-group counts, as the arrow path has them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from governance.data.engines.query import CountsQuery
from governance.data.labels import _is_numeric_type, value_matches


@dataclass
class Labels:
    """Distinct values of the target or the prediction, and rows missing one."""

    values: dict[Any, int] = field(default_factory=dict)
    """Each value and its rows (over one grouping's confusion rows)."""
    missing: int = 0
    numeric: bool = False


@dataclass
class Scores:
    """Problems of the score column over all rows."""

    missing: int = 0
    infinite: int = 0


@dataclass(frozen=True)
class QueryResult:
    """Per-group counts of every grouping, with what the label and score checks need."""

    counts: dict[tuple[str, ...], Any]
    target: Labels
    prediction: Labels
    scores: Scores
    rows: int
    group_missing: dict[str, int]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def read_result(
    table: Any, query: CountsQuery, positive_label: Any, *, fine_bins: int
) -> QueryResult:
    """Per-group counts (:class:`~governance.evaluators.counts.GroupCounts`) of every grouping.

    Parameters
    ----------
    table
        The query's result as a pyarrow table.
    query
        The query that gave it.
    positive_label
        The manifest's positive label.
    fine_bins
        The fine histogram's bin count.
    """
    values = {name: table.column(name).to_pylist() for name in table.column_names}
    numbers = {
        name: np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)
        for name in table.column_names
        if name.startswith("g_") or name in _NUMBERS
    }
    numbers = {name: np.nan_to_num(array, nan=0.0) for name, array in numbers.items()}
    numeric = {dim: _is_numeric_type(table.schema.field(dim).type) for dim in ("t", "p")}
    cache: dict[Any, int] = {}

    def positive(dim: str, value: Any) -> int:
        key = (dim, type(value), value)
        if key not in cache:
            cache[key] = int(value_matches(value, positive_label, numeric[dim]))
        return cache[key]

    kinds = _kinds(numbers, query, len(values["t"]))
    target, prediction = Labels(numeric=numeric["t"]), Labels(numeric=numeric["p"])
    scores = Scores()
    group_missing = dict.fromkeys(query.keys, 0)
    counted_missing: set[str] = set()
    counts: dict[tuple[str, ...], Any] = {}
    total = 0
    for number, grouping in enumerate(query.groupings):
        keys = [f"k{query.keys.index(name)}" for name in grouping]
        mine = np.ones(len(kinds), dtype=bool)
        for index in range(len(query.keys)):
            flags = numbers[f"g_k{index}"]
            mine &= flags == (0 if f"k{index}" in keys else 1)
        rows_p = np.flatnonzero(mine & (kinds == "p"))
        for row in rows_p:
            n = int(values["n"][row])
            if number == 0:
                total += n
                _label(target, values["t"][row], n)
                _label(prediction, values["p"][row], n)
                if query.scored:
                    scores.missing += n - int(values["ns"][row]) + int(values["nan"][row] or 0)
                    scores.infinite += int(values["inf"][row] or 0)
            for name, key in zip(grouping, keys, strict=True):
                if name not in counted_missing and _is_missing(values[key][row]):
                    group_missing[name] += n
        counted_missing.update(grouping)
        counts[tuple(grouping)] = _grouping_counts(
            grouping, keys, values, numbers, kinds, mine, query, positive, fine_bins
        )
    return QueryResult(counts, target, prediction, scores, total, group_missing)


_NUMBERS = ("n", "s1", "s2", "a0", "a1", "q1", "f")


def _kinds(numbers: dict[str, Any], query: CountsQuery, rows: int) -> Any:
    """Which set each result row belongs to: ``p`` (confusion), ``f`` (fine bins), ``e<i>``."""
    kinds = np.full(rows, "", dtype=object)
    if query.scored:
        for index in reversed(range(len(query.ece_bins))):
            kinds[numbers[f"g_e{index}"] == 0] = f"e{index}"
        kinds[numbers["g_f"] == 0] = "f"
    kinds[numbers["g_p"] == 0] = "p"
    return kinds


def _grouping_counts(
    grouping: Sequence[str],
    keys: list[str],
    values: dict[str, list[Any]],
    numbers: dict[str, Any],
    kinds: Any,
    mine: Any,
    query: CountsQuery,
    positive: Any,
    fine_bins: int,
) -> Any:
    from governance.evaluators.counts import GroupCounts, ScoreStats

    usable = mine.copy()
    for row in np.flatnonzero(mine):
        if _is_missing(values["t"][row]) or any(_is_missing(values[k][row]) for k in keys):
            usable[row] = False
    ids: dict[tuple[Any, ...], int] = {}
    rows = np.flatnonzero(usable)
    group = np.asarray(
        [ids.setdefault(tuple(values[k][row] for k in keys), len(ids)) for row in rows],
        dtype=np.int64,
    )
    size = len(ids)
    y = np.asarray([positive("t", values["t"][row]) for row in rows], dtype=np.int64)
    kind = kinds[rows]
    n = numbers["n"][rows]
    is_p = kind == "p"
    has_p = np.asarray([not _is_missing(values["p"][row]) for row in rows], dtype=bool)
    confusion = np.zeros((size, 4), dtype=np.int64)
    at = is_p & has_p
    yp = np.asarray(
        [positive("p", values["p"][row]) if ok else 0 for row, ok in zip(rows, at, strict=True)],
        dtype=np.int64,
    )
    np.add.at(confusion, (group[at], 2 * y[at] + yp[at]), n[at].astype(np.int64))
    stats = None
    if query.scored:
        lo = [values["lo"][row] for row in rows[is_p] if values["lo"][row] is not None]
        hi = [values["hi"][row] for row in rows[is_p] if values["hi"][row] is not None]
        lowest = float(min(lo)) if lo else math.inf
        highest = float(max(hi)) if hi else -math.inf
        sums = np.zeros((size, 3))
        pick = {name: numbers[name][rows] for name in ("s1", "s2", "a0", "a1", "q1")}
        np.add.at(sums[:, 0], group[is_p], pick["s1"][is_p])
        np.add.at(sums[:, 1], group[is_p], np.where(y == 1, pick["q1"], pick["s2"])[is_p])
        np.add.at(sums[:, 2], group[is_p], np.where(y == 1, pick["a1"], pick["a0"])[is_p])
        fine = numbers["f"][rows].astype(np.int64)
        is_f = kind == "f"
        in_unit = lowest >= 0.0 and highest <= 1.0 and not np.any(fine[is_f] < 0)
        cells = ece = None
        if in_unit:
            cells = np.zeros((size, 2, fine_bins, 3))
            where = (group[is_f], y[is_f], fine[is_f])
            np.add.at(cells[..., 0], where, n[is_f])
            np.add.at(cells[..., 1], where, pick["s1"][is_f])
            np.add.at(cells[..., 2], where, pick["s2"][is_f])
            ece = {}
            for index, bins in enumerate(query.ece_bins):
                is_e = kind == f"e{index}"
                slot = np.asarray([values[f"e{index}"][row] for row in rows[is_e]], dtype=np.int64)
                table = np.zeros((size, bins, 3))
                where_e = (group[is_e], slot)
                np.add.at(table[..., 0], where_e, n[is_e])
                np.add.at(table[..., 1], where_e, pick["s1"][is_e])
                np.add.at(table[..., 2], where_e, (n * y)[is_e])
                ece[bins] = table
        stats = ScoreStats(sums=sums, lowest=lowest, highest=highest, cells=cells, ece=ece or {})
    missing = tuple(
        sum(
            int(values["n"][row])
            for row in np.flatnonzero(mine & (kinds == "p"))
            if _is_missing(values[k][row])
        )
        for k in keys
    )
    return GroupCounts.build(tuple(grouping), list(ids), confusion, stats, missing=missing)


def _label(labels: Labels, value: Any, rows: int) -> None:
    if _is_missing(value):
        labels.missing += rows
    else:
        labels.values[value] = labels.values.get(value, 0) + rows


def labels_in(labels: Labels) -> Sequence[Any]:
    """The distinct values seen."""
    return list(labels.values)
