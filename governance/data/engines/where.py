"""``data.where``: one boolean expression over the data's columns, never a statement.

The manifest is written by the user who runs the check, with the engine access they already
have (docs/security.md): the filter is checked so that a mistake cannot run a statement or
reach past the data. Before the engine parses it as one expression (DuckDB's relation
``filter``, Spark's ``expr``), text holding a statement separator or a comment is refused.
"""

from __future__ import annotations

from typing import Any

from governance.errors import EngineError

MAX_WHERE = 2000
REFUSED = (";", "--", "/*", "*/")
NOT_ONE_EXPRESSION = "{engine}: data.where must be one boolean expression ({why})"


def check_where(where: str, source: Any) -> None:
    """Refuse a filter that is not plainly one expression (before the engine parses it)."""
    engine = source.engine
    if len(where) > MAX_WHERE:
        raise EngineError(
            NOT_ONE_EXPRESSION.format(engine=engine, why=f"longer than {MAX_WHERE} characters")
        )
    for mark in REFUSED:
        if mark in where:
            raise EngineError(NOT_ONE_EXPRESSION.format(engine=engine, why=f"it holds {mark!r}"))
