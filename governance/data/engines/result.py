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
    infinite: int = 0
    """Infinite values (a regression task's numbers)."""


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
    table: Any,
    query: CountsQuery,
    positive_label: Any,
    *,
    fine_bins: int,
    task: str = "binary",
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
    task
        ``binary`` (compare with the positive label) or ``multiclass`` (K×K matrices).
    """
    import pyarrow as pa

    numeric = {dim: _is_numeric_type(table.schema.field(dim).type) for dim in ("t", "p")}
    cache: dict[Any, int] = {}

    def positive(dim: str, value: Any) -> int:
        key = (dim, type(value), value)
        if key not in cache:
            cache[key] = int(value_matches(value, positive_label, numeric[dim]))
        return cache[key]

    flags = {
        name: np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.int64)
        for name in table.column_names
        if name.startswith("g_")
    }
    kinds = _kinds(flags, query, table.num_rows)
    target, prediction = Labels(numeric=numeric["t"]), Labels(numeric=numeric["p"])
    scores = Scores()
    group_missing = dict.fromkeys(query.keys, 0)
    counts: dict[tuple[str, ...], Any] = {}
    total = 0
    for number, grouping in enumerate(query.groupings):
        keys = [f"k{query.keys.index(name)}" for name in grouping]
        mine = np.ones(table.num_rows, dtype=bool)
        for index in range(len(query.keys)):
            mine &= flags[f"g_k{index}"] == (0 if f"k{index}" in keys else 1)
        part = _Part(table.filter(pa.array(mine)), kinds[mine], keys)
        missing = part.missing_keys()
        for name, found in zip(grouping, missing, strict=True):
            group_missing[name] = group_missing[name] or found
        if number == 0:
            total = part.totals(target, prediction, scores if query.scored else None)
        if task == "multiclass":
            counts[tuple(grouping)] = part.class_counts(grouping, numeric, missing)
            continue
        counts[tuple(grouping)] = part.counts(grouping, query, positive, fine_bins, missing)
    return QueryResult(counts, target, prediction, scores, total, group_missing)


P_SET, F_SET, NO_SET = 0, 1, -1  # a result row's set: confusion, fine bins; 2 + i: ece bins i


def _kinds(flags: dict[str, Any], query: CountsQuery, rows: int) -> Any:
    """Which set each result row belongs to (:data:`P_SET`, :data:`F_SET`, ``2 + i``)."""
    kinds = np.full(rows, NO_SET, dtype=np.int64)
    if query.scored:
        for index in reversed(range(len(query.ece_bins))):
            kinds[flags[f"g_e{index}"] == 0] = 2 + index
        kinds[flags["g_f"] == 0] = F_SET
    kinds[flags["g_p"] == 0] = P_SET
    return kinds


def _floats(table: Any, name: str) -> Any:
    values = np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)
    return np.nan_to_num(values, nan=0.0)


class _Part:
    """The result rows of one grouping.

    Each key, the target and the prediction are encoded once (codes, -1 where missing, and
    their distinct values), so the rows are handled as arrays; the per-row Python work is over
    the distinct values only.
    """

    def __init__(self, table: Any, kinds: Any, keys: list[str]) -> None:
        self.table = table
        self.kinds = kinds
        self.key_codes = [_Encoded(table.column(key)) for key in keys]
        self.t = _Encoded(table.column("t"))
        self.p = _Encoded(table.column("p"))
        self.n = np.asarray(table.column("n").to_numpy(zero_copy_only=False), dtype=np.int64)
        self.p_rows = np.flatnonzero(kinds == P_SET)

    def missing_keys(self) -> list[int]:
        """Rows with each key missing (over the confusion rows: every row once)."""
        return [
            int(self.n[self.p_rows][key.codes[self.p_rows] < 0].sum()) for key in self.key_codes
        ]

    def totals(self, target: Labels, prediction: Labels, scores: Scores | None) -> int:
        """Add every row's labels (and score problems) to the totals; the number of rows."""
        n = self.n[self.p_rows]
        self.t.add_to(target, self.p_rows, n)
        self.p.add_to(prediction, self.p_rows, n)
        if scores is not None:
            column = {
                name: np.asarray(
                    self.table.column(name).fill_null(0).to_numpy(zero_copy_only=False),
                    dtype=np.int64,
                )[self.p_rows]
                for name in ("ns", "nan", "inf")
            }
            scores.missing += int(n.sum() - column["ns"].sum() + column["nan"].sum())
            scores.infinite += int(column["inf"].sum())
        return int(n.sum())

    def groups(self, rows: Any) -> tuple[Any, list[tuple[Any, ...]]]:
        """Each of ``rows``' group id, and each group's values (keys present in ``rows``)."""
        if not self.key_codes:  # the overall grouping: one group
            return np.zeros(len(rows), dtype=np.int64), [()] if len(rows) else []
        stacked = np.stack([key.canonical_codes[rows] for key in self.key_codes], axis=1)
        sizes = [max(len(key.canonical), 1) for key in self.key_codes]
        if float(np.prod(np.asarray(sizes, dtype=np.float64))) < 2.0**62:
            combined = np.zeros(len(rows), dtype=np.int64)
            for column, size in zip(stacked.T, sizes, strict=True):
                combined = combined * size + column
            _, first, group = np.unique(combined, return_index=True, return_inverse=True)
        else:  # too many combinations for one int64 code
            _, first, group = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
        # each group's values as its first row has them (0.0 and -0.0 are one group)
        firsts = rows[first]
        values = list(zip(*(key.values_at(firsts) for key in self.key_codes), strict=True))
        return np.asarray(group, dtype=np.int64).reshape(-1), values

    def class_counts(
        self, grouping: Sequence[str], numeric: dict[str, bool], missing: list[int]
    ) -> Any:
        """The grouping's multiclass counts: a K×K matrix per group, classes sorted."""
        from governance.data.labels import label_key, plain
        from governance.evaluators.counts import GroupCounts
        from governance.evaluators.multiclass import sorted_classes

        ids: dict[tuple[Any, ...], int] = {}
        classes: dict[Any, int] = {}
        values: list[Any] = []
        cells: list[tuple[int, int, int, int]] = []
        key_values = [key.values_at(self.p_rows) for key in self.key_codes]
        t_values, p_values = self.t.values_at(self.p_rows), self.p.values_at(self.p_rows)
        for index, row in enumerate(self.p_rows):
            key = tuple(c[index] for c in key_values)
            t, p = t_values[index], p_values[index]
            if _is_missing(t) or _is_missing(p) or any(_is_missing(v) for v in key):
                continue
            found = []
            for dim, value in (("t", t), ("p", p)):
                label = label_key(plain(value), numeric[dim])
                if label not in classes:
                    classes[label] = len(values)
                    values.append(plain(value))
                found.append(classes[label])
            group = ids.setdefault(key, len(ids))
            cells.append((group, found[0], found[1], int(self.n[row])))
        k = len(values)
        matrix = np.zeros((len(ids), k, k), dtype=np.int64)
        for group, t_id, p_id, n in cells:
            matrix[group, t_id, p_id] += n
        sorted_values, flat = sorted_classes(matrix, values)
        return GroupCounts.build(
            tuple(grouping), list(ids), flat, None, missing=tuple(missing), classes=sorted_values
        )

    def counts(
        self,
        grouping: Sequence[str],
        query: CountsQuery,
        positive: Any,
        fine_bins: int,
        missing: list[int],
    ) -> Any:
        """The grouping's :class:`~governance.evaluators.counts.GroupCounts`."""
        from governance.evaluators.counts import GroupCounts, ScoreStats

        usable = self.t.codes >= 0
        for key in self.key_codes:
            usable &= key.codes >= 0
        rows = np.flatnonzero(usable)
        group, ids = self.groups(rows)
        size = len(ids)
        y = self.t.mapped(lambda value: positive("t", value))[rows]
        kind = self.kinds[rows]
        n = self.n[rows]
        is_p = kind == P_SET
        at = is_p & (self.p.codes[rows] >= 0)
        yp = self.p.mapped(lambda value: positive("p", value))[rows[at]]
        confusion = np.zeros((size, 4), dtype=np.int64)
        np.add.at(confusion, (group[at], 2 * y[at] + yp), n[at])
        stats = None
        if query.scored:
            stats = self._scores(rows, group, y, kind, n, size, query, fine_bins, ScoreStats)
        return GroupCounts.build(tuple(grouping), ids, confusion, stats, missing=tuple(missing))

    def _scores(
        self,
        rows: Any,
        group: Any,
        y: Any,
        kind: Any,
        n: Any,
        size: int,
        query: CountsQuery,
        fine_bins: int,
        stats_type: Any,
    ) -> Any:
        is_p = kind == P_SET
        low = [v for v in self.table.column("lo").to_pylist() if v is not None]
        high = [v for v in self.table.column("hi").to_pylist() if v is not None]
        lowest = float(min(low)) if low else math.inf
        highest = float(max(high)) if high else -math.inf
        pick = {name: _floats(self.table, name)[rows] for name in ("s1", "s2", "a0", "a1", "q1")}
        sums = np.zeros((size, 3))
        np.add.at(sums[:, 0], group[is_p], pick["s1"][is_p])
        np.add.at(sums[:, 1], group[is_p], np.where(y == 1, pick["q1"], pick["s2"])[is_p])
        np.add.at(sums[:, 2], group[is_p], np.where(y == 1, pick["a1"], pick["a0"])[is_p])
        column_f = self.table.column("f").fill_null(-1)
        fine = np.asarray(column_f.to_numpy(zero_copy_only=False), dtype=np.int64)[rows]
        is_f = kind == F_SET
        in_unit = lowest >= 0.0 and highest <= 1.0 and not np.any(fine[is_f] < 0)
        cells = None
        ece: dict[int, Any] = {}
        if in_unit:
            cells = np.zeros((size, 2, fine_bins, 3))
            where = (group[is_f], y[is_f], fine[is_f])
            np.add.at(cells[..., 0], where, n[is_f])
            np.add.at(cells[..., 1], where, pick["s1"][is_f])
            np.add.at(cells[..., 2], where, pick["s2"][is_f])
            for index, bins in enumerate(query.ece_bins):
                is_e = kind == 2 + index
                column_e = self.table.column(f"e{index}").fill_null(0)
                slot = np.asarray(column_e.to_numpy(zero_copy_only=False), dtype=np.int64)[rows]
                table = np.zeros((size, bins, 3))
                where_e = (group[is_e], slot[is_e])
                np.add.at(table[..., 0], where_e, n[is_e])
                np.add.at(table[..., 1], where_e, pick["s1"][is_e])
                np.add.at(table[..., 2], where_e, (n * y)[is_e])
                ece[bins] = table
        return stats_type(sums=sums, lowest=lowest, highest=highest, cells=cells, ece=ece)


