"""Scale run: the counting query over rows generated inside the engine (no file), 1B by default.

The prediction log of :mod:`benchmarks.engines` (sex, race, month, label, prediction, score) is
a view over ``range(N)`` in DuckDB (or ``spark.range`` with ``--engine spark``): nothing is
written to disk, nothing crosses into Python but the query's result. The run times the same
code path ``check`` takes with ``data.engine``: the one GROUPING SETS query over three groupings
(sex, race, sex × race) with score histograms and calibration bins, the result read into
per-group counts, and the metrics computed from them; it prints wall time, rows per second and
the client's peak RSS.

    python benchmarks/engines_scale.py                 # 1,000,000,000 rows, DuckDB
    python benchmarks/engines_scale.py --rows 100000000 --engine spark
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GROUPINGS = (("sex",), ("race",), ("sex", "race"))
COLUMNS = """
    ['female', 'male', 'other'][1 + (hash(i, 1) % 100 >= 48)::INT + (hash(i, 1) % 100 >= 97)::INT]
      AS sex,
    ['a', 'b', 'c', 'd', 'e'][1 + (hash(i, 2) % 5)::INT] AS race,
    label, (score > 0.5)::TINYINT AS prediction, score
"""
DUCKDB_VIEW = f"""
CREATE VIEW {{view}} AS SELECT {COLUMNS}
FROM (SELECT i, (hash(i, 4) % 100 < 30)::TINYINT AS label,
             least(1.0, 0.25 * (hash(i, 4) % 100 < 30)::DOUBLE
                        + (hash(i, 5) % 1000000) / 1000000.0 * 0.75)::FLOAT AS score
      FROM range({{rows}}) AS t(i))
"""
SPARK_VIEW = """
SELECT element_at(array('female', 'male', 'other'),
         1 + CAST(pmod(hash(id, 1), 100) >= 48 AS INT) + CAST(pmod(hash(id, 1), 100) >= 97 AS INT))
         AS sex,
       element_at(array('a', 'b', 'c', 'd', 'e'), 1 + CAST(pmod(hash(id, 2), 5) AS INT)) AS race,
       label, CAST(score > 0.5 AS TINYINT) AS prediction, score
FROM (SELECT id, CAST(pmod(hash(id, 4), 100) < 30 AS TINYINT) AS label,
             CAST(least(1.0, 0.25 * CAST(pmod(hash(id, 4), 100) < 30 AS DOUBLE)
                             + pmod(hash(id, 5), 1000000) / 1000000.0 * 0.75) AS FLOAT) AS score
      FROM range({rows}))
"""


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _duckdb(rows: int, text: str, view: str) -> object:
    import duckdb

    connection = duckdb.connect()
    connection.execute(DUCKDB_VIEW.format(view=view, rows=rows))
    return connection.sql(text).to_arrow_table()


def _spark(rows: int, text: str, view: str) -> object:
    import pyarrow as pa
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sql(SPARK_VIEW.format(rows=rows)).createOrReplaceTempView(view)
    frame = spark.sql(text).toPandas()
    spark.stop()
    return pa.Table.from_pandas(frame, preserve_index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000_000)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    args = parser.parse_args(argv)

    from governance.data.engines.query import VIEW, counts_query
    from governance.data.engines.result import read_result
    from governance.evaluators.counts import DEFAULT_ECE_BINS, FINE_BINS
    from governance.evaluators.metrics import confusion_metric

    started = time.perf_counter()
    query = counts_query(
        GROUPINGS,
        target="label",
        prediction="prediction",
        score="score",
        ece_bins=(DEFAULT_ECE_BINS,),
        fine_bins=FINE_BINS,
        dialect=args.engine,
    )
    run = _duckdb if args.engine == "duckdb" else _spark
    table = run(args.rows, query.text, VIEW)
    queried = time.perf_counter()
    result = read_result(table, query, 1, fine_bins=FINE_BINS)
    rates = {}
    for grouping, counts in result.counts.items():
        rate = confusion_metric("selection_rate", counts.confusion)
        rates[" × ".join(grouping)] = (counts.labels, rate)
    done = time.perf_counter()
    total = int(result.counts[GROUPINGS[0]].confusion.sum())
    assert total == args.rows, (total, args.rows)

    wall = done - started
    print("| engine | rows | query | result to counts and metrics | total | rows/s | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.engine} | {args.rows:,} | {queried - started:.1f} s | {done - queried:.2f} s "
        f"| {wall:.1f} s | {args.rows / wall / 1e6:.0f}M | {_peak_rss_mib():.0f} MiB |"
    )
    labels, rate = rates["sex"]
    shown = ", ".join(f"{label} {value:.4f}" for label, value in zip(labels, rate, strict=True))
    print("selection rate by sex:", shown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
