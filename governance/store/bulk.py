"""Many rows per statement with little overhead, for the log and the projections.

The statements are written here from the table definitions (names are ours, never the user's)
and every value is a bound parameter. They go through ``exec_driver_sql``, so database errors are
still SQLAlchemy errors, without compiling a statement and processing each row's parameters in
Python: that overhead was most of the cost of an ingest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

__all__ = ["insert_rows", "select_in", "update_rows"]


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]] | Sequence[tuple[Any, ...]],
    *,
    columns: Sequence[str] | None = None,
    on_conflict: str = "",
) -> None:
    """Insert rows in one ``executemany``.

    Parameters
    ----------
    conn
        A connection in a transaction.
    table
        The table.
    rows
        Dicts keyed by column name (all with the same keys), or tuples in ``columns`` order.
    columns
        The columns of tuple rows.
    on_conflict
        An ``ON CONFLICT ...`` clause (the same for SQLite and PostgreSQL), if any.
    """
    if not rows:
        return
    if columns is None:
        names = _known(table, list(rows[0]))
        values = [tuple(row[name] for name in names) for row in rows]  # type: ignore[call-overload]
    else:
        names = _known(table, columns)
        values = list(rows)  # type: ignore[arg-type]
    marker = _marker(conn)
    placeholders = ", ".join([marker] * len(names))
    tail = f" {on_conflict}" if on_conflict else ""
    # Identifiers come from the table's metadata (checked above); values are parameters.
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders}){tail}"  # noqa: S608
    conn.exec_driver_sql(sql, values)


def update_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    columns: Sequence[str],
) -> None:
    """Set ``columns`` of the rows matching ``keys``, one ``executemany``."""
    if not rows:
        return
    marker = _marker(conn)
    assignments = ", ".join(f"{c} = {marker}" for c in _known(table, columns))
    condition = " AND ".join(f"{k} = {marker}" for k in _known(table, keys))
    sql = f"UPDATE {table.name} SET {assignments} WHERE {condition}"  # noqa: S608
    conn.exec_driver_sql(sql, [tuple(row[c] for c in (*columns, *keys)) for row in rows])


def select_in(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    keys: Sequence[str],
    values: Sequence[tuple[Any, ...]],
    *,
    chunk: int = 2000,
) -> list[tuple[Any, ...]]:
    """Rows of ``columns`` whose ``keys`` equal one of ``values`` (tuples), in chunks.

    Written as a join with a ``VALUES`` list, which SQLite and PostgreSQL both answer from the
    index on the key columns (SQLite scans the whole table for ``(a, b) IN (VALUES ...)``).
    """
    found: list[tuple[Any, ...]] = []
    if not values:
        return found
    marker = _marker(conn)
    wanted = ", ".join(f"t.{name}" for name in _known(table, columns))
    joined = " AND ".join(
        f"t.{name} = v.column{index}" for index, name in enumerate(_known(table, keys), start=1)
    )
    row = "(" + ", ".join([marker] * len(keys)) + ")"
    for start in range(0, len(values), chunk):
        part = values[start : start + chunk]
        sql = (
            f"SELECT {wanted} FROM (VALUES {', '.join([row] * len(part))}) AS v "  # noqa: S608
            f"JOIN {table.name} AS t ON {joined}"
        )
        flat = [value for item in part for value in item]
        found.extend(tuple(r) for r in conn.exec_driver_sql(sql, tuple(flat)))
    return found


def _known(table: Table, names: Sequence[str]) -> list[str]:
    unknown = [name for name in names if name not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    return list(names)


def _marker(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"
