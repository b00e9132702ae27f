"""Check the tree structures of an untrusted model after skops builds it, before anything uses it.

scikit-learn's decision trees (``sklearn.tree._tree.Tree``, inside decision trees, random
forests, extra trees, gradient boosting, isolation forests, AdaBoost and bagging of trees) and
histogram gradient boosting's ``TreePredictor`` hold node indices that compiled code follows
without bounds checks: scikit-learn's predict, apply and decision_path, gradient boosting's
``predict_stages`` (which also writes one column per tree of a stage), and shap's tree
explainer, which writes at the split features' indices. skops trusts neither type. An untrusted
model may hold them because :func:`check_model` checks every one after skops has built the
model and before anything else touches it; a model that fails is refused (:class:`Refused`).

Building them from a hostile file is safe, so the check can come after construction:

- ``Tree(n_features, n_classes, n_outputs)`` allocates ``n_outputs`` class counts and copies
  them from a checked 1-D integer array (Python indexing, so bounds-checked); a negative count
  fails to allocate.
- ``Tree.__setstate__`` accepts only a 1-D C-contiguous NumPy node array of the node dtype and
  a C-contiguous float64 value array of shape (nodes, outputs, classes), then copies exactly
  their bytes; a ``node_count`` above the array's length is cut to it, and an object that only
  looks like an array is refused by Cython's type check. Nothing follows an index there.
- ``TreePredictor`` is set up as a plain object (its ``__setstate__`` only casts the node
  array's dtype). Unlike a ``Tree``, which copies its arrays into memory of its own, it keeps
  the loaded array, which another object of the file may share (skops builds an ``__id__``
  once) and write into later (a NumPy ufunc given it as ``out``): each checked predictor gets
  a copy of its nodes that nothing else holds. So does each checked gradient boosting model's
  ``estimators_`` array, which ``predict_stages`` reads unchecked.

What is checked, with NumPy over whole arrays (a tree of a million nodes in milliseconds):

1. In the file (:func:`misplaced_types`): each type of
   :data:`governance.model_types.VALIDATED_TYPES` is built only by the node scikit-learn's
   objects are saved as, never as a reference that other code could call with its own
   arguments, so every instance is in the loaded model, where step 2 finds it.
2. The loaded model is walked through containers, object arrays and instance attributes
   without calling anything of its objects. A ``Tree`` may only be the ``tree_`` of a
   decision tree estimator, a ``TreePredictor`` only in a histogram gradient boosting's
   ``_predictors``.
3. Each tree: at least one node and as many as its arrays hold (the value array's shape was
   checked as it was built); a node is a leaf (both children -1, feature -2) or has both
   children after it and within the tree, and every node but the root is the child of
   exactly one node, so every walk from the root ends, in bounds, and visits each node at
   most once; split features within the tree's features, thresholds not NaN; ``max_depth``
   is the depth of its deepest leaf (``decision_path`` allocates by it) and at most
   :data:`MAX_TREE_DEPTH` (shap's tree explainer allocates (depth + 2)(depth + 3) / 2 path
   elements per tree in an unsigned int, which overflows past about 92,000 levels; 1,000
   levels need 16 MB).
4. Each decision tree estimator: ``n_features_in_`` is the tree's feature count (scikit-learn
   checks the width of the data against it on every call, ``check_input=False`` included),
   ``n_outputs_`` and the classes match the tree. Forests and gradient boosting give their
   own data to all their trees, and shap reads their trees directly, so each tree's
   ``n_features_in_`` is the ensemble's; an isolation forest's feature subsets lie within its
   features. Gradient boosting writes tree ``k`` of a stage into column ``k`` of its initial
   prediction, unchecked: its initial estimator must be one whose width is known (``"zero"``,
   or the default ``DummyClassifier`` / ``DummyRegressor``, with one of scikit-learn's own
   losses and links, ``is_multiclass`` not set per instance), and that width must be the
   number of trees a stage.
5. Histogram gradient boosting: no categorical preprocessing (such models hold
   ``functools.partial`` and are refused before loading anyway), not saved while fitting
   (``_in_fit`` would skip the width check), no categorical splits, and every predictor's
   split features within the model's.
6. No instance attribute of a scikit-learn object hides a method (or other non-data
   descriptor) of its class: ``_validate_X_predict`` replaced by ``numpy.add`` would skip the
   width check.

shap's tree explainer does not check the width of the matrix it is given against the trees:
governance gives it the matrix the model has just predicted from, whose width the estimator
checked against ``n_features_in_``, which step 4 ties to every tree.

A model that only a trusted loader may hold (a deeper tree, another initial estimator) is
refused with ``trust_helps``; a malformed one without.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from governance.escapes import visible
from governance.model_types import VALIDATED_TYPES

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


def misplaced_types(data: bytes) -> list[str]:
    """Types of ``VALIDATED_TYPES`` that the skops file ``data`` builds by another node.

    Parameters
    ----------
    data
        The bytes of a skops file.

    Returns
    -------
    list of str
        ``<name> as <node>`` for each such use, sorted; empty if there is none.

    Raises
    ------
    ValueError, KeyError, zipfile.BadZipFile
        The file is not a zip holding a JSON ``schema.json``.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            module, name = node.get("__module__"), node.get("__class__")
            if isinstance(module, str) and isinstance(name, str):
                full = f"{module}.{name}"
                loader = node.get("__loader__")
                if full in VALIDATED_TYPES and loader != VALIDATED_TYPES[full]:
                    found.add(f"{full} as {loader if isinstance(loader, str) else 'a node'}")
            stack.extend(node.values())
    return sorted(found)