class _Encoded:
    """A result column as codes (-1 where missing: null or NaN) and its distinct values.

    ``canonical`` merges values Python holds equal (``0.0`` and ``-0.0``), as a dict of the
    row values would.
    """

    def __init__(self, column: Any) -> None:
        from governance.data.labels import encode_column

        self.codes, self.values, _ = encode_column(column)
        merged: dict[Any, int] = {}
        ids = [merged.setdefault(value, len(merged)) for value in self.values]
        self.canonical = list(merged)
        lookup = np.asarray([*ids, -1], dtype=np.int64)
        self.canonical_codes = lookup[self.codes]

    def values_at(self, rows: Any) -> list[Any]:
        """The values of ``rows`` (None where missing)."""
        return [None if code < 0 else self.values[code] for code in self.codes[rows].tolist()]

    def mapped(self, function: Any) -> Any:
        """``function`` of each row's value, as int64 (0 where missing)."""
        lookup = np.asarray([*(function(value) for value in self.values), 0], dtype=np.int64)
        return lookup[self.codes]

    def add_to(self, labels: Labels, rows: Any, n: Any) -> None:
        """Add ``rows``' values (weighted by ``n``) to ``labels``, in order of first row."""
        codes = self.codes[rows]
        labels.missing += int(n[codes < 0].sum())
        present = codes >= 0
        sums = np.zeros(len(self.values), dtype=np.int64)
        np.add.at(sums, codes[present], n[present])
        seen, first = np.unique(codes[present], return_index=True)
        for code in seen[np.argsort(first, kind="stable")].tolist():
            value = self.values[code]
            labels.values[value] = labels.values.get(value, 0) + int(sums[code])


