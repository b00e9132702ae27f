"""CEL expressions in policies: ``assert`` over a check's evidence, ``when`` over the manifest.

Expressions are compiled when the policy loads, so a syntax error, an unknown variable or an
unknown function is a :class:`~governance.errors.PolicyError` naming the policy file, line and
column of the offending character. They are evaluated by cel-python's interpreter (never by
Python ``eval``/``exec``); a problem at evaluation time (a missing key, a type mismatch, a spent
budget) is an :class:`ExpressionError` that the engine turns into an ``error`` finding.

What an expression may cost is bounded twice (:mod:`governance.policy.budget`): static limits
when it compiles, and a time and size budget for every evaluation.

``celpy`` is imported on first use, so loading the package stays light.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from governance.errors import PolicyError
from governance.policy.budget import (
    DEFAULT_SECONDS,
    Budget,
    BudgetExceeded,
    cost_problem,
    evaluator_class,
    text_problem,
)

ExpressionKind = Literal["assert", "when"]

VARIABLES: dict[str, tuple[str, ...]] = {
    "assert": ("measured", "evidence", "model", "data"),
    "when": ("model", "data"),
}
"""The variables each kind of expression can read (see docs/policies.md)."""

MACROS = frozenset({"map", "filter", "all", "exists", "exists_one", "reduce", "min"})
SPECIAL_FUNCTIONS = frozenset({"has", "dyn"})
MAX_MESSAGE = 200
PREVIEW_ITEMS = 5
PREVIEW_DEPTH = 3


class ExpressionError(Exception):
    """An expression could not be evaluated on the given values (not a load-time error)."""


@functools.cache
def _environment() -> Any:
    """The shared interpreted CEL environment (created on first use)."""
    import celpy

    return celpy.Environment(runner_class=celpy.InterpretedRunner)


@functools.cache
def _functions() -> frozenset[str]:
    from celpy.evaluation import base_functions

    names = {name for name in base_functions if not name.startswith(("_", "!", "-"))}
    return frozenset(names | SPECIAL_FUNCTIONS)


@dataclass(frozen=True)
class Expression:
    """A compiled CEL expression and where it is written."""

    text: str
    kind: ExpressionKind
    path: Path
    line: int | None
    column: int | None
    ast: Any = field(repr=False, compare=False)

    def evaluate(self, variables: Mapping[str, Any], *, seconds: float = DEFAULT_SECONDS) -> bool:
        """Evaluate on plain Python values; the result must be true or false.

        Parameters
        ----------
        variables
            The values of the expression's variables (JSON-like Python values).
        seconds
            The time budget: evaluation stops with an ExpressionError once it is spent (see
            :mod:`governance.policy.budget`, which also bounds what it may build).

        Raises
        ------
        ExpressionError
            When evaluation fails, exceeds its budget or the result is not a boolean.
        """
        from celpy import InterpretedRunner
        from celpy.celtypes import BoolType
        from celpy.evaluation import CELEvalError, base_functions

        try:
            activation = {name: to_cel(value) for name, value in variables.items()}
            budget = Budget(seconds)
            runner = InterpretedRunner(_environment(), self.ast, budget.guard(base_functions))
            evaluator = evaluator_class()(self.ast, runner.new_activation(), budget)
            result = evaluator.evaluate(activation)
        except BudgetExceeded as exc:
            raise ExpressionError(str(exc)) from None
        except CELEvalError as exc:
            raise ExpressionError(describe_cel_error(exc)) from None
        except RecursionError:
            raise ExpressionError("the expression nests too deeply to evaluate") from None
        except Exception as exc:  # cel-python raises plain Python errors for some type mismatches
            raise ExpressionError(_short(f"{type(exc).__name__}: {exc}")) from None
        if isinstance(result, CELEvalError):
            raise ExpressionError(describe_cel_error(result))
        if not isinstance(result, BoolType):
            shown = _short(_preview(result))
            raise ExpressionError(f"{self.kind} must be true or false, it gave {shown}")
        return bool(result)

    def one_line(self, limit: int = 120) -> str:
        """The text on one line, shortened to ``limit`` characters."""
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


_NESTED = re.compile(r"CELEvalError\(\*\(\\*(['\"])(.*?)\\*\1, <class")
_ESCAPES = re.compile(r"\\+(['\"])")
_OVERLOAD = re.compile(
    r"found no matching overload for (?:Token\('RULE', )?'?([^' ]+?)'?\)? applied to '\((.*)\)'"
)
_TYPE = re.compile(r"<class '(?:[\w.]*\.)?(\w+)'>")
_OPERATORS = {
    "relation_lt": "<",
    "relation_le": "<=",
    "relation_gt": ">",
    "relation_ge": ">=",
    "relation_eq": "==",
    "relation_ne": "!=",
    "relation_in": "in",
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
    "multiplication_mod": "%",
    "_&&_": "&&",
    "_||_": "||",
}
_TYPES = {
    "NoneType": "null",
    "DoubleType": "double",
    "IntType": "int",
    "UintType": "uint",
    "StringType": "string",
    "BoolType": "bool",
    "MapType": "map",
    "ListType": "list",
    "CELEvalError": "error",
}


def _humane(message: str) -> str:
    message = message.split(" (in activation", 1)[0]
    if message.startswith("no such member in mapping: "):
        return "no such key " + message.removeprefix("no such member in mapping: ")
    overload = _OVERLOAD.search(message)
    if overload:
        operator = _OPERATORS.get(overload.group(1), overload.group(1))
        types = [_TYPES.get(name, name) for name in _TYPE.findall(overload.group(2))]
        return f"no operator {operator} for ({', '.join(types)})"
    return message


def describe_cel_error(error: BaseException) -> str:
    """One short line from a cel-python evaluation error, naming the first real cause."""
    message = str(error.args[0]) if error.args else type(error).__name__
    if message == "invalid_argument" and len(error.args) > 2 and error.args[2]:
        return _short(f"invalid argument: {error.args[2][0]}")
    causes = [_ESCAPES.sub(r"\1", found[1]) for found in _NESTED.findall(repr(error.args))]
    for cause in causes:  # an operator applied to errors: report the error underneath
        if "CELEvalError" not in cause and cause != "no such overload":
            return _short(_humane(cause))
    return _short(_humane(message))


def to_cel(value: Any) -> Any:
    """Plain Python (JSON-like) values -> cel-python values."""
    from celpy import celtypes

    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        if -(2**63) <= value < 2**63:
            return celtypes.IntType(value)
        return celtypes.DoubleType(float(value))
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, Mapping):
        return celtypes.MapType(
            {celtypes.StringType(str(key)): to_cel(item) for key, item in value.items()}
        )
    if isinstance(value, list | tuple):
        return celtypes.ListType([to_cel(item) for item in value])
    if isinstance(value, datetime | date):
        return celtypes.StringType(value.isoformat())
    if hasattr(value, "item"):  # NumPy scalars
        return to_cel(value.item())
    return celtypes.StringType(str(value))


def _preview(value: Any, depth: int = 0) -> str:
    """A value as short text: its first few items, a few levels deep.

    A value may hold the same part many times, so converting all of it could take time and
    memory exponential in its size.
    """
    if isinstance(value, Mapping | list | tuple):
        if depth >= PREVIEW_DEPTH:
            return "{…}" if isinstance(value, Mapping) else "[…]"
        if isinstance(value, Mapping):
            items = [
                f"{_preview(key, depth + 1)}: {_preview(item, depth + 1)}"
                for key, item in islice(value.items(), PREVIEW_ITEMS)
            ]
        else:
            items = [_preview(item, depth + 1) for item in islice(value, PREVIEW_ITEMS)]
        if len(value) > PREVIEW_ITEMS:
            items.append("…")
        opening, closing = ("{", "}") if isinstance(value, Mapping) else ("[", "]")
        return opening + ", ".join(items) + closing
    plain = from_cel(value)
    return repr(plain[: MAX_MESSAGE + 1] if isinstance(plain, str | bytes) else plain)


def from_cel(value: Any) -> Any:
    """cel-python values -> plain Python values (for messages)."""
    if isinstance(value, Mapping):
        return {str(key): from_cel(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [from_cel(item) for item in value]
    for plain in (bool, int, float, str):
        if isinstance(value, plain):
            return plain(value)
    return value


# --- compiling, with positions in the policy file ---------------------------------------------


def _pieces(source: str, line: int, column: int) -> list[tuple[int, int, int]]:
    """Where the text of the YAML scalar at (line, column) lies: (line, column, length) pieces.

    The scalar's text is (close to) its pieces joined by one character each: a newline in a
    literal block, a space when YAML folds lines.
    """
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return []
    head = lines[line - 1][column - 1 :]
    if head[:1] in ("|", ">"):
        pieces: list[tuple[int, int, int]] = []
        indent: int | None = None
        for number in range(line + 1, len(lines) + 1):
            text = lines[number - 1]
            current = len(text) - len(text.lstrip(" "))
            if not text.strip():
                pieces.append((number, (indent or 0) + 1, 0))
                continue
            if indent is None:
                indent = current
            if current < indent:
                break
            pieces.append((number, indent + 1, len(text) - indent))
        return pieces
    quote = 1 if head[:1] in ("'", '"') else 0
    pieces = [(line, column + quote, len(head.rstrip()) - quote)]
    for number in range(line + 1, len(lines) + 1):
        text = lines[number - 1]
        stripped = text.strip()
        pieces.append((number, len(text) - len(text.lstrip()) + 1, len(stripped)))
    return pieces


def source_position(
    source: str | None,
    value_position: tuple[int, int] | None,
    text: str,
    cel_line: int | None,
    cel_column: int | None,
) -> tuple[int | None, int | None]:
    """File position of the character at CEL (line, column) of the scalar at ``value_position``."""
    if value_position is None:
        return None, None
    line, column = value_position
    if source is None or cel_line is None or cel_column is None:
        return line, column
    text_lines = text.split("\n")
    offset = sum(len(item) + 1 for item in text_lines[: cel_line - 1]) + max(cel_column - 1, 0)
    start = 0
    for piece_line, piece_column, length in _pieces(source, line, column):
        if offset <= start + length:
            return piece_line, piece_column + offset - start
        start += length + 1
    return line, column


def _syntax_problem(error: BaseException, text: str) -> tuple[str, int | None, int | None]:
    """What the parser tripped on, and where (CEL line and column)."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    line, column = getattr(error, "line", None), getattr(error, "column", None)
    cause = error.__context__
    if isinstance(cause, UnexpectedToken) and cause.token.type == "$END":
        lines = text.rstrip().split("\n")
        return "unexpected end of expression", len(lines), len(lines[-1]) + 1
    if isinstance(cause, UnexpectedToken):
        return f"unexpected {str(cause.token)!r}", line, column
    if isinstance(cause, UnexpectedCharacters):
        return f"unexpected character {cause.char!r}", line, column
    return "invalid syntax", line, column