def check_model(model: Any) -> None:
    """Check the trees of a model skops has just built from an untrusted file.

    Parameters
    ----------
    model
        The loaded object; only its attributes are read (see the module's docstring).

    Raises
    ------
    Refused
        A tree, its estimator or its ensemble fails a check; the message names where.
    """
    _Checker(_walk(model)).run()


# --- walking the loaded object ----------------------------------------------------------------


@dataclass
class _Graph:
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


def _walk(model: Any) -> _Graph:
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.tree._tree import Tree

    graph = _Graph()
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


def _add(graph: _Graph, index_of: dict[int, int], obj: Any, parent: int, step: str) -> int:
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
                yield f"[key {_shown(type(key).__name__)}]", key
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
                    yield f".{_shown(name)}", member.__get__(obj, type(obj))
                except AttributeError:
                    continue
    try:
        attributes = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return
    if isinstance(attributes, dict):
        for name, value in dict.items(attributes):
            yield (f".{_shown(name)}" if isinstance(name, str) else f"[{_key(name)}]"), value


def _shown(text: str) -> str:
    text = visible(text)
    return text if len(text) <= STEP_SHOWN else text[: STEP_SHOWN - 3] + "..."


def _key(key: Any) -> str:
    if isinstance(key, str):
        return _shown(repr(key))
    if isinstance(key, (int, float, bool)) or key is None:
        return repr(key)
    return f"<{_shown(type(key).__name__)}>"


# --- the checks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """What a checked tree's holder must agree with."""

    n_features: int
    n_outputs: int
    n_classes: tuple[int, ...]


