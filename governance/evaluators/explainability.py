"""Explainability evidence with SHAP, and the explainability checks.

One explanation per evaluation and budget (``context.cached``) is shared by every rule: SHAP
values of a seeded sample of rows in the model's original feature space (see
:mod:`governance.evaluators.explainers`). From it:

- global importance: mean |SHAP| of each feature, its share of the total, its rank;
- the same within each group of each sensitive attribute;
- the share of attribution carried by sensitive features;
- the association of every feature with every sensitive attribute
  (:mod:`governance.evaluators.association`) and the potential proxies: features both strongly
  associated with a sensitive attribute and influential;
- the stability of the top-k features across bootstrap resamples of the explained rows.

Every check first verifies additivity: SHAP values plus the base value must give back the
model's own output (log-odds for a logistic model, the probability for the permutation
explainer) within ``additivity_tolerance``; otherwise the finding is ``error``. A run stopped by
the time budget gives a partial explanation; findings on it are ``insufficient``, with their
value and the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from governance.checks.explainability import (
    AvailableParams,
    ExplainParams,
    ProxyParams,
    SensitiveShareParams,
    StabilityParams,
    TopFeaturesParams,
)
from governance.evaluators.context import EvaluationContext
from governance.evaluators.explain_budget import Budget, resolve_budget
from governance.evaluators.explainers import Explanation, ExplanationError, explain
from governance.policy.model import Measurement

if TYPE_CHECKING:
    from governance.evaluators.association import Codes, Column

# Groups with fewer explained rows than this get a note: their importance is noisy.
SMALL_GROUP = 30
# Bootstrap draws per block of resamples in the stability check (a block's arrays stay cached).
STABILITY_BLOCK_DRAWS = 25_000
NO_MODEL = (
    "there is no model to explain: the manifest evaluates a predictions column; give the model "
    "artifact (model.path) to explain it"
)


@dataclass(frozen=True)
class Shared:
    """The explanation and what every check derives from it."""

    explanation: Explanation
    importance: Any  # mean |SHAP| per feature, in explanation.features order
    order: list[int]  # feature positions by decreasing importance (ties: input order)

    @property
    def total(self) -> float:
        """Sum of the mean |SHAP| of all features."""
        return float(self.importance.sum())

    def share(self, position: int) -> float:
        """Share of the total attribution carried by feature ``position``."""
        return float(self.importance[position]) / self.total if self.total > 0 else 0.0

    def rank(self, feature: str) -> int:
        """1-based rank of ``feature`` by importance."""
        position = self.explanation.features.index(feature)
        return self.order.index(position) + 1

    def top(self, k: int) -> list[str]:
        """The ``k`` most important features with a non-zero attribution."""
        names = self.explanation.features
        return [names[p] for p in self.order if self.importance[p] > 0][:k]


def _number(value: float) -> float:
    """A JSON-friendly float with 6 significant digits (0.0 for NaN)."""
    if not math.isfinite(value):
        return 0.0
    return float(f"{value:.6g}")


def _budget(context: EvaluationContext, params: ExplainParams) -> Budget:
    return resolve_budget(
        rows=params.rows,
        background=params.background,
        max_seconds=params.max_seconds,
        seed=params.seed,
        settings=context.settings,
    )


def _compute(context: EvaluationContext, budget: Budget) -> Shared | str:
    import numpy as np

    positive = context.manifest.spec.data.positive_label
    try:
        explanation = explain(context.model, context.features, positive, budget)
    except ExplanationError as exc:
        return f"cannot explain {type(context.model).__name__}: {exc}"
    importance = (
        np.abs(explanation.values).mean(axis=0)
        if len(explanation.rows)
        else np.zeros(len(explanation.features))
    )
    order = sorted(range(len(importance)), key=lambda p: (-float(importance[p]), p))
    return Shared(explanation=explanation, importance=importance, order=order)


def shared_evidence(context: EvaluationContext, params: ExplainParams) -> Shared | Measurement:
    """The shared explanation for this rule's budget, or the Measurement saying why not."""
    if context.model is None or context.features is None:
        return Measurement(insufficient=NO_MODEL, evidence={"explanation": None})
    budget = _budget(context, params)
    result = context.cached(
        ("explainability.explanation", budget), lambda: _compute(context, budget)
    )
    if isinstance(result, str):
        return Measurement(error=result, evidence={"explanation": None})
    additivity = _additivity(result.explanation, params.additivity_tolerance)
    if not additivity["passed"]:
        return Measurement(
            error=(
                "additivity check failed: SHAP values plus the base value differ from the "
                f"model's {result.explanation.meta['output']} output by up to "
                f"{additivity['max_abs_error']:.3g} (tolerance {params.additivity_tolerance:g})"
            ),
            evidence={"explanation": explanation_summary(context, result, params)},
        )
    return result


