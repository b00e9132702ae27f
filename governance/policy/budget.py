"""What a CEL expression may cost: limits checked when a policy loads, a budget when it runs.

A policy pack is untrusted input, and its expressions run on evidence whose size depends on the
data. Two guards keep one expression from hanging ``governance check`` or exhausting memory:

- when the policy loads, :func:`cost_problem` refuses an expression that is too long, too big,
  nests comprehensions too deeply or writes too long a list or map literal (a ``PolicyError``
  at the offending character, exit 2);
- when it runs, a :class:`Budget` stops the evaluation once it has used its time
  (``cel_budget_seconds``), built too much (list elements, map entries and characters of the
  values it makes) or asks ``==``, ``!=``, ``in`` or ``string()`` to walk too big a value. The
  evaluator checks the budget before every node it evaluates, in the evaluating thread, so the
  work stops there: the expression's rule ends as an ``error`` finding.

The limits are documented in docs/policies.md (CEL budget).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from governance.config import DEFAULT_CEL_BUDGET_SECONDS

MAX_LENGTH = 5_000
"""Characters of one expression's text."""
MAX_NODES = 2_000
"""Nodes of one expression's parse tree (a literal or a name is about ten)."""
MAX_NESTING = 4
"""Comprehensions (all, exists, exists_one, map, filter, reduce) nested in each other's bodies."""
MAX_LITERAL = 100
"""Items of one list literal or entries of one map literal."""
MAX_BUILT = 10_000_000
"""List elements, map entries and characters one evaluation may build, all values together."""
MAX_WALKED = 1_000_000
"""Elements (and, for ``string()``, characters) one ``==``, ``!=``, ``in`` or ``string()`` walks."""
DEFAULT_SECONDS = DEFAULT_CEL_BUDGET_SECONDS
"""Default time budget of one evaluation (setting ``cel_budget_seconds``)."""

COMPREHENSIONS = frozenset({"all", "exists", "exists_one", "map", "filter", "reduce"})

TOO_LONG = "{kind} is {found:,} characters long; at most {limit:,}"
TOO_BIG = "{kind} has {found:,} parse-tree nodes; at most {limit:,}"
TOO_DEEP = "comprehensions nested {found} deep in {kind}; at most {limit}"
TOO_MANY_ITEMS = "a {what} literal of {found:,} {items} in {kind}; at most {limit:,}"
OUT_OF_TIME = "CEL evaluation exceeded its time budget of {seconds:g} s"
BUILT_TOO_MUCH = (
    "CEL evaluation exceeded its size budget: it built more than {limit:,} list elements, "
    "map entries and characters"
)
WALKED_TOO_MUCH = (
    "CEL evaluation exceeded its size budget: {operation} on values of more than {limit:,} {units}"
)

# Nodes whose value is new (a result the evaluation built), not a value it looked up.
_BUILDERS = frozenset({"list_lit", "map_lit", "member_dot_arg", "ident_arg"})
_OPERATIONS = frozenset({"addition"})  # only with two children; one child passes its value on
_GUARDED = {"_==_": "==", "_!=_": "!=", "_in_": "in", "string": "string()"}
_CHECK_EVERY = 4096


class BudgetExceeded(Exception):
    """The evaluation used up its budget (caught and reported by the caller)."""


@dataclass(frozen=True)
class CostProblem:
    """Why an expression costs too much, and where (CEL line and column, if known)."""

    message: str
    line: int | None = None
    column: int | None = None


def text_problem(text: str, kind: str) -> CostProblem | None:
    """An expression whose text is too long (checked before parsing it)."""
    if len(text) > MAX_LENGTH:
        return CostProblem(TOO_LONG.format(kind=kind, found=len(text), limit=MAX_LENGTH))
    return None


def cost_problem(ast: Any, kind: str) -> CostProblem | None:
    """The first static limit a parsed expression exceeds, or ``None``.

    Parameters
    ----------
    ast
        The expression's parse tree (from cel-python).
    kind
        ``assert`` or ``when``, for the message.
    """
    from lark import Token, Tree

    nodes = 0
    deepest: tuple[int, Any] = (0, None)
    # iterative walk: (tree, comprehensions around it); the parser bounds the tree's depth
    stack: list[tuple[Any, int]] = [(ast, 0)]
    while stack:
        tree, depth = stack.pop()
        if not isinstance(tree, Tree):
            continue
        nodes += 1
        if nodes > MAX_NODES:
            return CostProblem(TOO_BIG.format(kind=kind, found=_count(ast), limit=MAX_NODES))
        children = tree.children
        items = _literal_items(tree)
        if items is not None and items[0] > MAX_LITERAL:
            found, what, unit = items
            message = TOO_MANY_ITEMS.format(
                what=what, found=found, items=unit, kind=kind, limit=MAX_LITERAL
            )
            meta = tree.meta
            return CostProblem(message, getattr(meta, "line", None), getattr(meta, "column", None))
        method = children[1] if tree.data == "member_dot_arg" and len(children) > 1 else None
        if isinstance(method, Token) and str(method) in COMPREHENSIONS:
            inner = depth + 1
            if inner > deepest[0]:
                deepest = (inner, method)
            stack.append((children[0], depth))  # the range is evaluated once, outside
            stack.extend((child, inner) for child in children[2:])
            continue
        stack.extend((child, depth) for child in children)
    found, token = deepest
    if found > MAX_NESTING:
        message = TOO_DEEP.format(found=found, kind=kind, limit=MAX_NESTING)
        return CostProblem(message, getattr(token, "line", None), getattr(token, "column", None))
    return None


