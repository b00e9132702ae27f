"""Explain a model with SHAP, in the model's original feature space, within a budget.

Explainer selection:

- **tree**: ``shap.TreeExplainer`` for tree ensembles (scikit-learn forests, extra trees,
  decision trees, gradient boosting, histogram gradient boosting; XGBoost and LightGBM when
  installed), path-dependent: the trees' own record of the training data is the background;
- **linear**: ``shap.LinearExplainer`` for single-output linear models (logistic regression and
  the other ``sklearn.linear_model`` estimators, linear SVMs), interventional, on a seeded
  background sample;
- **permutation**: ``shap.explainers.Permutation`` on the probability of the positive class
  (``predict_proba``) for everything else, on the model's own input columns, interventional on
  a seeded background sample.

A scikit-learn Pipeline whose final estimator is a tree or linear model is explained by running
that explainer on the preprocessed matrix; when each preprocessed column derives from one input
column (scalers, imputers, encoders, column transformers), the attributions of the columns of one
input (e.g. its one-hot columns) are **summed** back to it. Otherwise the whole pipeline is
explained with the permutation explainer, on the original columns. Either way the explanation is
in the original feature space, and says how it was obtained.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from governance.evaluators.explain_budget import Budget, Progress
from governance.evaluators.explain_plan import (
    ExplanationError,
    Plan,
    permutation_plan,
    plan_for,
    positive_class,
)
from governance.extras import missing_extra

__all__ = ["Explanation", "ExplanationError", "explain", "sample_positions", "sum_columns"]

# Permutations per explained row (each forward and backward: 2 x (2M + 1) model calls).
PERMUTATIONS = 2
# Aim for chunks of about this long, so the time budget is checked often.
CHUNK_SECONDS = 0.5
FIRST_CHUNK = {"linear": 10_000, "tree": 20, "permutation": 1}
SHAP_CLASS = {
    "linear": "shap.LinearExplainer",
    "tree": "shap.TreeExplainer",
    "permutation": "shap.explainers.Permutation",
}


@dataclass
class Explanation:
    """SHAP values of the explained rows in the original feature space, and how they were got."""

    features: list[str]
    values: Any  # (rows, features)
    base_values: Any  # (rows,)
    model_output: Any  # (rows,) the model's own output in the explained space
    rows: Any  # positions (in the features frame) of the explained rows
    transformed_columns: list[int] | None  # per original feature; None when explained directly
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def additivity_error(self) -> float:
        """Largest |sum of SHAP values + base value - model output| over the explained rows."""
        import numpy as np

        if len(self.rows) == 0:
            return 0.0
        total = self.values.sum(axis=1) + self.base_values
        return float(np.max(np.abs(total - self.model_output)))


def sum_columns(values: Any, sources: list[int], width: int) -> tuple[Any, list[int]]:
    """Sum the columns of ``values`` by their source: (rows, width) and columns per source."""
    import numpy as np

    origin = np.asarray(sources, dtype=np.intp)
    counts = np.bincount(origin, minlength=width)
    summed = np.zeros((values.shape[0], width))
    if len(origin):
        order = np.argsort(origin, kind="stable")
        present = np.flatnonzero(counts)
        starts = np.concatenate([[0], np.cumsum(counts[present])[:-1]])
        summed[:, present] = np.add.reduceat(values[:, order], starts, axis=1)
    return summed, [int(count) for count in counts]


def sample_positions(total: int, size: int, rng: Any) -> Any:
    """``size`` sorted positions out of ``total`` without replacement (all when fewer)."""
    import numpy as np

    if size >= total:
        return np.arange(total)
    return np.sort(rng.choice(total, size=size, replace=False))


TREE_WIDTH = "the explained matrix has {width} columns, the trees were fitted on {fitted}"


class _Runner:
    """A constructed shap explainer: SHAP values and base values of a chunk of rows."""

    def __init__(self, plan: Plan, background: Any, evaluations: int, seed: int) -> None:
        import shap

        self.plan = plan
        self.evaluations = evaluations
        if plan.explainer == "linear":
            self.explainer = shap.LinearExplainer(plan.estimator, background)
        elif plan.explainer == "tree":
            # Path-dependent: the background is the training data's cover recorded in the
            # trees. (shap 0.51's interventional TreeSHAP fails additivity on scikit-learn
            # histogram gradient boosting; path-dependent is exact and faster.)
            self.explainer = shap.TreeExplainer(
                plan.estimator, feature_perturbation="tree_path_dependent", model_output="raw"
            )
        else:
            masker = shap.maskers.Independent(background, max_samples=len(background))
            self.explainer = shap.explainers.Permutation(plan.estimator, masker, seed=seed)

    def __call__(self, matrix: Any) -> tuple[Any, Any]:
        import numpy as np

        plan = self.plan
        if plan.explainer == "permutation":
            result = self.explainer(matrix, max_evals=self.evaluations, silent=True)
            return np.asarray(result.values), np.asarray(result.base_values).reshape(-1)
        if plan.explainer == "linear":
            values = np.asarray(self.explainer.shap_values(matrix))
        else:
            # shap's compiled tree code indexes the matrix by the trees' feature numbers
            # without checking its width: hand it exactly the width the trees were fitted on.
            width = getattr(plan.estimator, "n_features_in_", None)
            if width is not None and np.shape(matrix)[1] != width:
                raise ValueError(TREE_WIDTH.format(width=np.shape(matrix)[1], fitted=width))
            values = np.asarray(self.explainer.shap_values(matrix, check_additivity=False))
        expected = np.asarray(self.explainer.expected_value, dtype=np.float64).reshape(-1)
        if values.ndim == 3:
            index = plan.positive if plan.positive is not None else values.shape[2] - 1
            values = values[:, :, index]
            base = float(expected[index] if expected.size > 1 else expected[0])
        else:
            base = float(expected[-1])
        return values * plan.sign, np.full(len(values), base * plan.sign)


class _Refused(Exception):
    """The specialised explainer refused the model; use the permutation explainer."""


def explain(
    model: Any,
    features: Any,
    positive_label: Any,
    budget: Budget,
    *,
    progress: TextIO | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Explanation:
    """SHAP values of a seeded sample of ``features`` rows, in the original feature space.

    Stops at ``budget.max_seconds``: the rows explained so far are returned, marked partial.
    A progress line goes to ``progress`` (default stderr) when it is a terminal.
    """
    if len(features) == 0:
        raise ExplanationError("there are no rows to explain")
    try:  # a missing install is not the model's fault: one line naming the extra, not a finding
        import shap  # noqa: F401
    except ModuleNotFoundError as exc:
        raise missing_extra(exc) or exc from None
    import numpy as np

    started = clock()
    state = np.random.get_state()  # the permutation explainer seeds NumPy's global RNG
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = plan_for(model, features, positive_label)
            try:
                return _explain(model, features, plan, budget, started, progress, clock)
            except _Refused as refused:
                positive = positive_class(model, positive_label)
                plan = permutation_plan(model, features, positive, str(refused))
                return _explain(model, features, plan, budget, started, progress, clock)
    finally:
        np.random.set_state(state)


def _explain(
    model: Any,
    features: Any,
    plan: Plan,
    budget: Budget,
    started: float,
    progress: TextIO | None,
    clock: Callable[[], float],
) -> Explanation:
    import numpy as np

    names = [str(name) for name in features.columns]
    rng = np.random.default_rng(budget.seed)
    background_rows = sample_positions(len(features), budget.background_for(plan.explainer), rng)
    rows = sample_positions(len(features), budget.rows_for(plan.explainer), rng)
    try:  # one call: a preprocessing pipeline has a large fixed cost per call
        both = plan.encode(features.iloc[np.concatenate([rows, background_rows])])
        matrix, background = both[: len(rows)], both[len(rows) :]
    except ExplanationError:
        raise
    except Exception as exc:
        raise ExplanationError(
            f"cannot prepare the rows for {SHAP_CLASS[plan.explainer]}: {_one_line(exc)}"
        ) from None
    if plan.sources is not None and matrix.shape[1] != len(plan.sources):
        raise ExplanationError(
            f"the preprocessing gave {matrix.shape[1]} columns, expected {len(plan.sources)}"
        )
    evaluations = PERMUTATIONS * (2 * matrix.shape[1] + 1)
    try:
        runner = _Runner(plan, background, evaluations, budget.seed)
    except Exception as exc:
        if plan.explainer != "permutation":
            raise _Refused(
                f"{SHAP_CLASS[plan.explainer]} refused the model: {_one_line(exc)}"
            ) from None
        raise ExplanationError(
            f"{SHAP_CLASS[plan.explainer]} cannot explain {type(model).__name__}: {_one_line(exc)}"
        ) from None
    deadline = started + budget.max_seconds
    line = Progress(f"explaining with {SHAP_CLASS[plan.explainer]}", len(matrix), progress)
    values, base, done = _run_chunks(runner, matrix, budget.seed, deadline, line, clock)
    try:
        output = plan.reference(matrix[:done]) if done else np.zeros(0)
    except Exception as exc:
        raise ExplanationError(f"the model failed to predict: {_one_line(exc)}") from None
    transformed = None
    if plan.sources is not None:
        values, transformed = sum_columns(values, plan.sources, len(names))
    estimator = plan.estimator if plan.explainer != "permutation" else model
    meta: dict[str, Any] = {
        "explainer": plan.explainer,
        "shap_explainer": SHAP_CLASS[plan.explainer],
        "model": type(model).__name__,
        "estimator": type(estimator).__name__,
        "feature_space": "original",
        "attribution": (
            "sum over the preprocessed columns of each input feature"
            if plan.sources is not None
            else "per input feature"
        ),
        "preprocessed_columns": len(plan.sources) if plan.sources is not None else None,
        "output": plan.output,
        "fallback_reason": plan.fallback,
        "rows_available": len(features),
        "rows_requested": len(rows),
        "rows_explained": done,
        "background_rows": len(background_rows),
        "feature_perturbation": (
            "tree_path_dependent" if plan.explainer == "tree" else "interventional"
        ),
        "evaluations_per_row": evaluations if plan.explainer == "permutation" else None,
        "seed": budget.seed,
        "max_seconds": budget.max_seconds,
        "seconds": round(clock() - started, 3),
        "partial": done < len(rows),
    }
    return Explanation(
        features=names,
        values=values,
        base_values=base,
        model_output=output,
        rows=rows[:done],
        transformed_columns=transformed,
        meta=meta,
    )


def _run_chunks(
    runner: _Runner,
    matrix: Any,
    seed: int,
    deadline: float,
    progress: Progress,
    clock: Callable[[], float],
) -> tuple[Any, Any, int]:
    """Explain ``matrix`` chunk by chunk until done or out of time."""
    import numpy as np

    total = len(matrix)
    values_parts = []
    base_parts = []
    done = 0
    kind = runner.plan.explainer
    chunk = FIRST_CHUNK[kind]
    per_row = 0.0
    np.random.seed(seed)  # the permutation explainer draws from NumPy's global RNG
    try:
        while done < total:
            now = clock()
            remaining = deadline - now
            if remaining <= 0 or (per_row and per_row > remaining):
                break
            if per_row:
                fit = int(min(CHUNK_SECONDS, remaining) / per_row)
                chunk = max(1, fit)
            size = min(chunk, total - done)
            try:
                values, base = runner(matrix[done : done + size])
            except ExplanationError:
                raise
            except Exception as exc:
                raise ExplanationError(f"{SHAP_CLASS[kind]} failed: {_one_line(exc)}") from None
            values_parts.append(values)
            base_parts.append(base)
            done += size
            per_row = max((clock() - now) / size, 1e-9)
            progress.update(done)
    finally:
        progress.close()
    if not values_parts:
        return np.zeros((0, matrix.shape[1])), np.zeros(0), 0
    return np.vstack(values_parts), np.concatenate(base_parts), done


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
