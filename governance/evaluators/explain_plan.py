"""Which SHAP explainer explains a model, on which matrix, in which output space.

:func:`plan_for` chooses (docs/explainability.md, and :mod:`governance.evaluators.explainers`,
which runs the plan): a tree or linear explainer on the model's own matrix, or on the
preprocessed matrix of a Pipeline whose columns each derive from one input column; otherwise
the permutation explainer on the original columns (:class:`TableCodec`), saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from governance.evaluators.column_sources import steps_sources
from governance.model_artifact import positive_index

TREE_MODELS = {
    "sklearn": {
        "RandomForestClassifier",
        "RandomForestRegressor",
        "ExtraTreesClassifier",
        "ExtraTreesRegressor",
        "DecisionTreeClassifier",
        "DecisionTreeRegressor",
        "ExtraTreeClassifier",
        "ExtraTreeRegressor",
        "GradientBoostingClassifier",
        "GradientBoostingRegressor",
        "HistGradientBoostingClassifier",
        "HistGradientBoostingRegressor",
    },
    "xgboost": {"XGBClassifier", "XGBRegressor"},
    "lightgbm": {"LGBMClassifier", "LGBMRegressor"},
}
# Tree models whose raw output (what TreeExplainer explains) is the class probability.
PROBABILITY_TREES = frozenset(
    {
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "DecisionTreeClassifier",
        "ExtraTreeClassifier",
    }
)
LINEAR_EXTRA = frozenset({"LinearSVC", "LinearSVR"})
LOG_ODDS_LINEAR = frozenset({"LogisticRegression", "LogisticRegressionCV"})


class ExplanationError(Exception):
    """The model cannot be explained (becomes an ``error`` finding)."""


@dataclass
class Plan:
    """How to explain one model: which explainer, on which matrix, in which output space."""

    explainer: str  # linear, tree, permutation
    estimator: Any  # what the shap explainer is given
    encode: Callable[[Any], Any]  # DataFrame of original rows -> matrix the explainer takes
    reference: Callable[[Any], Any]  # that matrix -> model output in the explained space
    output: str  # log_odds, probability, decision_function, raw
    sources: list[int] | None = None  # explained column -> original column (None: identity)
    sign: float = 1.0  # -1 when the positive class is the estimator's first class
    positive: int | None = None  # column of the positive class in 2-class/multi outputs
    fallback: str | None = None  # why the preferred explainer was not used


def positive_class(model: Any, positive_label: Any) -> int | None:
    """Index of the positive label in ``model.classes_``; None for a model without classes.

    Raises
    ------
    ExplanationError
        When the model has classes and the positive label is not one of them.
    """
    index = positive_index(model, positive_label)
    classes = getattr(model, "classes_", None)
    if index is None and classes is not None:
        raise ExplanationError(
            f"the positive label {positive_label!r} is not one of the model's classes "
            f"({', '.join(str(value) for value in classes)})"
        )
    return index


def _family(estimator: Any) -> str | None:
    module = type(estimator).__module__.split(".")[0]
    name = type(estimator).__name__
    if name in TREE_MODELS.get(module, set()):
        return "tree"
    if module == "sklearn" and (
        type(estimator).__module__.startswith("sklearn.linear_model") or name in LINEAR_EXTRA
    ):
        coef = getattr(estimator, "coef_", None)
        if coef is not None and hasattr(estimator, "intercept_"):
            return "linear"
    return None


def _is_numeric_frame(frame: Any) -> bool:
    import pandas as pd

    return all(
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        for dtype in frame.dtypes
    )


def _dense(matrix: Any) -> Any:
    import numpy as np

    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    try:
        return np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ExplanationError(f"the preprocessed matrix is not numeric: {exc}") from None


def _margin(estimator: Any, matrix: Any, positive: int | None) -> Any:
    """The estimator's margin for the positive class (log-odds for logistic models)."""
    import numpy as np

    if hasattr(estimator, "decision_function"):
        margin = np.asarray(estimator.decision_function(matrix), dtype=np.float64)
        if margin.ndim == 2:
            return margin[:, positive if positive is not None else 0]
        return margin
    if type(estimator).__module__.split(".")[0] == "xgboost":  # no decision_function: the margin
        margin = np.asarray(estimator.predict(matrix, output_margin=True), dtype=np.float64)
        if margin.ndim == 2:
            return margin[:, positive if positive is not None else 0]
        return margin
    if hasattr(estimator, "predict_proba"):  # log-odds of the second class (two classes)
        probability = np.asarray(estimator.predict_proba(matrix), dtype=np.float64)[:, 1]
        clipped = np.clip(probability, 1e-300, 1 - 1e-16)
        return np.log(clipped) - np.log1p(-clipped)
    return np.asarray(estimator.predict(matrix), dtype=np.float64)


