"""The counting query both SQL engines run.

One ``GROUP BY GROUPING SETS`` query over the evaluation data computes, for every grouping the
rules use (intersections included), what :class:`~governance.evaluators.counts.CountsAccumulator`
computes chunk by chunk: confusion cells, score sums, the fine score histogram by label
(:data:`~governance.evaluators.counts.FINE_BINS` bins) and the calibration bins. The target and
prediction are grouped by their own values; they are compared with the positive label in Python,
with the rules of :func:`governance.data.value_matches`, so every engine binarises as the arrow
path does. Each set is told apart by per-column ``grouping(col)`` flags, which DuckDB and Spark
SQL both accept (``grouping_id`` over a subset of columns differs between them). Rows are first
added up into their finest cells (every key, the labels and the bins) in a subquery, and the
grouping sets add up those cells: each row is aggregated once, whatever the number of sets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

VIEW = "governance_data"
"""The name the data is registered under in the engine; the query reads only it."""
DIALECTS = {
    "duckdb": {"isinf": "isinf({s})", "quote": '"'},
    "spark": {"isinf": "(abs({s}) = double('Infinity'))", "quote": "`"},
}
# Each row is counted once into its finest cell (every key, target, prediction and bin); the
# grouping sets then add up those cells, so the per-row work is one aggregation, not one per set.
ROLLUP = {"lo": "min", "hi": "max"}
AGGREGATES = (
    ("n", "count(*)"),
    ("ns", "count({s})"),
    ("nan", "sum(CASE WHEN isnan({s}) THEN 1 ELSE 0 END)"),
    ("inf", "sum(CASE WHEN {isinf} THEN 1 ELSE 0 END)"),
    ("s1", "sum({s})"),
    ("s2", "sum({s} * {s})"),
    ("a0", "sum(abs({s}))"),
    ("a1", "sum(abs({s} - 1))"),
    ("q1", "sum(({s} - 1) * ({s} - 1))"),
    ("lo", "min({s})"),
    ("hi", "max({s})"),
)


def quote(name: str, dialect: str) -> str:
    """``name`` as a quoted identifier of ``dialect``."""
    mark = DIALECTS[dialect]["quote"]
    return mark + name.replace(mark, mark * 2) + mark


@dataclass(frozen=True)
class CountsQuery:
    """The query text and how to read its result.

    Attributes
    ----------
    groupings
        The groupings counted, each a tuple of columns.
    keys
        Every grouping column, in first-use order (``k0``, ``k1``, ... in the query).
    ece_bins
        The calibration bin counts (``e0``, ``e1``, ... in the query).
    scored
        Whether a score column is counted.
    text
        The SQL.
    """

    groupings: tuple[tuple[str, ...], ...]
    keys: tuple[str, ...]
    ece_bins: tuple[int, ...]
    scored: bool
    text: str


def ece_edges(n_bins: int) -> list[float]:
    """The inner calibration bin edges, exactly as ``numpy.linspace`` gives them."""
    import numpy as np

    return [float(edge) for edge in np.linspace(0.0, 1.0, n_bins + 1)[1:-1]]


def _ece_case(n_bins: int) -> str:
    # numpy.searchsorted(edges, s) (side left): the number of inner edges below s
    whens = " ".join(
        f"WHEN s <= {edge!r} THEN {index}" for index, edge in enumerate(ece_edges(n_bins))
    )
    return f"CASE {whens} ELSE {n_bins - 1} END" if whens else "0"


def counts_query(
    groupings: Sequence[tuple[str, ...]],
    *,
    target: str,
    prediction: str,
    score: str | None,
    ece_bins: Iterable[int],
    fine_bins: int,
    dialect: str,
) -> CountsQuery:
    """The one query that counts every grouping over the view :data:`VIEW`."""
    keys = tuple(dict.fromkeys(column for grouping in groupings for column in grouping))
    bins = tuple(sorted(set(ece_bins)))
    q = {name: quote(name, dialect) for name in (*keys, target, prediction, score or "")}
    inner = [f"{q[name]} AS k{index}" for index, name in enumerate(keys)]
    inner += [f"{q[target]} AS t", f"{q[prediction]} AS p"]
    derived = ["k" + str(i) for i in range(len(keys))] + ["t", "p"]
    if score is not None:
        inner.append(f"CAST({q[score]} AS DOUBLE) AS s")
        derived.append("s")
        derived.append(
            f"CASE WHEN s >= 0 AND s <= 1 THEN LEAST(CAST(FLOOR(s * {fine_bins}) AS BIGINT), "
            f"{fine_bins - 1}) ELSE -1 END AS f"
        )
        derived += [f"{_ece_case(n)} AS e{i}" for i, n in enumerate(bins)]
    sets = []
    for grouping in groupings:
        columns = ", ".join(f"k{keys.index(name)}" for name in grouping)
        lead = f"{columns}, t" if columns else "t"
        sets.append(f"({lead}, p)")
        if score is not None:
            sets.append(f"({lead}, f)")
            sets += [f"({lead}, e{i})" for i in range(len(bins))]
    dims = [f"k{i}" for i in range(len(keys))] + ["t", "p"]
    if score is not None:
        dims += ["f"] + [f"e{i}" for i in range(len(bins))]
    cells = [*dims]
    if score is not None:
        isinf = DIALECTS[dialect]["isinf"].format(s="s")
        cells += [f"{sql.format(s='s', isinf=isinf)} AS {name}" for name, sql in AGGREGATES]
    else:
        cells.append("count(*) AS n")
    names = [name for name, _ in AGGREGATES] if score is not None else ["n"]
    select = dims + [f"grouping({dim}) AS g_{dim}" for dim in dims if dim != "t"]
    select += [
        f"{ROLLUP[name]}({name}) AS {name}"
        if name in ROLLUP
        else f"CAST(sum({name}) AS {'DOUBLE' if name.startswith(('s', 'a', 'q')) else 'BIGINT'})"
        f" AS {name}"
        for name in names
    ]
    # identifiers are quoted (quote), numbers formatted from ints and floats: no manifest text
    text = (
        f"SELECT {', '.join(select)}\n"  # noqa: S608
        f"FROM (SELECT {', '.join(cells)}\n"
        f"      FROM (SELECT {', '.join(derived)}\n"
        f"            FROM (SELECT {', '.join(inner)} FROM {VIEW}) AS read) AS binned\n"
        f"      GROUP BY {', '.join(dims)}) AS cells\n"
        f"GROUP BY GROUPING SETS ({', '.join(sets)})"
    )
    return CountsQuery(tuple(groupings), keys, bins, score is not None, text)


def sample_query(columns: Sequence[str], *, rows: int, seed: int, dialect: str) -> str:
    """A seeded sample of ``rows`` rows: those with the smallest hash of seed and row values.

    The sample depends on the data and the seed only (not on the order rows are read in or
    on parallelism); rows with equal values are interchangeable.
    """
    names = ", ".join(quote(name, dialect) for name in columns)
    hashed = (
        f"hash({int(seed)}, {names})" if dialect == "duckdb" else f"xxhash64({int(seed)}, {names})"
    )
    return f"SELECT {names} FROM {VIEW} ORDER BY {hashed} LIMIT {int(rows)}"  # noqa: S608


def empty_query(columns: Sequence[str], *, dialect: str) -> str:
    """No rows, the columns' types only (when no rule reads rows)."""
    names = ", ".join(quote(name, dialect) for name in columns)
    return f"SELECT {names} FROM {VIEW} LIMIT 0"  # noqa: S608