class _Checker:
    def __init__(self, graph: _Graph) -> None:
        from sklearn.ensemble import (
            ExtraTreesClassifier,
            ExtraTreesRegressor,
            GradientBoostingClassifier,
            GradientBoostingRegressor,
            HistGradientBoostingClassifier,
            HistGradientBoostingRegressor,
            IsolationForest,
            RandomForestClassifier,
            RandomForestRegressor,
            RandomTreesEmbedding,
        )
        from sklearn.tree import (
            DecisionTreeClassifier,
            DecisionTreeRegressor,
            ExtraTreeClassifier,
            ExtraTreeRegressor,
        )

        self.graph = graph
        self.tree_classifiers = (DecisionTreeClassifier, ExtraTreeClassifier)
        self.tree_regressors = (DecisionTreeRegressor, ExtraTreeRegressor)
        self.forests = (
            RandomForestClassifier,
            RandomForestRegressor,
            ExtraTreesClassifier,
            ExtraTreesRegressor,
            RandomTreesEmbedding,
            IsolationForest,
        )
        self.boosting = (GradientBoostingClassifier, GradientBoostingRegressor)
        self.hist_boosting = (HistGradientBoostingClassifier, HistGradientBoostingRegressor)
        self.shapes: dict[int, _Shape] = {}

    def run(self) -> None:
        from sklearn.tree._tree import Tree

        graph = self.graph
        for index, obj in enumerate(graph.objects):
            hidden = _hidden_attribute(obj)
            if hidden is not None:
                name, owner = hidden
                raise Refused(
                    ATTRIBUTE_HIDES.format(where=graph.where(index), name=name, owner=owner)
                )
        predictor_lists: set[int] = set()
        for index, obj in enumerate(graph.objects):
            kind = type(obj)
            if kind in self.tree_classifiers or kind in self.tree_regressors:
                self._tree_estimator(obj, index)
            elif kind in self.forests:
                self._forest(obj, index)
            elif kind in self.boosting:
                self._boosting(obj, index)
            elif kind in self.hist_boosting:
                predictor_lists.update(self._hist_boosting(obj, index))
        for parent, step, child in graph.tree_edges:
            holder = graph.objects[parent] if parent >= 0 else None
            where = graph.where(parent, step) if parent >= 0 else step
            if isinstance(graph.objects[child], Tree):
                held = step == ".tree_" and type(holder) in self.tree_estimators
                expected = "the tree_ of a decision tree estimator"
                kind_name = "a tree structure (sklearn.tree._tree.Tree)"
            else:
                held = parent >= 0 and id(holder) in predictor_lists
                expected = "in a histogram gradient boosting model's _predictors"
                kind_name = "a histogram gradient boosting tree (TreePredictor)"
            if not held:
                raise Refused(TREE_MISPLACED.format(kind=kind_name, where=where, expected=expected))

    @property
    def tree_estimators(self) -> tuple[type, ...]:
        return self.tree_classifiers + self.tree_regressors

    # decision tree estimators ---------------------------------------------------------------

    def _tree_estimator(self, estimator: Any, index: int) -> None:
        from sklearn.tree._tree import Tree

        where = self.graph.where(index)
        attributes = vars(estimator)
        if "tree_" not in attributes:
            return  # not fitted (the template of an ensemble): nothing follows its indices
        tree = attributes["tree_"]
        if not isinstance(tree, Tree):
            raise Refused(_model(where, f"tree_ is a {_type(tree)}, not a tree"))
        shape = self._tree(tree, where + ".tree_")
        n_features = attributes.get("n_features_in_")
        if _count(n_features) != shape.n_features:
            raise Refused(
                _model(
                    where,
                    f"n_features_in_ is {_value(n_features)} but its tree has "
                    f"{shape.n_features} features",
                )
            )
        n_outputs = attributes.get("n_outputs_")
        if _count(n_outputs) != shape.n_outputs:
            raise Refused(
                _model(
                    where,
                    f"n_outputs_ is {_value(n_outputs)} but its tree has {shape.n_outputs} outputs",
                )
            )
        if type(estimator) in self.tree_regressors:
            if any(count != 1 for count in shape.n_classes):
                raise Refused(_model(where, "a regression tree whose tree has classes"))
            return
        self._classes(attributes, shape, where)

    def _classes(self, attributes: dict[str, Any], shape: _Shape, where: str) -> None:
        import numpy as np

        n_classes = attributes.get("n_classes_")
        classes = attributes.get("classes_")
        if shape.n_outputs == 1:
            counts = [_count(n_classes)]
            labels = [classes]
        else:
            counts = _counts(n_classes)
            labels = list(classes) if isinstance(classes, list) else []
        if counts != list(shape.n_classes):
            raise Refused(
                _model(
                    where,
                    f"n_classes_ is {_value(n_classes)} but its tree has "
                    f"{_listed(shape.n_classes)} classes",
                )
            )
        for output, (count, values) in enumerate(zip(shape.n_classes, labels, strict=False)):
            if not (isinstance(values, np.ndarray) and values.shape == (count,)):
                raise Refused(_model(where, f"classes_ of output {output} are not {count} classes"))
        if len(labels) != shape.n_outputs:
            raise Refused(_model(where, f"classes_ does not hold {shape.n_outputs} outputs"))

    def _tree(self, tree: Any, where: str) -> _Shape:
        known = self.shapes.get(id(tree))
        if known is None:
            known = self.shapes[id(tree)] = _check_tree(tree, where)
        return known

    # ensembles --------------------------------------------------------------------------------

    def _forest(self, forest: Any, index: int) -> None:
        import numpy as np
        from sklearn.ensemble import IsolationForest

        where = self.graph.where(index)
        attributes = vars(forest)
        members = attributes.get("estimators_")
        if members is None:
            return
        if not isinstance(members, list):
            raise Refused(_model(where, f"estimators_ is a {_type(members)}, not a list"))
        features = attributes.get("estimators_features_")
        subsets = isinstance(forest, IsolationForest)
        if subsets and not (isinstance(features, list) and len(features) == len(members)):
            raise Refused(_model(where, "estimators_features_ does not list one subset a tree"))
        n_features = _count(attributes.get("n_features_in_"))
        for position, member in enumerate(members):
            if type(member) not in self.tree_estimators or "tree_" not in vars(member):
                continue
            fitted = _count(vars(member).get("n_features_in_"))
            expected = n_features
            if subsets:
                subset = features[position] if isinstance(features, list) else None
                if not (
                    isinstance(subset, np.ndarray)
                    and subset.ndim == 1
                    and subset.dtype.kind in "iu"
                    and n_features is not None
                    and bool(((subset >= 0) & (subset < n_features)).all())
                ):
                    raise Refused(
                        _model(
                            where,
                            f"estimators_features_[{position}] is not a set of its "
                            f"{_value(n_features)} features",
                        )
                    )
                expected = len(subset)
            if expected is None or fitted != expected:
                raise Refused(
                    _model(
                        where,
                        f"estimators_[{position}] was fitted on {_value(fitted)} features, "
                        f"the ensemble gives it {_value(expected)}",
                    )
                )

    def _boosting(self, booster: Any, index: int) -> None:
        import numpy as np
        from sklearn.tree import DecisionTreeRegressor

        where = self.graph.where(index)
        attributes = vars(booster)
        members = attributes.get("estimators_")
        if members is None:
            return
        if not (
            isinstance(members, np.ndarray)
            and members.dtype.hasobject
            and members.ndim == 2
            and members.size > 0
        ):
            raise Refused(_model(where, "estimators_ is not a 2-D array of trees"))
        n_features = _count(attributes.get("n_features_in_"))
        for position in np.ndindex(*members.shape):
            member = members[position]
            # predict_stages reads member.tree_ as a Tree: None would be dereferenced
            if type(member) is not DecisionTreeRegressor or "tree_" not in vars(member):
                raise Refused(
                    _model(where, f"estimators_{list(position)} is not a fitted regression tree")
                )
            fitted = _count(vars(member).get("n_features_in_"))
            if n_features is None or fitted != n_features:
                raise Refused(
                    _model(
                        where,
                        f"estimators_{list(position)} was fitted on {_value(fitted)} features, "
                        f"the ensemble on {_value(n_features)}",
                    )
                )
        per_stage = members.shape[1]
        columns = self._initial_columns(booster, attributes, where)
        if columns != per_stage:
            raise Refused(
                _model(
                    where,
                    f"each stage has {_plural(per_stage, 'tree')} but the initial "
                    f"prediction has {_plural(columns, 'column')}",
                )
            )
        # predict_stages reads this array unchecked: keep one that no other object can write
        attributes["estimators_"] = members.copy()

    def _initial_columns(self, booster: Any, attributes: dict[str, Any], where: str) -> int:
        """Columns of gradient boosting's initial prediction, which its trees write into."""
        import numpy as np
        from sklearn._loss import link, loss
        from sklearn.dummy import DummyClassifier, DummyRegressor
        from sklearn.ensemble import GradientBoostingClassifier

        init = attributes.get("init_")
        if isinstance(init, str) and init == "zero":
            trees = _count(attributes.get("n_trees_per_iteration_"))
            if trees is None:
                raise Refused(_model(where, "n_trees_per_iteration_ is not a count"))
            return trees
        classifier = isinstance(booster, GradientBoostingClassifier)
        if classifier:
            losses: tuple[type, ...] = (
                loss.HalfBinomialLoss,
                loss.HalfMultinomialLoss,
                loss.ExponentialLoss,
            )
        else:
            losses = (loss.HalfSquaredError, loss.AbsoluteError, loss.HuberLoss, loss.PinballLoss)
        expected_init = DummyClassifier if classifier else DummyRegressor
        if type(init) is not expected_init:
            raise Refused(
                _model(
                    where,
                    f"init_ is a {_type(init)}: an untrusted gradient boosting model may only "
                    f"start from 'zero' or the default {expected_init.__name__}",
                ),
                trust_helps=True,
            )
        loss_object = attributes.get("_loss")
        links = (link.IdentityLink, link.LogitLink, link.HalfLogitLink, link.MultinomialLogit)
        if (
            type(loss_object) not in losses
            or type(vars(loss_object).get("link")) not in links
            or "is_multiclass" in vars(loss_object)  # a class value; picks the width below
        ):
            raise Refused(
                _model(where, f"_loss is a {_type(loss_object)} not used by gradient boosting"),
                trust_helps=True,
            )
        init_attributes = vars(init)
        if _count(init_attributes.get("n_outputs_")) != 1:
            raise Refused(_model(where, "init_ does not have one output"))
        if not classifier:
            return 1  # DummyRegressor.predict: (n, 1), raveled, then a column again
        n_classes = _count(init_attributes.get("n_classes_"))
        prior = init_attributes.get("class_prior_")
        if not (
            n_classes is not None
            and n_classes >= 2
            and isinstance(prior, np.ndarray)
            and prior.shape == (n_classes,)
        ):
            raise Refused(_model(where, "init_'s class_prior_ does not match its n_classes_"))
        # DummyClassifier.predict_proba: (n, n_classes); one column unless multiclass
        return n_classes if getattr(type(loss_object), "is_multiclass", False) else 1

    def _hist_boosting(self, booster: Any, index: int) -> set[int]:
        """Check a histogram gradient boosting model; the ids of its lists of predictors."""
        from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

        where = self.graph.where(index)
        attributes = vars(booster)
        predictors = attributes.get("_predictors")
        if predictors is None:
            return set()
        if attributes.get("_preprocessor") is not None:
            raise Refused(
                _model(where, "it encodes categorical features, which is not checked"),
                trust_helps=True,
            )
        if "_in_fit" in attributes:
            raise Refused(_model(where, "it was saved while fitting (_in_fit is set)"))
        n_features = _count(attributes.get("n_features_in_"))
        if n_features is None:
            raise Refused(_model(where, "n_features_in_ is not a count"))
        if not isinstance(predictors, list):
            raise Refused(_model(where, "_predictors is not a list"))
        lists: set[int] = set()
        for iteration, stage in enumerate(predictors):
            if not isinstance(stage, list):
                raise Refused(_model(where, f"_predictors[{iteration}] is not a list"))
            lists.add(id(stage))
            for position, predictor in enumerate(stage):
                if not isinstance(predictor, TreePredictor):
                    raise Refused(
                        _model(where, f"_predictors[{iteration}][{position}] is not a tree")
                    )
                # the array checked is a copy only this predictor holds: another object of the
                # file may share the loaded one (skops' memo) and write into it later
                checked = _check_predictor(
                    predictor, n_features, f"{where}._predictors[{iteration}][{position}]"
                )
                vars(predictor)["nodes"] = checked
        return lists