def _additivity(explanation: Explanation, tolerance: float) -> dict[str, Any]:
    error = explanation.additivity_error
    return {
        "max_abs_error": _number(error),
        "tolerance": tolerance,
        "passed": math.isfinite(error) and error <= tolerance,
    }


def explanation_summary(
    context: EvaluationContext, shared: Shared, params: ExplainParams
) -> dict[str, Any]:
    """How the explanation was obtained (explainer, feature space, budget, additivity).

    ``data_sampled`` is true when the data was too large to hold and the rows available are a
    seeded sample of it.
    """
    meta = dict(shared.explanation.meta)
    meta["data_sampled"] = bool(getattr(context.data, "sampled", False))
    meta["additivity"] = _additivity(shared.explanation, params.additivity_tolerance)
    return meta


def importance_rows(shared: Shared, sensitive: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One row per feature by decreasing importance."""
    explanation = shared.explanation
    counts = explanation.transformed_columns
    rows = []
    for rank, position in enumerate(shared.order, start=1):
        name = explanation.features[position]
        rows.append(
            {
                "feature": name,
                "rank": rank,
                "mean_abs_shap": _number(float(shared.importance[position])),
                "share": _number(shared.share(position)),
                "sensitive": name in sensitive,
                "preprocessed_columns": counts[position] if counts is not None else None,
            }
        )
    return rows


def _partial(shared: Shared) -> str | None:
    meta = shared.explanation.meta
    if not meta["partial"]:
        return None
    return (
        f"the time budget of {meta['max_seconds']:g} s ran out: {meta['rows_explained']} of "
        f"{meta['rows_requested']} rows explained (partial result)"
    )


def _nothing_explained(shared: Shared) -> str | None:
    """Why there is no value to measure when not one row was explained, else ``None``.

    An attribution share or a count of features over zero explained rows would read 0, which
    looks like a pass; the checks report no value (and reports draw no chart) instead.
    """
    if len(shared.explanation.rows):
        return None
    return _partial(shared) or "no rows were explained"


def _sensitive(context: EvaluationContext, requested: Sequence[str] | None) -> list[str]:
    return list(requested or context.manifest.spec.data.sensitive_features)


def _aligned(context: EvaluationContext, name: str) -> Any:
    """The data's column ``name`` (a Series) for the rows of ``context.features``, in order."""
    frame = context.data.frame
    features = context.features
    try:
        if frame.index.equals(features.index):
            return frame[name]
        return frame.loc[features.index, name]
    except KeyError:
        raise ExplanationError(
            "cannot match the model's feature rows to the evaluation data rows"
        ) from None


# Checks --------------------------------------------------------------------------------------


def available(context: EvaluationContext, params: AvailableParams) -> Measurement:
    """1 when the requested rows were all explained additively; the explained share if not."""
    shared = shared_evidence(context, params)
    if isinstance(shared, Measurement):
        return shared
    meta = shared.explanation.meta
    fraction = meta["rows_explained"] / meta["rows_requested"] if meta["rows_requested"] else 0.0
    rows = importance_rows(shared, _sensitive(context, None))
    evidence = {"explanation": explanation_summary(context, shared, params), "importance": rows}
    return Measurement(value=fraction, evidence=evidence, insufficient=_partial(shared))


def group_importance(
    context: EvaluationContext, shared: Shared, sensitive: Sequence[str]
) -> list[dict[str, Any]]:
    """Mean |SHAP| of every feature within each group of each sensitive attribute."""
    import numpy as np

    explanation = shared.explanation
    magnitudes = np.abs(explanation.values)
    tables = []
    names = [explanation.features[p] for p in shared.order]
    for name in sensitive:
        codes, uniques = _groups(data_codes(context, name), explanation.rows)
        counts = np.bincount(codes, minlength=len(uniques))
        # sums by group without BLAS (whose threads spin on a loaded machine): rows sorted by
        # group, every group present, so each group is one run of rows
        order = np.argsort(codes, kind="stable")
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        sums = (
            np.add.reduceat(magnitudes[order], starts, axis=0)
            if len(codes)
            else np.zeros((0, magnitudes.shape[1]))
        )
        means = sums / np.maximum(counts, 1)[:, None]
        groups = [
            {
                "group": _plain(value),
                "count": int(counts[code]),
                "mean_abs_shap": {
                    feature: _number(float(means[code, p]))
                    for feature, p in zip(names, shared.order, strict=True)
                },
            }
            for code, value in enumerate(uniques)
        ]
        tables.append({"sensitive_feature": name, "groups": groups})
    return tables


def data_codes(context: EvaluationContext, name: str) -> Codes:
    """The data column ``name``, for the rows of ``context.features``, factorized once."""
    from governance.evaluators.association import factorize

    return context.cached(
        ("explainability.codes", name), lambda: factorize(_aligned(context, name))
    )


def _groups(codes: Codes, positions: Any) -> tuple[Any, list[Any]]:
    """Codes and sorted groups of the rows at ``positions`` (the groups present there only).

    The same as ``pandas.factorize(rows, sort=True, use_na_sentinel=False)``: the groups present
    are sorted as pandas sorts them, from the column's factorization.
    """
    import numpy as np
    import pandas as pd

    subset = codes.codes[positions]
    present = np.flatnonzero(np.bincount(subset, minlength=len(codes.uniques)))
    ranks, uniques = pd.factorize(codes.uniques[present], sort=True, use_na_sentinel=False)
    remap = np.zeros(len(codes.uniques), dtype=np.intp)
    remap[present] = ranks
    return remap[subset], list(uniques)


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, bool | int | float | str) else str(value)


