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
from typing import Any

from governance.model_types import VALIDATED_TYPES
from governance.model_validation.refusals import MAX_TREE_DEPTH, Refused

__all__ = ["MAX_TREE_DEPTH", "Refused", "check_model", "misplaced_types"]


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
    from governance.model_validation.estimators import Checker
    from governance.model_validation.walk import walk

    Checker(walk(model)).run()