def _check_tree(tree: Any, where: str) -> _Shape:
    """Check one ``sklearn.tree._tree.Tree``; its features, outputs and classes."""
    import numpy as np

    nodes_count = int(tree.node_count)
    if nodes_count < 1:
        raise Refused(_tree(where, "it has no nodes"))
    if nodes_count != int(tree.capacity):
        raise Refused(
            _tree(where, f"node_count is {nodes_count} but its arrays hold {tree.capacity} nodes")
        )
    n_features = int(tree.n_features)
    if not 1 <= n_features <= MAX_FEATURES:
        raise Refused(_tree(where, f"n_features is {n_features}"))
    n_outputs = int(tree.n_outputs)
    if n_outputs < 1:
        raise Refused(_tree(where, f"n_outputs is {n_outputs}"))
    n_classes = np.asarray(tree.n_classes, dtype=np.int64)
    max_classes = int(tree.max_n_classes)
    if (n_classes < 1).any() or int(n_classes.max()) != max_classes:
        raise Refused(
            _tree(
                where,
                f"its class counts {_listed(n_classes.tolist())} do not match max_n_classes "
                f"{max_classes}",
            )
        )
    # a view of its nodes; the value array's shape was checked by Tree.__setstate__
    nodes = tree.__getstate__()["nodes"]
    left = np.asarray(nodes["left_child"], dtype=np.int64)
    right = np.asarray(nodes["right_child"], dtype=np.int64)
    leaf = left == -1
    first = _first(leaf & (right != -1))
    if first is not None:
        raise Refused(
            _tree(where, f"node {first} has a right child {right[first]} but no left child")
        )
    feature = np.asarray(nodes["feature"], dtype=np.int64)
    first = _first(leaf & (feature != -2))
    if first is not None:
        raise Refused(
            _tree(where, f"node {first} is a leaf but splits on feature {feature[first]}")
        )
    depth = _structure(left, right, leaf, where)
    inner = ~leaf
    first = _first(inner & ((feature < 0) | (feature >= n_features)))
    if first is not None:
        raise Refused(
            _tree(
                where,
                f"node {first} splits on feature {feature[first]}, outside its "
                f"{n_features} features",
            )
        )
    first = _first(inner & np.isnan(np.asarray(nodes["threshold"], dtype=np.float64)))
    if first is not None:
        raise Refused(_tree(where, f"node {first}'s threshold is NaN"))
    if int(tree.max_depth) != depth:
        raise Refused(
            _tree(where, f"max_depth is {tree.max_depth} but its deepest leaf is at {depth}")
        )
    return _Shape(n_features, n_outputs, tuple(int(c) for c in n_classes))


