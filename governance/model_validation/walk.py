"""Walk a loaded model through containers, arrays and attributes, calling none of its code."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from governance.model_validation.refusals import WHERE_SHOWN, shown


@dataclass
class Graph:
    """Every object reached from the model once, how it was reached, and edges to trees."""

    objects: list[Any] = field(default_factory=list)
    parents: list[tuple[int, str]] = field(default_factory=list)  # (parent index, step)
    tree_edges: list[tuple[int, str, int]] = field(default_factory=list)  # parent, step, child

    def where(self, index: int, step: str = "") -> str:
        """How the object at ``index`` was reached (``model.steps[1][1].estimators_[3]``)."""
        steps = [step]
        while index >= 0:
            index, part = self.parents[index]
            steps.append(part)
        where = "".join(reversed(steps))
        if len(where) <= WHERE_SHOWN:
            return where
        return where[: WHERE_SHOWN // 3] + "..." + where[-(WHERE_SHOWN - WHERE_SHOWN // 3 - 3) :]


def walk(model: Any) -> Graph:
    """Every object reachable from ``model``, each once, and every way to each tree."""
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.tree._tree import Tree

    graph = Graph()
    index_of: dict[int, int] = {}
    stack: list[tuple[Any, int, str]] = [(model, -1, "model")]
    while stack:
        obj, parent, step = stack.pop()
        known = index_of.get(id(obj))
        index = known if known is not None else _add(graph, index_of, obj, parent, step)
        if isinstance(obj, (Tree, TreePredictor)):
            graph.tree_edges.append((parent, step, index))  # every way to it, checked
        if known is not None:
            continue
        children = list(_children(obj))
        for child_step, child in reversed(children):
            stack.append((child, index, child_step))
    return graph


def _add(graph: Graph, index_of: dict[int, int], obj: Any, parent: int, step: str) -> int:
    index = len(graph.objects)
    index_of[id(obj)] = index
    graph.objects.append(obj)
    graph.parents.append((parent, step))
    return index


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    """(step, child) of ``obj``, read without calling any method ``obj``'s class defines."""
    import types

    import numpy as np

    if isinstance(obj, (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)):
        return
    if isinstance(obj, (str, bytes, bytearray, int, float, complex, np.ufunc, np.generic)):
        return
    if isinstance(obj, dict):
        for key, value in dict.items(obj):
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                yield f"[key {shown(type(key).__name__)}]", key
            yield f"[{_key(key)}]", value
    elif isinstance(obj, (list, tuple)):
        items = list.__iter__(obj) if isinstance(obj, list) else tuple.__iter__(obj)
        for position, item in enumerate(items):
            yield f"[{position}]", item
    elif isinstance(obj, (set, frozenset)):
        items = set.__iter__(obj) if isinstance(obj, set) else frozenset.__iter__(obj)
        for item in items:
            yield "{item}", item
    elif isinstance(obj, np.ndarray) and obj.dtype.hasobject:
        for cell in np.ndindex(*obj.shape):
            yield f"[{', '.join(str(p) for p in cell)}]", np.ndarray.__getitem__(obj, cell)
    elif isinstance(obj, types.MethodType):
        yield ".__self__", obj.__self__
    for owner in type(obj).__mro__:  # slots: read through their member descriptors
        for name, member in owner.__dict__.items():
            if isinstance(member, types.MemberDescriptorType):
                try:
                    yield f".{shown(name)}", member.__get__(obj, type(obj))
                except AttributeError:
                    continue
    try:
        attributes = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return
    if isinstance(attributes, dict):
        for name, value in dict.items(attributes):
            yield (f".{shown(name)}" if isinstance(name, str) else f"[{_key(name)}]"), value


def _key(key: Any) -> str:
    if isinstance(key, str):
        return shown(repr(key))
    if isinstance(key, (int, float, bool)) or key is None:
        return repr(key)
    return f"<{shown(type(key).__name__)}>"


def hidden_attribute(obj: Any) -> tuple[str, str] | None:
    """(name, class) of an instance attribute of a scikit-learn object hiding a method.

    A method, function or other non-data descriptor of the class is hidden by an instance
    attribute of the same name; a plain class value may be (``Lars.positive`` is a default its
    subclasses set per instance), and a data descriptor (a property) cannot be.
    """
    kind = type(obj)
    if not kind.__module__.startswith("sklearn."):
        return None
    try:
        attributes = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return None
    if not isinstance(attributes, dict):
        return None
    for name in attributes:
        if not isinstance(name, str):
            continue
        for owner in kind.__mro__:
            if name in owner.__dict__:
                found = owner.__dict__[name]
                kind_of = type(found)
                data = hasattr(kind_of, "__set__") or hasattr(kind_of, "__delete__")
                if not data and (callable(found) or hasattr(kind_of, "__get__")):
                    return shown(name), owner.__qualname__
                break
    return None
