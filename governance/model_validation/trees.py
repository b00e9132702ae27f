"""Check one tree structure: a ``Tree`` of a decision tree or a histogram boosting predictor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from governance.model_validation.refusals import (
    MAX_FEATURES,
    MAX_TREE_DEPTH,
    TOO_DEEP,
    Refused,
    first_true,
    listed,
    tree_problem,
)


@dataclass(frozen=True)
class Shape:
    """What a checked tree's holder must agree with."""

    n_features: int
    n_outputs: int
    n_classes: tuple[int, ...]


def check_tree(tree: Any, where: str) -> Shape:
    """Check one ``sklearn.tree._tree.Tree``; its features, outputs and classes."""
    import numpy as np

    nodes_count = int(tree.node_count)
    if nodes_count < 1:
        raise Refused(tree_problem(where, "it has no nodes"))
    if nodes_count != int(tree.capacity):
        raise Refused(
            tree_problem(
                where, f"node_count is {nodes_count} but its arrays hold {tree.capacity} nodes"
            )
        )
    n_features = int(tree.n_features)
    if not 1 <= n_features <= MAX_FEATURES:
        raise Refused(tree_problem(where, f"n_features is {n_features}"))
    n_outputs = int(tree.n_outputs)
    if n_outputs < 1:
        raise Refused(tree_problem(where, f"n_outputs is {n_outputs}"))
    n_classes = np.asarray(tree.n_classes, dtype=np.int64)
    max_classes = int(tree.max_n_classes)
    if (n_classes < 1).any() or int(n_classes.max()) != max_classes:
        raise Refused(
            tree_problem(
                where,
                f"its class counts {listed(n_classes.tolist())} do not match max_n_classes "
                f"{max_classes}",
            )
        )
    # a view of its nodes; the value array's shape was checked by Tree.__setstate__
    nodes = tree.__getstate__()["nodes"]
    left = np.asarray(nodes["left_child"], dtype=np.int64)
    right = np.asarray(nodes["right_child"], dtype=np.int64)
    leaf = left == -1
    first = first_true(leaf & (right != -1))
    if first is not None:
        raise Refused(
            tree_problem(where, f"node {first} has a right child {right[first]} but no left child")
        )
    feature = np.asarray(nodes["feature"], dtype=np.int64)
    first = first_true(leaf & (feature != -2))
    if first is not None:
        raise Refused(
            tree_problem(where, f"node {first} is a leaf but splits on feature {feature[first]}")
        )
    depth = _structure(left, right, leaf, where)
    inner = ~leaf
    first = first_true(inner & ((feature < 0) | (feature >= n_features)))
    if first is not None:
        raise Refused(
            tree_problem(
                where,
                f"node {first} splits on feature {feature[first]}, outside its "
                f"{n_features} features",
            )
        )
    first = first_true(inner & np.isnan(np.asarray(nodes["threshold"], dtype=np.float64)))
    if first is not None:
        raise Refused(tree_problem(where, f"node {first}'s threshold is NaN"))
    if int(tree.max_depth) != depth:
        raise Refused(
            tree_problem(where, f"max_depth is {tree.max_depth} but its deepest leaf is at {depth}")
        )
    return Shape(n_features, n_outputs, tuple(int(c) for c in n_classes))


def check_predictor(predictor: Any, n_features: int, where: str) -> Any:
    """Check a copy of the nodes of a ``TreePredictor`` of a model of ``n_features``; the copy."""
    import numpy as np
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    nodes = vars(predictor).get("nodes")
    if not (
        isinstance(nodes, np.ndarray) and nodes.dtype == PREDICTOR_RECORD_DTYPE and nodes.ndim == 1
    ):
        raise Refused(tree_problem(where, "its nodes are not an array of tree nodes"))
    nodes = np.array(nodes, dtype=PREDICTOR_RECORD_DTYPE, copy=True)
    if nodes.size < 1:
        raise Refused(tree_problem(where, "it has no nodes"))
    leaf = np.asarray(nodes["is_leaf"]) != 0
    left = np.asarray(nodes["left"], dtype=np.int64)
    right = np.asarray(nodes["right"], dtype=np.int64)
    _structure(left, right, leaf, where)
    inner = ~leaf
    feature = np.asarray(nodes["feature_idx"], dtype=np.int64)
    first = first_true(inner & ((feature < 0) | (feature >= n_features)))
    if first is not None:
        raise Refused(
            tree_problem(
                where,
                f"node {first} splits on feature {feature[first]}, outside the model's "
                f"{n_features} features",
            )
        )
    first = first_true(inner & (np.asarray(nodes["is_categorical"]) != 0))
    if first is not None:
        raise Refused(
            tree_problem(
                where, f"node {first} is a categorical split, but the model has no categories"
            )
        )
    return nodes


def _structure(left: Any, right: Any, leaf: Any, where: str) -> int:
    """Check that the children make one tree rooted at node 0; its depth."""
    import numpy as np

    count = len(left)
    index = np.arange(count, dtype=np.int64)
    inner = ~leaf
    for side, child in (("left", left), ("right", right)):
        first = first_true(inner & ~((child > index) & (child < count)))
        if first is not None:
            value = int(child[first])
            reason = "is not after it" if value <= first else f"is beyond its {count} nodes"
            raise Refused(tree_problem(where, f"node {first}'s {side} child {value} {reason}"))
    children = np.concatenate((left[inner], right[inner]))
    parents = np.bincount(children, minlength=count)
    first = first_true(parents > 1)
    if first is not None:
        raise Refused(tree_problem(where, f"node {first} is the child of {parents[first]} nodes"))
    first = first_true(parents[1:] == 0)
    if first is not None:
        raise Refused(tree_problem(where, f"node {first + 1} is no node's child"))
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