def labels_in(labels: Labels) -> Sequence[Any]:
    """The distinct values seen."""
    return list(labels.values)


def read_regression(table: Any, query: CountsQuery) -> QueryResult:
    """A regression query's result as per-group sums and residual histograms.

    ``table`` is the result of :func:`~governance.data.engines.query.regression_query`; the
    target's and the prediction's missing and infinite values are counted too.
    """
    import pyarrow as pa

    from governance.evaluators.counts import GroupCounts
    from governance.evaluators.regression import RESIDUAL_BINS, SUMS

    flags = {
        name: np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.int64)
        for name in table.column_names
        if name.startswith("g_")
    }
    columns = ("n", "sy", "sp", "se", "sa", "se2", "sy2", "sp2", "se4")
    target, prediction = Labels(numeric=True), Labels(numeric=True)
    group_missing = dict.fromkeys(query.keys, 0)
    counts: dict[tuple[str, ...], Any] = {}
    total = 0
    for number, grouping in enumerate(query.groupings):
        keys = [f"k{query.keys.index(name)}" for name in grouping]
        mine = np.ones(table.num_rows, dtype=bool)
        for index in range(len(query.keys)):
            mine &= flags[f"g_k{index}"] == (0 if f"k{index}" in keys else 1)
        part = table.filter(pa.array(mine))
        is_sum = np.asarray(part.column("g_r").to_numpy(zero_copy_only=False)) == 1
        values = [part.column(key).to_pylist() for key in keys]
        n = np.asarray(part.column("n").to_numpy(zero_copy_only=False), dtype=np.int64)
        absent = [not any(_is_missing(c[row]) for c in values) for row in range(part.num_rows)]
        usable = np.asarray(absent, dtype=bool)
        for name, column in zip(grouping, values, strict=True):
            lost = int(sum(n[row] for row in np.flatnonzero(is_sum) if _is_missing(column[row])))
            group_missing[name] = group_missing[name] or lost
        if number == 0:
            sums_rows = np.flatnonzero(is_sum)
            total = int(n[sums_rows].sum())
            for labels, prefix in ((target, "t"), (prediction, "p")):
                present = _floats(part, f"n{prefix}")[sums_rows].sum()
                nans = _floats(part, f"{prefix}nan")[sums_rows].sum()
                labels.missing = int(total - present + nans)
                labels.infinite = int(_floats(part, f"{prefix}inf")[sums_rows].sum())
        ids: dict[tuple[Any, ...], int] = {}
        for row in np.flatnonzero(usable):
            ids.setdefault(tuple(c[row] for c in values), len(ids))
        sums = np.zeros((len(ids), SUMS))
        histogram = np.zeros((len(ids), RESIDUAL_BINS), dtype=np.int64)
        picked = [_floats(part, name) for name in columns]
        bins = part.column("r").fill_null(0).to_numpy(zero_copy_only=False)
        for row in np.flatnonzero(usable):
            group = ids[tuple(c[row] for c in values)]
            if is_sum[row]:
                sums[group] += [column[row] for column in picked]
            else:
                histogram[group, int(bins[row])] += n[row]
        confusion = sums[:, :1].astype(np.int64)
        counts[tuple(grouping)] = GroupCounts.build(
            tuple(grouping),
            list(ids),
            confusion,
            None,
            missing=tuple(group_missing[name] for name in grouping),
            regression=(sums, histogram),
        )
    return QueryResult(counts, target, prediction, Scores(), total, group_missing)
