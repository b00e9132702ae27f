"""``data.where``: one boolean expression over the data's columns, checked against an allow-list.

A filter selects rows; it never needs a subquery, a table function or a call into the engine's
host. Both engines would accept far more in a filter expression (DuckDB's ``read_text`` or a
``SELECT`` over any file, Spark's ``reflect`` into Java or a subquery over ``text.`/path```),
so before the engine parses it the text is split into tokens and every token must be allowed:
string and number literals, the data's own column names (plain, or quoted with ``"`` or
backticks; never called), comparison, arithmetic and boolean operators, parentheses and commas,
and the words of :data:`WORDS` and :data:`FUNCTIONS` (exact names, case-insensitive).
Anything else is refused with its position, before the engine sees it (docs/security.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from governance.errors import EngineError

MAX_WHERE = 2000
NOT_ONE_EXPRESSION = "{engine}: {data}: data.where must be one boolean expression ({why})"

WORDS = frozenset(
    {
        *("and", "or", "not", "in", "between", "is", "null", "like", "true", "false"),
        *("date", "timestamp", "interval", "as", "case", "when", "then", "else", "end"),
        *("year", "years", "month", "months", "day", "days", "hour", "hours"),
        *("minute", "minutes", "second", "seconds", "week", "weeks"),
        *("int", "integer", "bigint", "double", "float", "string", "varchar", "boolean"),
    }
)
"""Keywords a filter may use: boolean logic, literals' types, intervals, CASE, cast types."""
FUNCTIONS = frozenset(
    {
        *("cast", "coalesce", "lower", "upper", "trim", "length", "abs", "round"),
        *("year", "month", "day", "date_trunc", "to_date", "to_timestamp"),
        *("current_date", "current_timestamp"),
    }
)
"""Functions a filter may call: casts, text case, dates, arithmetic; none reads outside the row."""

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<quoted>"(?:[^"]|"")+"|`(?:[^`]|``)+`)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<operator><=|>=|<>|!=|==|=|<|>|\+|-|\*|/|%|\(|\)|,|\|\|)
    """,
    re.VERBOSE,
)


def _refuse(source: Any, why: str) -> EngineError:
    return EngineError(
        NOT_ONE_EXPRESSION.format(engine=source.engine, data=source.shown or "the data", why=why)
    )


def _unquote(token: str) -> str:
    mark = token[0]
    return token[1:-1].replace(mark * 2, mark)


def check_where(where: str, source: Any, columns: Iterable[str]) -> None:
    """Refuse a filter holding anything but allowed tokens (before the engine parses it).

    Parameters
    ----------
    where
        The manifest's ``data.where``.
    source
        The data source (its ``engine`` names the engine in errors).
    columns
        The data's column names: the only identifiers besides :data:`WORDS` and
        :data:`FUNCTIONS`.
    """
    if len(where) > MAX_WHERE:
        raise _refuse(source, f"longer than {MAX_WHERE} characters")
    names = set(columns)
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(where):
        match = _TOKEN.match(where, position)
        if match is None:
            raise _refuse(source, f"{where[position]!r} at character {position + 1} is not allowed")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append((kind, match.group(), position))
        position = match.end()
    if not tokens:
        raise _refuse(source, "it is empty")
    for index, (kind, text, at) in enumerate(tokens):
        called = index + 1 < len(tokens) and tokens[index + 1][1] == "("
        if kind == "quoted" and _unquote(text) not in names:
            raise _refuse(source, f"{text} at character {at + 1} is not a column of the data")
        if kind != "word":
            continue
        lowered = text.lower()
        allowed = lowered in WORDS or lowered in FUNCTIONS
        if allowed or (text in names and not called):  # a column is never called
            continue
        what = "function" if called else "word"
        raise _refuse(
            source,
            f"{what} {text!r} at character {at + 1} is neither a column of the data nor allowed "
            "in a filter",
        )