def residual_bin_sql(residual: str) -> str:
    """The residual histogram bin of ``residual`` (a SQL expression), as NumPy bins it.

    Mirrors :func:`governance.evaluators.regression.residual_bins` operation by operation.
    """
    from governance.evaluators.regression import (
        LOWEST_DECADE,
        MAGNITUDES,
        PER_DECADE,
        SMALLEST,
        ZERO_BIN,
    )

    step = (
        f"LEAST(CAST(FLOOR((log10(abs({residual})) - ({LOWEST_DECADE})) * {PER_DECADE}) "
        f"AS BIGINT), {MAGNITUDES - 1})"
    )
    return (
        f"CASE WHEN abs({residual}) < {SMALLEST!r} THEN {ZERO_BIN} "
        f"WHEN {residual} > 0 THEN {ZERO_BIN + 1} + {step} "
        f"ELSE {ZERO_BIN - 1} - {step} END"
    )


# The regression sums of governance.evaluators.regression (e = p - t), and the problems of
# the target and prediction columns (missing, NaN, infinite values).
REGRESSION_AGGREGATES = (
    ("n", "count(*)"),
    ("nt", "count(t)"),
    ("np", "count(p)"),
    ("tnan", "sum(CASE WHEN isnan(t) THEN 1 ELSE 0 END)"),
    ("pnan", "sum(CASE WHEN isnan(p) THEN 1 ELSE 0 END)"),
    ("tinf", "sum(CASE WHEN {tinf} THEN 1 ELSE 0 END)"),
    ("pinf", "sum(CASE WHEN {pinf} THEN 1 ELSE 0 END)"),
    ("sy", "sum(t)"),
    ("sp", "sum(p)"),
    ("se", "sum(p - t)"),
    ("sa", "sum(abs(p - t))"),
    ("se2", "sum((p - t) * (p - t))"),
    ("sy2", "sum(t * t)"),
    ("sp2", "sum(p * p)"),
    ("se4", "sum((p - t) * (p - t) * (p - t) * (p - t))"),
)


def regression_query(
    groupings: Sequence[tuple[str, ...]], *, target: str, prediction: str, dialect: str
) -> CountsQuery:
    """The one query that adds up a regression task's sums and residual bins per group.

    Two sets per grouping: the grouping's columns (the sums) and the columns with the residual
    bin ``r`` (the histogram); ``grouping(r)`` tells them apart.
    """
    keys = tuple(dict.fromkeys(column for grouping in groupings for column in grouping))
    inner = [f"{quote(name, dialect)} AS k{index}" for index, name in enumerate(keys)]
    inner += [
        f"CAST({quote(target, dialect)} AS DOUBLE) AS t",
        f"CAST({quote(prediction, dialect)} AS DOUBLE) AS p",
    ]
    dims = [f"k{i}" for i in range(len(keys))]
    derived = [*dims, "t", "p", f"{residual_bin_sql('p - t')} AS r"]
    sets = []
    for grouping in groupings:
        columns = ", ".join(f"k{keys.index(name)}" for name in grouping)
        sets += [f"({columns})", f"({columns}, r)"]
    isinf = DIALECTS[dialect]["isinf"]
    select = [*dims, "r"] + [f"grouping({dim}) AS g_{dim}" for dim in (*dims, "r")]
    select += [
        f"{sql.format(tinf=isinf.format(s='t'), pinf=isinf.format(s='p'))} AS {name}"
        for name, sql in REGRESSION_AGGREGATES
    ]
    # identifiers are quoted (quote), numbers formatted from ints and floats: no manifest text
    text = (
        f"SELECT {', '.join(select)}\n"  # noqa: S608
        f"FROM (SELECT {', '.join(derived)}\n"
        f"      FROM (SELECT {', '.join(inner)} FROM {VIEW}) AS read) AS binned\n"
        f"GROUP BY GROUPING SETS ({', '.join(sets)})"
    )
    return CountsQuery(tuple(groupings), keys, (), False, text)
