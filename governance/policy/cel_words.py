"""CEL in words, for messages: ``every item of evidence.sensitive has share == 0.0 or rank > 5``.

A small rendering of a compiled expression's syntax tree (never evaluated here): ``&&`` and
``||`` become ``and`` and ``or``, ``!`` becomes ``not``, the ``all``/``exists``/``exists_one``
macros become ``every item of X has ...``, ``some item of X has ...`` and ``exactly one item of X
has ...`` (the bound variable's fields named bare). Anything else it does not know, it gives
up on: :func:`in_words` returns ``None`` and the caller shows the expression as written.

And message templates: a rule's ``message:`` with ``{measured}``, ``{threshold.min}``,
``{evidence.<path>}``, ``{model.<field>}`` and ``{data.<field>}`` placeholders, checked when the
policy loads (:func:`template_problem`) and filled from the finding (:func:`fill_template`).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

MACROS = {"all": "every item of", "exists": "some item of", "exists_one": "exactly one item of"}
RELATIONS = {
    "relation_eq": "==",
    "relation_ne": "!=",
    "relation_lt": "<",
    "relation_le": "<=",
    "relation_gt": ">",
    "relation_ge": ">=",
    "relation_in": "in",
}
ARITHMETIC = {
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
    "multiplication_mod": "%",
}
PASS_THROUGH = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication"}
    | {"unary", "member", "primary", "literal", "exprlist", "ident"}
)
TEMPLATE_ROOTS = ("measured", "threshold", "evidence", "model", "data")
"""What a ``message:`` placeholder may name (its first dotted part)."""
MISSING = "?"
"""What a placeholder shows when the finding has no such value."""


class _Unknown(Exception):
    """A node this renderer does not put in words."""


def in_words(tree: Any) -> str | None:
    """The expression in words, or ``None`` when it holds something not rendered."""
    try:
        return _words(tree, None)
    except (_Unknown, RecursionError):
        return None


def _words(node: Any, bound: str | None) -> str:
    from lark import Token, Tree

    if isinstance(node, Token):
        if node.type == "IDENT" and bound is not None and str(node) == bound:
            return "the item"
        return str(node)
    if not isinstance(node, Tree):
        raise _Unknown(node)
    name, children = str(node.data), node.children
    if name == "conditionalor" and len(children) == 2:
        return f"{_words(children[0], bound)} or {_words(children[1], bound)}"
    if name == "conditionaland" and len(children) == 2:
        return f"{_words(children[0], bound)} and {_words(children[1], bound)}"
    if name in ("relation", "addition", "multiplication") and len(children) == 2:
        operator_node, right = children
        operators = RELATIONS if name == "relation" else ARITHMETIC
        operator = operators.get(str(getattr(operator_node, "data", "")))
        if operator is None or len(operator_node.children) != 1:
            raise _Unknown(operator_node)
        left = _words(operator_node.children[0], bound)
        return f"{left} {operator} {_words(right, bound)}"
    if name == "unary" and len(children) == 2:
        operator = {"unary_not": "not ", "unary_neg": "-"}.get(str(children[0].data))
        if operator is None:
            raise _Unknown(node)
        return operator + _words(children[1], bound)
    if name == "member_dot" and len(children) == 2:
        target = children[0]
        if bound is not None and _identifier(target) == bound:
            return str(children[1])
        return f"{_words(target, bound)}.{children[1]}"
    if name == "member_dot_arg" and len(children) == 3:
        return _macro(children, bound)
    if name == "paren_expr" and len(children) == 1:
        return f"({_words(children[0], bound)})"
    if name in PASS_THROUGH and len(children) == 1:
        return _words(children[0], bound)
    raise _Unknown(node)


def _macro(children: list[Any], bound: str | None) -> str:
    target, method, arguments = children
    phrase = MACROS.get(str(method))
    items = getattr(arguments, "children", [])
    if phrase is None or len(items) != 2:
        raise _Unknown(method)
    variable = _identifier(items[0])
    if variable is None:
        raise _Unknown(items[0])
    body = _words(items[1], variable)
    text = f"{phrase} {_words(target, bound)} has {body}"
    return f"({text})" if bound is not None else text


def _identifier(node: Any) -> str | None:
    """The name of a bare identifier (through the pass-through nodes), else ``None``."""
    from lark import Token, Tree

    while isinstance(node, Tree) and len(node.children) == 1 and node.data in PASS_THROUGH:
        node = node.children[0]
    if isinstance(node, Tree) and node.data == "ident" and len(node.children) == 1:
        node = node.children[0]
    if isinstance(node, Token) and node.type == "IDENT":
        return str(node)
    return None


def template_fields(template: str) -> list[str]:
    """The placeholders of a ``message:`` template, in order (``ValueError`` if malformed)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def template_problem(template: str) -> str | None:
    """Why a ``message:`` template cannot be used, or ``None``."""
    try:
        fields = template_fields(template)
    except ValueError as exc:
        return f"message template is malformed: {exc} (write {{{{ and }}}} for literal braces)"
    for name in fields:
        root = name.split(".")[0]
        if not name or root not in TEMPLATE_ROOTS or "[" in name or name.endswith("."):
            return (
                f"unknown placeholder {{{name}}} in message (use {{measured}}, "
                "{threshold.min}, {threshold.max}, {evidence.<path>}, {model.<field>} or "
                "{data.<field>})"
            )
    return None


def _shown(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_shown(item) for item in value)
    return str(value)


def _lookup(values: Mapping[str, Any], name: str) -> Any:
    value: Any = values
    for part in name.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list | tuple) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def fill_template(template: str, values: Mapping[str, Any]) -> str:
    """The template with each placeholder replaced by its value (``?`` when absent)."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            parts.append(_shown(_lookup(values, name)))
    return "".join(parts)