def _specialised_plan(
    explainer: str, estimator: Any, encode: Callable[[Any], Any], positive: int | None
) -> Plan:
    """A tree or linear plan for ``estimator`` taking the matrix ``encode`` returns."""
    import numpy as np

    name = type(estimator).__name__
    classes = getattr(estimator, "classes_", None)
    two_classes = classes is not None and len(classes) == 2
    if explainer == "linear":
        coef = np.asarray(estimator.coef_)
        if coef.ndim == 2 and coef.shape[0] > 1:
            raise ExplanationError(f"{name} has {coef.shape[0]} outputs (multiclass)")
        output = "log_odds" if name in LOG_ODDS_LINEAR else "decision_function"
        if classes is None:
            output = "raw"
        sign = -1.0 if two_classes and positive == 0 else 1.0

        def linear_reference(matrix: Any) -> Any:
            if classes is None:
                return np.asarray(estimator.predict(matrix), dtype=np.float64)
            return np.asarray(estimator.decision_function(matrix), dtype=np.float64) * sign

        return Plan("linear", estimator, encode, linear_reference, output, sign=sign)
    if name in PROBABILITY_TREES:

        def probability(matrix: Any) -> Any:
            return np.asarray(estimator.predict_proba(matrix), dtype=np.float64)[:, positive]

        return Plan("tree", estimator, encode, probability, "probability", positive=positive)
    output = "raw" if classes is None else "log_odds"
    sign = -1.0 if two_classes and positive == 0 else 1.0

    def tree_reference(matrix: Any) -> Any:
        if classes is None:
            return np.asarray(estimator.predict(matrix), dtype=np.float64)
        if two_classes:
            return _margin(estimator, matrix, None) * sign
        return _margin(estimator, matrix, positive)

    return Plan("tree", estimator, encode, tree_reference, output, sign=sign, positive=positive)


class TableCodec:
    """Original columns as a float matrix (categories as integer codes) and back.

    SHAP's maskers mix rows of a float matrix; the model sees a DataFrame with the original
    columns and dtypes again, so categorical inputs stay categorical.
    """

    def __init__(self, frame: Any) -> None:
        import numpy as np
        import pandas as pd

        self.columns = list(frame.columns)
        self.dtypes = list(frame.dtypes)
        self.categories: dict[int, Any] = {}
        for index, dtype in enumerate(self.dtypes):
            numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            if not numeric:
                _, uniques = pd.factorize(frame.iloc[:, index], use_na_sentinel=True)
                # code -1 (missing) picks the trailing NaN
                self.categories[index] = np.append(np.asarray(uniques, dtype=object), np.nan)

    def encode(self, frame: Any) -> Any:
        """Rows of the original frame -> float matrix."""
        import numpy as np
        import pandas as pd

        matrix = np.empty((len(frame), len(self.columns)), dtype=np.float64)
        for index in range(len(self.columns)):
            column = frame.iloc[:, index]
            if index in self.categories:
                known = pd.Index(self.categories[index][:-1])
                matrix[:, index] = known.get_indexer(column)
            else:
                matrix[:, index] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return matrix

    def decode(self, matrix: Any) -> Any:
        """Float matrix -> DataFrame with the original columns and dtypes."""
        import numpy as np
        import pandas as pd

        data = {}
        for index, name in enumerate(self.columns):
            values = matrix[:, index]
            if index in self.categories:
                values = self.categories[index][values.astype(np.int64)]
            try:
                data[name] = pd.Series(values).astype(self.dtypes[index])
            except (TypeError, ValueError):
                data[name] = pd.Series(values)
        return pd.DataFrame(data, columns=self.columns)


def permutation_plan(model: Any, features: Any, positive: int | None, reason: str | None) -> Plan:
    """The permutation explainer on the model's original columns; ``reason``: why not another."""
    import numpy as np

    codec = TableCodec(features)
    name = type(model).__name__
    if hasattr(model, "predict_proba") and positive is not None:
        output = "probability"

        def function(matrix: Any) -> Any:
            frame = codec.decode(matrix)
            return np.asarray(model.predict_proba(frame), dtype=np.float64)[:, positive]

    elif getattr(model, "classes_", None) is None:
        output = "raw"

        def function(matrix: Any) -> Any:
            return np.asarray(model.predict(codec.decode(matrix)), dtype=np.float64).ravel()

    elif hasattr(model, "decision_function") and len(model.classes_) == 2:
        output = "decision_function"
        sign = -1.0 if positive == 0 else 1.0

        def function(matrix: Any) -> Any:
            frame = codec.decode(matrix)
            return np.asarray(model.decision_function(frame), dtype=np.float64).ravel() * sign

    else:
        raise ExplanationError(
            f"{name} has neither predict_proba nor a binary decision_function to explain"
        )
    return Plan(
        "permutation", function, codec.encode, function, output, positive=positive, fallback=reason
    )


def plan_for(model: Any, features: Any, positive_label: Any) -> Plan:
    """Choose the explainer for ``model`` taking the DataFrame ``features``."""
    positive = positive_class(model, positive_label)
    steps = getattr(model, "steps", None)
    final = steps[-1][1] if steps else model
    family = _family(final)
    reason: str | None = None
    if family is not None and not steps:
        if _is_numeric_frame(features):
            try:
                return _specialised_plan(family, model, _numeric_encoder, positive)
            except ExplanationError as exc:
                reason = str(exc)
        else:
            reason = "the model's input has non-numeric columns"
    elif family is not None and steps:
        preprocessing = [step for _, step in steps[:-1]]
        sources = steps_sources(preprocessing, features.shape[1])
        if sources is None:
            kinds = ", ".join(type(step).__name__ for step in preprocessing)
            reason = (
                f"the preprocessing ({kinds}) may combine input columns, so attributions "
                "cannot be summed back to them"
            )
        else:
            encode = _preprocess_encoder(preprocessing)
            try:
                plan = _specialised_plan(family, final, encode, positive)
                plan.sources = sources
                return plan
            except ExplanationError as exc:
                reason = str(exc)
    return permutation_plan(model, features, positive, reason)


def _numeric_encoder(frame: Any) -> Any:
    import numpy as np

    return frame.to_numpy(dtype=np.float64, na_value=np.nan)


def _preprocess_encoder(steps: list[Any]) -> Callable[[Any], Any]:
    def encode(frame: Any) -> Any:
        data = frame
        for step in steps:
            if step is None or step == "passthrough":
                continue
            data = step.transform(data)
        return _dense(data)

    return encode