def _check_predictor(predictor: Any, n_features: int, where: str) -> Any:
    """Check a copy of the nodes of a ``TreePredictor`` of a model of ``n_features``; the copy."""
    import numpy as np
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    nodes = vars(predictor).get("nodes")
    if not (
        isinstance(nodes, np.ndarray) and nodes.dtype == PREDICTOR_RECORD_DTYPE and nodes.ndim == 1
    ):
        raise Refused(_tree(where, "its nodes are not an array of tree nodes"))
    nodes = np.array(nodes, dtype=PREDICTOR_RECORD_DTYPE, copy=True)
    if nodes.size < 1:
        raise Refused(_tree(where, "it has no nodes"))
    leaf = np.asarray(nodes["is_leaf"]) != 0
    left = np.asarray(nodes["left"], dtype=np.int64)
    right = np.asarray(nodes["right"], dtype=np.int64)
    _structure(left, right, leaf, where)
    inner = ~leaf
    feature = np.asarray(nodes["feature_idx"], dtype=np.int64)
    first = _first(inner & ((feature < 0) | (feature >= n_features)))
    if first is not None:
        raise Refused(
            _tree(
                where,
                f"node {first} splits on feature {feature[first]}, outside the model's "
                f"{n_features} features",
            )
        )
    first = _first(inner & (np.asarray(nodes["is_categorical"]) != 0))
    if first is not None:
        raise Refused(
            _tree(where, f"node {first} is a categorical split, but the model has no categories")
        )
    return nodes