def _count(ast: Any) -> int:
    return sum(1 for _ in ast.iter_subtrees())


def _literal_items(tree: Any) -> tuple[int, str, str] | None:
    from lark import Tree

    if tree.data not in ("list_lit", "map_lit"):
        return None
    inner = next((child for child in tree.children if isinstance(child, Tree)), None)
    found = len(inner.children) if inner is not None else 0
    if tree.data == "list_lit":
        return found, "list", "items"
    return found // 2, "map", "entries"


# --- run time ---------------------------------------------------------------------------------


@dataclass
class Budget:
    """Time and size left to one evaluation; :meth:`check` raises when the time is up."""

    seconds: float
    deadline: float = field(init=False)
    built: int = 0

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` once the time budget has run out."""
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(OUT_OF_TIME.format(seconds=self.seconds))

    def add(self, value: Any) -> None:
        """Count a value the evaluation built: its elements, entries or characters."""
        if isinstance(value, str | bytes | list | tuple | Mapping):
            self.built += len(value)
            if self.built > MAX_BUILT:
                raise BudgetExceeded(BUILT_TOO_MUCH.format(limit=MAX_BUILT))

    def walk(self, operation: str, values: tuple[Any, ...]) -> None:
        """Refuse to let ``operation`` walk more than :data:`MAX_WALKED` elements.

        ``==``, ``!=`` and ``in`` compare element by element and ``string()`` writes every
        element: their cost is the size of the values as trees, which a few comprehensions can
        make exponential in the size of the expression (a list holding the same list twice, and
        so on). The walk stops as soon as the limit is passed, so it costs at most the limit.
        """
        chars = operation == "string()"
        total = 0
        for count, weight in enumerate(_weights(values, chars), start=1):
            total += weight
            if total > MAX_WALKED:
                units = "elements and characters" if chars else "elements"
                raise BudgetExceeded(
                    WALKED_TOO_MUCH.format(operation=operation, limit=MAX_WALKED, units=units)
                )
            if count % _CHECK_EVERY == 0:
                self.check()

    def guard(self, functions: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
        """``==``, ``!=``, ``in`` and ``string()`` of ``functions``, each walking within budget."""
        guarded: dict[str, Callable[..., Any]] = {}
        for name, operation in _GUARDED.items():
            guarded[name] = self._guarded(operation, functions[name])
        return guarded

    def _guarded(self, operation: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def guarded(*args: Any) -> Any:
            self.walk(operation, args)
            return function(*args)

        return guarded


def _weights(values: tuple[Any, ...], chars: bool) -> Iterator[int]:
    """One weight per node of ``values`` as trees (shared parts counted each time they appear)."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str | bytes):
            yield 1 + len(value) if chars else 1
        elif isinstance(value, Mapping):
            yield 1
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            yield 1
            stack.extend(value)
        else:
            yield 1


@functools.cache
def evaluator_class() -> type:
    """cel-python's interpreter, checking the budget at every node (created on first use)."""
    from celpy.evaluation import Evaluator

    class BudgetedEvaluator(Evaluator):
        """An Evaluator that spends a :class:`Budget` (macro bodies share it)."""

        def __init__(self, ast: Any, activation: Any, budget: Budget) -> None:
            super().__init__(ast, activation)
            self.budget = budget

        def sub_evaluator(self, ast: Any) -> BudgetedEvaluator:
            return BudgetedEvaluator(ast, self.activation, self.budget)

        def _visit_tree(self, tree: Any) -> Any:  # every node: visit() and visit_children()
            self.budget.check()
            value = super()._visit_tree(tree)
            data = tree.data
            if data in _BUILDERS or (data in _OPERATIONS and len(tree.children) > 1):
                self.budget.add(value)
            return value

    return BudgetedEvaluator