def _identifiers(tree: Any, bound: frozenset[str]) -> Iterator[tuple[str, Any, str]]:
    """(name, token, role) of free variables and called functions in a CEL parse tree."""
    from lark import Token, Tree

    if not isinstance(tree, Tree):
        return
    kind = tree.data
    children = tree.children
    if kind == "ident" and children and isinstance(children[0], Token):
        if str(children[0]) not in bound:
            yield str(children[0]), children[0], "variable"
        return
    if kind == "ident_arg" and children and isinstance(children[0], Token):
        yield str(children[0]), children[0], "function"
        if str(children[0]) == "has":  # has(a.b) reads a field: only the root is a variable
            for child in children[1:]:
                yield from _identifiers(child, bound)
            return
        for child in children[1:]:
            yield from _identifiers(child, bound)
        return
    if kind == "member_dot":
        yield from _identifiers(children[0], bound)  # the field name is not a variable
        return
    if kind == "member_dot_arg" and len(children) >= 2 and isinstance(children[1], Token):
        method = str(children[1])
        yield from _identifiers(children[0], bound)
        if method not in MACROS:
            yield method, children[1], "function"
        arguments = children[2].children if len(children) > 2 else []
        names = _macro_variables(method, arguments)
        inner = bound | frozenset(names)
        for argument in arguments[len(names) :]:
            yield from _identifiers(argument, inner)
        return
    if kind in ("member_object", "fieldinits", "dot_ident", "dot_ident_arg"):
        return  # message construction and package-qualified names: not used in policies
    for child in children:
        yield from _identifiers(child, bound)