def sensitive_attribution_share(
    context: EvaluationContext, params: SensitiveShareParams
) -> Measurement:
    """Share of the total mean |SHAP| carried by the sensitive features the model takes."""
    shared = shared_evidence(context, params)
    if isinstance(shared, Measurement):
        return shared
    sensitive = _sensitive(context, params.sensitive_features)
    names = shared.explanation.features
    counts = shared.explanation.transformed_columns
    unexplained = _nothing_explained(shared)
    entries = []
    notes = []
    share = 0.0
    for name in sensitive:
        if name not in names:
            entries.append({"feature": name, "status": "not a model input", "share": 0.0})
            notes.append(
                f"{name} is not an input of the model: it can act only through proxies "
                "(see explainability.proxy_features)"
            )
            continue
        position = names.index(name)
        value = shared.share(position)
        share += value
        status = "used"
        if counts is not None and counts[position] == 0:
            status = "dropped by the preprocessing"
            notes.append(f"{name} is an input of the model but its preprocessing drops it")
        elif unexplained:
            status = "not explained"
        elif shared.importance[position] == 0:
            status = "no attribution"
            notes.append(f"{name} is an input of the model but receives no attribution")
        entries.append(
            {
                "feature": name,
                "status": status,
                "rank": shared.rank(name),
                "mean_abs_shap": _number(float(shared.importance[position])),
                "share": _number(value),
            }
        )
    try:
        by_group = group_importance(context, shared, sensitive)
    except ExplanationError as exc:
        return Measurement(error=str(exc))
    small = [
        f"{table['sensitive_feature']}={group['group']}"
        for table in by_group
        for group in table["groups"]
        if group["count"] < SMALL_GROUP
    ]
    if small:
        notes.append(
            f"fewer than {SMALL_GROUP} explained rows in {', '.join(small)}: their per-group "
            "importance is noisy (raise rows)"
        )
    measured = None if unexplained else _number(share)
    evidence = {
        "explanation": explanation_summary(context, shared, params),
        "share": measured,
        "sensitive": entries,
        "notes": notes,
        "importance": importance_rows(shared, sensitive),
        "by_group": by_group,
    }
    return Measurement(
        value=measured, evidence=evidence, insufficient=unexplained or _partial(shared)
    )