def _structure(left: Any, right: Any, leaf: Any, where: str) -> int:
    """Check that the children make one tree rooted at node 0; its depth."""
    import numpy as np

    count = len(left)
    index = np.arange(count, dtype=np.int64)
    inner = ~leaf
    for side, child in (("left", left), ("right", right)):
        first = _first(inner & ~((child > index) & (child < count)))
        if first is not None:
            value = int(child[first])
            reason = "is not after it" if value <= first else f"is beyond its {count} nodes"
            raise Refused(_tree(where, f"node {first}'s {side} child {value} {reason}"))
    children = np.concatenate((left[inner], right[inner]))
    parents = np.bincount(children, minlength=count)
    first = _first(parents > 1)
    if first is not None:
        raise Refused(_tree(where, f"node {first} is the child of {parents[first]} nodes"))
    first = _first(parents[1:] == 0)
    if first is not None:
        raise Refused(_tree(where, f"node {first + 1} is no node's child"))
    # every node but the root has one parent before it: a tree; its depth, level by level
    depth = 0
    level = np.zeros(1, dtype=np.int64)
    while True:
        level = level[inner[level]]
        if level.size == 0:
            return depth
        depth += 1
        if depth > MAX_TREE_DEPTH:
            raise Refused(TOO_DEEP.format(where=where, limit=MAX_TREE_DEPTH), trust_helps=True)
        level = np.concatenate((left[level], right[level]))


def _hidden_attribute(obj: Any) -> tuple[str, str] | None:
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
                    return _shown(name), owner.__qualname__
                break
    return None


# --- small helpers ------------------------------------------------------------------------------


def _first(mask: Any) -> int | None:
    import numpy as np

    found = np.flatnonzero(mask)
    return int(found[0]) if found.size else None


def _count(value: Any) -> int | None:
    import numpy as np

    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        return None
    return int(value)


def _counts(value: Any) -> list[int | None]:
    import numpy as np

    if isinstance(value, np.ndarray) and value.ndim == 1:
        return [_count(item) for item in value]
    if isinstance(value, list):
        return [_count(item) for item in value]
    return [None]


def _value(value: Any) -> str:
    if value is None:
        return "missing"
    if _count(value) is not None:
        return str(int(value))
    return f"a {_type(value)}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _type(value: Any) -> str:
    return _shown(type(value).__name__)


def _listed(values: Any) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def _tree(where: str, problem: str) -> str:
    return TREE_INVALID.format(where=where, problem=problem)


def _model(where: str, problem: str) -> str:
    return MODEL_INVALID.format(where=where, problem=problem)