def _macro_variables(method: str, arguments: Sequence[Any]) -> list[str]:
    """Names a macro binds: its leading bare-identifier arguments."""
    count = {"reduce": 2}.get(method, 1) if method in MACROS and method != "min" else 0
    names: list[str] = []
    for argument in arguments[:count]:
        name = _bare_identifier(argument)
        if name is None:
            break
        names.append(name)
    return names


def _bare_identifier(tree: Any) -> str | None:
    from lark import Token, Tree

    node = tree
    while isinstance(node, Tree) and len(node.children) == 1:
        if node.data == "ident" and isinstance(node.children[0], Token):
            return str(node.children[0])
        node = node.children[0]
    return None


@dataclass(frozen=True)
class Located:
    """A YAML scalar's text and where it is: enough to place errors inside it."""

    text: str
    path: Path
    value_position: tuple[int, int] | None
    source: str | None = None

    def error(
        self, message: str, cel_line: int | None, cel_column: int | None, field: str
    ) -> PolicyError:
        """A PolicyError at CEL (line, column) of this scalar."""
        line, column = source_position(
            self.source, self.value_position, self.text, cel_line, cel_column
        )
        return PolicyError(message, path=self.path, line=line, column=column, field=field)


def compile_expression(located: Located, kind: ExpressionKind, *, field: str) -> Expression:
    """Parse and check a CEL expression; any problem is a PolicyError inside the scalar.

    Parameters
    ----------
    located
        The expression's text and position in the policy file.
    kind
        ``assert`` or ``when``: decides which variables the expression may read.
    field
        The dotted field name for error messages (``rules[2].assert``).
    """
    from celpy.celparser import CELParseError

    text = located.text
    if not text.strip():
        raise located.error(f"{kind} is empty: write a CEL expression", None, None, field)
    too_long = text_problem(text, kind)
    if too_long is not None:
        raise located.error(too_long.message, None, None, field)
    try:
        ast = _environment().compile(text)
    except CELParseError as exc:
        problem, line, column = _syntax_problem(exc, text)
        raise located.error(f"invalid CEL in {kind}: {problem}", line, column, field) from None
    except RecursionError:
        raise located.error(f"{kind} nests too deeply", None, None, field) from None
    except Exception as exc:  # lark can raise other errors on pathological input
        message = f"invalid CEL in {kind}: {_short(str(exc))}"
        raise located.error(message, None, None, field) from None
    allowed = VARIABLES[kind]
    functions = _functions()
    try:
        found = list(_identifiers(ast, frozenset()))
    except RecursionError:
        raise located.error(f"{kind} nests too deeply", None, None, field) from None
    for name, token, role in found:
        position = (getattr(token, "line", None), getattr(token, "column", None))
        if role == "variable" and name not in allowed:
            message = f"unknown variable {name!r} in {kind} (available: {', '.join(allowed)})"
            raise located.error(message, *position, field)
        if role == "function" and name not in functions:
            raise located.error(f"unknown function {name!r} in {kind}", *position, field)
    costly = cost_problem(ast, kind)
    if costly is not None:
        raise located.error(costly.message, costly.line, costly.column, field)
    line, column = source_position(located.source, located.value_position, text, 1, 1)
    return Expression(text=text, kind=kind, path=located.path, line=line, column=column, ast=ast)


def fields_read(expression: Expression, roots: Sequence[str]) -> list[tuple[str, str, Any]]:
    """``(root, field, token)`` for each ``root.field`` the expression reads (for lint)."""
    from lark import Token, Tree

    found: list[tuple[str, str, Any]] = []

    def walk(tree: Any) -> None:
        if not isinstance(tree, Tree):
            return
        if tree.data == "member_dot" and len(tree.children) == 2:
            root = _bare_identifier(tree.children[0])
            name = tree.children[1]
            if root is not None and root in roots and isinstance(name, Token):
                found.append((root, str(name), name))
        for child in tree.children:
            walk(child)

    walk(expression.ast)
    return found
