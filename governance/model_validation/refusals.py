"""Why an untrusted model is refused: the error, the limits, the messages and how values show."""

from __future__ import annotations

from typing import Any

from governance.escapes import visible

MAX_TREE_DEPTH = 1000  # levels below the root an untrusted tree may have
MAX_FEATURES = 2**31 - 1  # shap casts feature indices to int32
STEP_SHOWN = 40  # characters of one attribute name or key shown in a location
WHERE_SHOWN = 160  # characters of a location shown

TREE_INVALID = "invalid tree at {where}: {problem}"
MODEL_INVALID = "invalid tree model at {where}: {problem}"
TREE_MISPLACED = "{kind} at {where}, which is not {expected}"
ATTRIBUTE_HIDES = "{where} sets {name}, which would hide {owner}.{name}"
TOO_DEEP = "the tree at {where} is deeper than {limit} levels, the most an untrusted model may have"


class Refused(Exception):
    """The model fails a check; ``trust_helps`` when only its depth or configuration does."""

    def __init__(self, message: str, *, trust_helps: bool = False) -> None:
        super().__init__(message)
        self.trust_helps = trust_helps


def first_true(mask: Any) -> int | None:
    """The index of the first true element of ``mask``, or ``None``."""
    import numpy as np

    found = np.flatnonzero(mask)
    return int(found[0]) if found.size else None


def count_of(value: Any) -> int | None:
    """``value`` as an int if it is an integer (not a bool), else ``None``."""
    import numpy as np

    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        return None
    return int(value)


def counts_of(value: Any) -> list[int | None]:
    """The counts of a 1-D array or list (``None`` where not a count); ``[None]`` else."""
    import numpy as np

    if isinstance(value, np.ndarray) and value.ndim == 1:
        return [count_of(item) for item in value]
    if isinstance(value, list):
        return [count_of(item) for item in value]
    return [None]


def value_shown(value: Any) -> str:
    """``value`` for a message: the count, ``missing``, or ``a <type>``."""
    if value is None:
        return "missing"
    if count_of(value) is not None:
        return str(int(value))
    return f"a {type_name(value)}"


def plural(count: int, noun: str) -> str:
    """``1 tree``, ``2 trees``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def type_name(value: Any) -> str:
    """The name of ``value``'s type, shown safely."""
    return shown(type(value).__name__)


def listed(values: Any) -> str:
    """Integers as ``[1, 2]``."""
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def tree_problem(where: str, problem: str) -> str:
    """The message of an invalid tree at ``where``."""
    return TREE_INVALID.format(where=where, problem=problem)


def model_problem(where: str, problem: str) -> str:
    """The message of an invalid tree model at ``where``."""
    return MODEL_INVALID.format(where=where, problem=problem)


def shown(text: str) -> str:
    """``text`` with invisible characters escaped, cut to :data:`STEP_SHOWN` characters."""
    text = visible(text)
    return text if len(text) <= STEP_SHOWN else text[: STEP_SHOWN - 3] + "..."
