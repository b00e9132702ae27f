"""Check the estimators and ensembles that hold trees: they must agree with their trees."""

from __future__ import annotations

from typing import Any

from governance.model_validation.refusals import (
    ATTRIBUTE_HIDES,
    TREE_MISPLACED,
    Refused,
    count_of,
    counts_of,
    listed,
    model_problem,
    plural,
    type_name,
    value_shown,
)
from governance.model_validation.trees import Shape, check_predictor, check_tree
from governance.model_validation.walk import Graph, hidden_attribute


class Checker:
    """Every check of a walked model: its trees, the estimators and ensembles holding them."""

    def __init__(self, graph: Graph) -> None:
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
        self.shapes: dict[int, Shape] = {}

    def run(self) -> None:
        """Run every check; the first failure raises :class:`Refused`."""
        from sklearn.tree._tree import Tree

        graph = self.graph
        for index, obj in enumerate(graph.objects):
            hidden = hidden_attribute(obj)
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
        """The decision tree estimator classes (classifiers and regressors)."""
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
            raise Refused(model_problem(where, f"tree_ is a {type_name(tree)}, not a tree"))
        shape = self._tree_shape(tree, where + ".tree_")
        n_features = attributes.get("n_features_in_")
        if count_of(n_features) != shape.n_features:
            raise Refused(
                model_problem(
                    where,
                    f"n_features_in_ is {value_shown(n_features)} but its tree has "
                    f"{shape.n_features} features",
                )
            )
        n_outputs = attributes.get("n_outputs_")
        if count_of(n_outputs) != shape.n_outputs:
            raise Refused(
                model_problem(
                    where,
                    f"n_outputs_ is {value_shown(n_outputs)} but its tree has "
                    f"{shape.n_outputs} outputs",
                )
            )
        if type(estimator) in self.tree_regressors:
            if any(count != 1 for count in shape.n_classes):
                raise Refused(model_problem(where, "a regression tree whose tree has classes"))
            return
        self._classes(attributes, shape, where)

    def _classes(self, attributes: dict[str, Any], shape: Shape, where: str) -> None:
        import numpy as np

        n_classes = attributes.get("n_classes_")
        classes = attributes.get("classes_")
        if shape.n_outputs == 1:
            counts = [count_of(n_classes)]
            labels = [classes]
        else:
            counts = counts_of(n_classes)
            labels = list(classes) if isinstance(classes, list) else []
        if counts != list(shape.n_classes):
            raise Refused(
                model_problem(
                    where,
                    f"n_classes_ is {value_shown(n_classes)} but its tree has "
                    f"{listed(shape.n_classes)} classes",
                )
            )
        for output, (count, values) in enumerate(zip(shape.n_classes, labels, strict=False)):
            if not (isinstance(values, np.ndarray) and values.shape == (count,)):
                raise Refused(
                    model_problem(where, f"classes_ of output {output} are not {count} classes")
                )
        if len(labels) != shape.n_outputs:
            raise Refused(model_problem(where, f"classes_ does not hold {shape.n_outputs} outputs"))

    def _tree_shape(self, tree: Any, where: str) -> Shape:
        known = self.shapes.get(id(tree))
        if known is None:
            known = self.shapes[id(tree)] = check_tree(tree, where)
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
            raise Refused(
                model_problem(where, f"estimators_ is a {type_name(members)}, not a list")
            )
        features = attributes.get("estimators_features_")
        subsets = isinstance(forest, IsolationForest)
        if subsets and not (isinstance(features, list) and len(features) == len(members)):
            raise Refused(
                model_problem(where, "estimators_features_ does not list one subset a tree")
            )
        n_features = count_of(attributes.get("n_features_in_"))
        for position, member in enumerate(members):
            if type(member) not in self.tree_estimators or "tree_" not in vars(member):
                continue
            fitted = count_of(vars(member).get("n_features_in_"))
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
                        model_problem(
                            where,
                            f"estimators_features_[{position}] is not a set of its "
                            f"{value_shown(n_features)} features",
                        )
                    )
                expected = len(subset)
            if expected is None or fitted != expected:
                raise Refused(
                    model_problem(
                        where,
                        f"estimators_[{position}] was fitted on {value_shown(fitted)} features, "
                        f"the ensemble gives it {value_shown(expected)}",
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
            raise Refused(model_problem(where, "estimators_ is not a 2-D array of trees"))
        n_features = count_of(attributes.get("n_features_in_"))
        for position in np.ndindex(*members.shape):
            member = members[position]
            # predict_stages reads member.tree_ as a Tree: None would be dereferenced
            if type(member) is not DecisionTreeRegressor or "tree_" not in vars(member):
                raise Refused(
                    model_problem(
                        where, f"estimators_{list(position)} is not a fitted regression tree"
                    )
                )
            fitted = count_of(vars(member).get("n_features_in_"))
            if n_features is None or fitted != n_features:
                raise Refused(
                    model_problem(
                        where,
                        f"estimators_{list(position)} was fitted on {value_shown(fitted)} "
                        f"features, the ensemble on {value_shown(n_features)}",
                    )
                )
        per_stage = members.shape[1]
        columns = self._initial_columns(booster, attributes, where)
        if columns != per_stage:
            raise Refused(
                model_problem(
                    where,
                    f"each stage has {plural(per_stage, 'tree')} but the initial "
                    f"prediction has {plural(columns, 'column')}",
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
            trees = count_of(attributes.get("n_trees_per_iteration_"))
            if trees is None:
                raise Refused(model_problem(where, "n_trees_per_iteration_ is not a count"))
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
                model_problem(
                    where,
                    f"init_ is a {type_name(init)}: an untrusted gradient boosting model may only "
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
                model_problem(
                    where, f"_loss is a {type_name(loss_object)} not used by gradient boosting"
                ),
                trust_helps=True,
            )
        init_attributes = vars(init)
        if count_of(init_attributes.get("n_outputs_")) != 1:
            raise Refused(model_problem(where, "init_ does not have one output"))
        if not classifier:
            return 1  # DummyRegressor.predict: (n, 1), raveled, then a column again
        n_classes = count_of(init_attributes.get("n_classes_"))
        prior = init_attributes.get("class_prior_")
        if not (
            n_classes is not None
            and n_classes >= 2
            and isinstance(prior, np.ndarray)
            and prior.shape == (n_classes,)
        ):
            raise Refused(
                model_problem(where, "init_'s class_prior_ does not match its n_classes_")
            )
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
                model_problem(where, "it encodes categorical features, which is not checked"),
                trust_helps=True,
            )
        if "_in_fit" in attributes:
            raise Refused(model_problem(where, "it was saved while fitting (_in_fit is set)"))
        n_features = count_of(attributes.get("n_features_in_"))
        if n_features is None:
            raise Refused(model_problem(where, "n_features_in_ is not a count"))
        if not isinstance(predictors, list):
            raise Refused(model_problem(where, "_predictors is not a list"))
        lists: set[int] = set()
        for iteration, stage in enumerate(predictors):
            if not isinstance(stage, list):
                raise Refused(model_problem(where, f"_predictors[{iteration}] is not a list"))
            lists.add(id(stage))
            for position, predictor in enumerate(stage):
                if not isinstance(predictor, TreePredictor):
                    raise Refused(
                        model_problem(where, f"_predictors[{iteration}][{position}] is not a tree")
                    )
                # the array checked is a copy only this predictor holds: another object of the
                # file may share the loaded one (skops' memo) and write into it later
                checked = check_predictor(
                    predictor, n_features, f"{where}._predictors[{iteration}][{position}]"
                )
                vars(predictor)["nodes"] = checked
        return lists