def associations(
    context: EvaluationContext, sensitive: Sequence[str], excluded: Sequence[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Association of every model input but ``excluded`` with every sensitive attribute.

    Computed once per evaluation, from columns prepared once per evaluation (shared by rules
    with other sensitive features, and the factorization of a sensitive attribute with its
    per-group importance).
    """

    def compute() -> dict[str, dict[str, dict[str, Any]]]:
        from governance.evaluators.association import as_table, measure_sampled

        names = [name for name in context.features.columns if name not in excluded]
        features = [_feature_column(context, name) for name in names]
        targets = [_data_column(context, name) for name in sensitive]
        return as_table(measure_sampled(features, targets))

    key = ("explainability.associations", tuple(sensitive), tuple(sorted(excluded)))
    return context.cached(key, compute)


def _feature_column(context: EvaluationContext, name: Any) -> Column:
    from governance.evaluators.association import prepare

    return context.cached(
        ("explainability.column", "features", name),
        lambda: prepare(str(name), context.features[name]),
    )


def _data_column(context: EvaluationContext, name: str) -> Column:
    from governance.evaluators.association import is_categorical, prepare

    def compute() -> Column:
        series = _aligned(context, name)
        codes = data_codes(context, name) if is_categorical(series) else None
        return prepare(name, series, codes)

    return context.cached(("explainability.column", "data", name), compute)


def proxy_features(context: EvaluationContext, params: ProxyParams) -> Measurement:
    """Potential proxies among the top-k: associated with a sensitive attribute and influential."""
    shared = shared_evidence(context, params)
    if isinstance(shared, Measurement):
        return shared
    sensitive = _sensitive(context, params.sensitive_features)
    excluded = set(sensitive) | set(context.manifest.spec.data.sensitive_features)
    counts = shared.explanation.transformed_columns
    # Columns the preprocessing drops are not features of the model: nothing to associate.
    dropped = {
        name
        for name, count in zip(shared.explanation.features, counts or [], strict=False)
        if count == 0
    }
    try:
        table = associations(context, sensitive, sorted(excluded | dropped))
    except ExplanationError as exc:
        return Measurement(error=str(exc))
    top = set(shared.top(params.top_k))
    rows = []
    for position in shared.order:
        name = shared.explanation.features[position]
        if name in excluded:
            continue
        links = table.get(name, {})
        strongest = max((link["value"] for link in links.values()), default=0.0)
        proxy_of = [s for s, link in links.items() if link["value"] >= params.min_association]
        share = _number(shared.share(position))
        potential = bool(proxy_of) and share >= params.min_attribution_share and name in top
        rows.append(
            {
                "feature": name,
                "rank": shared.rank(name),
                "share": share,
                "in_top_k": name in top,
                "dropped_by_preprocessing": name in dropped,
                "association": links,
                "max_association": _number(strongest),
                "proxy_of": proxy_of,
                "potential_proxy": potential,
            }
        )
    proxies = [row["feature"] for row in rows if row["potential_proxy"]]
    evidence = {
        "explanation": explanation_summary(context, shared, params),
        "sensitive_features": sensitive,
        "top_k": params.top_k,
        "min_association": params.min_association,
        "min_attribution_share": params.min_attribution_share,
        "proxies": proxies,
        "features": rows,
    }
    unexplained = _nothing_explained(shared)
    if unexplained:
        return Measurement(evidence=evidence, insufficient=unexplained)
    return Measurement(value=float(len(proxies)), evidence=evidence, insufficient=_partial(shared))


def top_features(context: EvaluationContext, params: TopFeaturesParams) -> Measurement:
    """Top-k features on the denylist or off the allowlist."""
    shared = shared_evidence(context, params)
    if isinstance(shared, Measurement):
        return shared
    top = shared.top(params.top_k)
    violations: list[dict[str, Any]] = []
    for name in top:
        if params.deny is not None and name in params.deny:
            violations.append({"feature": name, "rank": shared.rank(name), "reason": "denied"})
        elif params.allow is not None and name not in params.allow:
            violations.append({"feature": name, "rank": shared.rank(name), "reason": "not allowed"})
    known = set(shared.explanation.features)
    listed = list(params.allow or []) + list(params.deny or [])
    sensitive = _sensitive(context, None)
    rows = importance_rows(shared, sensitive)
    evidence = {
        "explanation": explanation_summary(context, shared, params),
        "top_k": params.top_k,
        "top": top,
        "allow": params.allow,
        "deny": params.deny,
        "violations": violations,
        "unknown_features": [name for name in listed if name not in known],
        "importance": rows,
    }
    unexplained = _nothing_explained(shared)
    if unexplained:
        return Measurement(evidence=evidence, insufficient=unexplained)
    return Measurement(
        value=float(len(violations)), evidence=evidence, insufficient=_partial(shared)
    )


def bootstrap_stability(shared: Shared, top_k: int, resamples: int, seed: int) -> dict[str, Any]:
    """Overlap of each bootstrap resample's top-k with the full sample's top-k."""
    import numpy as np

    explanation = shared.explanation
    reference = shared.top(top_k)
    k = len(reference)
    rows = len(explanation.rows)
    if k == 0 or rows == 0:
        return {"reference_top": reference, "k": k, "mean_overlap": None}
    magnitudes = np.ascontiguousarray(np.abs(explanation.values).T)
    rng = np.random.default_rng(seed)
    boot = np.empty((resamples, magnitudes.shape[0]))
    # resamples in blocks of about STABILITY_BLOCK_DRAWS draws, so each block's arrays stay in
    # the CPU cache (the same draws, in the same order, as all at once)
    block = max(1, STABILITY_BLOCK_DRAWS // rows)
    offsets = (np.arange(block) * rows)[:, None]
    for first in range(0, resamples, block):
        size = min(block, resamples - first)
        # each resample: how many times each row is drawn (rows drawn with replacement)
        draws = rng.integers(0, rows, size=(size, rows))
        draws += offsets[:size]
        counts = np.bincount(draws.ravel(), minlength=size * rows)
        counts = counts.reshape(size, rows).astype(np.float64)
        # counts @ magnitudes without BLAS, whose threads spin on a loaded machine
        np.einsum("rn,fn->rf", counts, magnitudes, out=boot[first : first + size])
    boot /= rows
    order = np.argsort(-boot, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, boot.shape[1] + 1)[None, :], axis=1)
    positions = [explanation.features.index(name) for name in reference]
    reference_ranks = ranks[:, positions]
    in_top = reference_ranks <= k
    overlap = in_top.sum(axis=1) / k
    ordered = np.sort(reference_ranks, axis=0)  # 5th/95th percentiles, lower/higher
    low, high = math.floor(0.05 * (resamples - 1)), math.ceil(0.95 * (resamples - 1))
    features = [
        {
            "feature": name,
            "rank": column + 1,
            "in_top_k_share": _number(float(in_top[:, column].mean())),
            "rank_p05": int(ordered[low, column]),
            "rank_p95": int(ordered[high, column]),
        }
        for column, name in enumerate(reference)
    ]
    return {
        "reference_top": reference,
        "k": k,
        "mean_overlap": _number(float(overlap.mean())),
        "min_overlap": _number(float(overlap.min())),
        "identical_share": _number(float((overlap == 1).mean())),
        "features": features,
    }


def stability(context: EvaluationContext, params: StabilityParams) -> Measurement:
    """Mean share of the top-k features that stay in the top k across bootstrap resamples."""
    shared = shared_evidence(context, params)
    if isinstance(shared, Measurement):
        return shared
    result = bootstrap_stability(shared, params.top_k, params.resamples, params.seed)
    evidence = {
        "explanation": explanation_summary(context, shared, params),
        "top_k": params.top_k,
        "resamples": params.resamples,
        **result,
    }
    if result["mean_overlap"] is None:
        return Measurement(
            evidence=evidence,
            insufficient=_nothing_explained(shared)
            or "no feature has a non-zero attribution, so there is no top k to compare",
        )
    notes = []
    if result["k"] < params.top_k:
        notes.append(f"only {result['k']} features have a non-zero attribution")
    evidence["notes"] = notes
    return Measurement(
        value=result["mean_overlap"], evidence=evidence, insufficient=_partial(shared)
    )
