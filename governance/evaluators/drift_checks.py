"""Drift evidence for the ``drift.*`` checks: the evaluation data against reference data.

The reference is the file a rule names (``params.reference``, relative to the manifest's folder,
confined like the manifest's own paths), else ``context.reference`` (a DataFrame the caller
passes, e.g. a monitor's baseline data). Every statistic of every feature is computed once per
evaluation and distinct comparison (:func:`governance.evaluators.drift.compare_frames`); each
check reads its own statistic from it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from governance.checks.drift import DriftParams, WassersteinParams
from governance.errors import DataError
from governance.evaluators.context import EvaluationContext
from governance.evaluators.drift import (
    SMALLER_IS_WORSE,
    STATISTIC_NAMES,
    Cell,
    DriftOptions,
    FeatureDrift,
    applies,
    compare_frames,
)
from governance.paths import OUTSIDE, confined
from governance.policy.messages import listed
from governance.policy.model import Measurement

SCORE_FEATURE = "score"
NO_REFERENCE = (
    "no reference data: name a CSV or Parquet file in the rule's params (reference: PATH) or "
    "pass the baseline's data to the evaluation"
)
NO_FEATURES = (
    "no features to compare: list them in the rule's params (features: [...]) or in the "
    "manifest's data.features"
)
NOT_IN_REFERENCE = "column {column!r} is not in the reference data {file}"
NOT_IN_DATA = "column {column!r} is not in the evaluation data"


def _reference_path(context: EvaluationContext, named: str) -> Path:
    manifest = context.manifest
    path = confined(named, manifest.path.parent)
    if path is None:
        raise DataError(OUTSIDE.format(what="reference data", named=named), field="reference")
    return path


def _read(path: Path, columns: list[str], text: list[str], fmt: str | None = None) -> Any:
    import pyarrow as pa

    from governance.data import open_data_file, to_pandas

    source = open_data_file(path, fmt)
    for column in columns:
        if column not in source.columns:
            raise DataError(
                NOT_IN_REFERENCE.format(column=column, file=path.name), path=path, field=column
            )
    source = source.select(columns, text=text, named=columns)
    batches = list(source.batches())
    table = pa.Table.from_batches(batches, schema=batches[0].schema if batches else None)
    if table.num_rows == 0:
        raise DataError("reference data has no rows", path=path)
    return to_pandas(table)


def _features(context: EvaluationContext, params: DriftParams) -> list[str]:
    if params.features:
        return list(params.features)
    declared = context.manifest.spec.data.features
    if declared:
        return list(declared)
    if context.features is not None:
        return [str(name) for name in context.features.columns]
    raise DataError(NO_FEATURES, field="features")


def _groupings(context: EvaluationContext, params: DriftParams) -> list[tuple[str, ...]]:
    if not params.per_group:
        return []
    return context.feature_sets(params.sensitive_features)


def _reference_scores(context: EvaluationContext, reference: Any) -> tuple[Any, str | None]:
    """The reference rows' scores: its score column, or the model's; else None and why."""
    import numpy as np
    import pandas as pd

    from governance.model_artifact import positive_index

    column = context.manifest.spec.data.score
    if column is not None and column in reference.columns:
        values = pd.to_numeric(reference[column], errors="coerce").to_numpy(dtype=np.float64)
        return values, None
    model, features = context.model, context.features
    positive = None
    if model is not None and hasattr(model, "predict_proba"):
        positive = positive_index(model, context.manifest.spec.data.positive_label)
    if features is None or positive is None:
        return None, "the reference data has no scores and the model cannot score it"
    missing = [str(name) for name in features.columns if name not in reference.columns]
    if missing:
        return None, f"the reference data lacks the model's input column {missing[0]!r}"
    proba = model.predict_proba(reference[list(features.columns)])
    return np.asarray(proba, dtype=np.float64)[:, positive], None


def _load_reference(
    context: EvaluationContext, params: DriftParams, wanted: list[str]
) -> tuple[Any, str]:
    """The reference rows (with the columns the model scores from, when present) and its name."""
    if params.reference is not None:
        path = _reference_path(context, params.reference)
        from governance.data import open_data_file

        header = open_data_file(path).columns
        spec = context.manifest.spec.data
        model_columns = [] if context.features is None else [str(c) for c in context.features]
        extra = [*model_columns, spec.score] if params.scores else []
        present = [column for column in extra if column and column in header]
        groups = sorted({name for grouping in _groupings(context, params) for name in grouping})
        frame = _read(path, list(dict.fromkeys([*wanted, *present])), groups)
        return frame, context.manifest.name_of(path)
    if context.reference is not None:
        name = "the baseline's data"
        for column in wanted:
            if column not in context.reference.columns:
                raise DataError(NOT_IN_REFERENCE.format(column=column, file=name), field=column)
        return context.reference, name
    raise DataError(NO_REFERENCE, field="reference")


def _frames(
    context: EvaluationContext, params: DriftParams, features: list[str]
) -> tuple[Any, Any, str, str | None]:
    """Reference and current frames, the reference's name, why scores are not compared.

    The frames hold the features and the group columns, and ``score`` when the scores are
    compared; the reason is None when they are.
    """
    groups = sorted({name for grouping in _groupings(context, params) for name in grouping})
    wanted = list(dict.fromkeys([*features, *groups]))
    full, name = _load_reference(context, params, wanted)
    current = _current(context, wanted, groups)
    reference, current = full[wanted].copy(), current[wanted].copy()
    skipped = None
    if params.scores:
        skipped = _add_scores(context, full, reference, current)
    return reference, current, name, skipped


def _current(context: EvaluationContext, wanted: list[str], groups: list[str]) -> Any:
    """The evaluation rows' ``wanted`` columns: from memory, else read again from the file.

    The gate reads only the columns its checks name (the manifest's, the groups', the model's
    inputs); a feature only a drift rule names is read here, every row, in the file's order.
    """
    frame = context.data.frame
    if all(column in frame.columns for column in wanted):
        return frame
    data = context.data
    header = data.header or tuple(frame.columns)
    for column in wanted:
        if column not in header:
            raise DataError(NOT_IN_DATA.format(column=column), path=data.path, field=column)
    return _read(data.path, wanted, groups, data.format)


def _score_name(context: EvaluationContext) -> str:
    return context.manifest.spec.data.score or SCORE_FEATURE


def _add_scores(context: EvaluationContext, full: Any, reference: Any, current: Any) -> str | None:
    """Add the scores to both frames as one more feature; else say why not."""
    name = _score_name(context)
    if name in reference.columns:
        return f"{name} is compared as a feature"
    scores = context.predictions.scores
    if scores is None:
        return "the model gives no scores"
    if context.data.sampled or len(scores) != len(current):
        return "the scores do not cover the evaluation rows"
    ref_scores, why = _reference_scores(context, full)
    if ref_scores is None:
        return why
    reference[name] = ref_scores
    current[name] = scores
    return None


def drift_table(
    context: EvaluationContext, params: DriftParams
) -> tuple[list[FeatureDrift], dict[str, Any]]:
    """Every feature's drift for ``params`` (computed once per distinct comparison)."""
    features = _features(context, params)
    groupings = _groupings(context, params)
    options = DriftOptions(
        bins=params.bins,
        epsilon=params.epsilon,
        min_group_size=params.min_group_size,
        categorical=frozenset(params.categorical),
    )
    key = (
        "drift",
        params.reference,
        tuple(features),
        tuple(groupings),
        params.scores,
        options,
    )

    def compute() -> tuple[list[FeatureDrift], dict[str, Any]]:
        reference, current, name, skipped = _frames(context, params, features)
        score = _score_name(context)
        added = score in reference.columns and score not in features
        compared = [*features, score] if added else features
        table = compare_frames(
            reference, current, features=compared, groupings=groupings, options=options
        )
        about: dict[str, Any] = {
            "reference": name,
            "rows": {"reference": len(reference), "current": len(current)},
            "sampled": bool(context.data.sampled),
        }
        if skipped:
            about["scores_not_compared"] = skipped
        return table, about

    result: tuple[list[FeatureDrift], dict[str, Any]] = context.cached(key, compute)
    return result


def _value(cell: Cell, statistic: str, params: DriftParams) -> float | None:
    value = cell.values.get(statistic)
    if value is None or not math.isfinite(value):
        return None
    if isinstance(params, WassersteinParams) and params.scale == "reference_std":
        std = cell.values.get("reference_std")
        if std:
            return value / std
    return value


def _where(feature: str, cell: Cell) -> str:
    if not cell.grouping:
        return f"{feature} overall"
    return f"{feature} in {cell.group} by {' × '.join(cell.grouping)}"


def measure(context: EvaluationContext, params: DriftParams, statistic: str) -> Measurement:
    """The worst value of ``statistic`` over every applicable feature, overall and per group."""
    table, about = drift_table(context, params)
    smaller_worse = statistic in SMALLER_IS_WORSE
    rows: list[dict[str, Any]] = []
    small: list[str] = []
    worst: tuple[float, str, Cell] | None = None
    for feature in table:
        if not applies(statistic, feature.kind):
            continue
        cells = []
        for cell in feature.cells:
            shown = cell.as_dict(statistic)
            value = _value(cell, statistic, params)
            shown["value"] = value
            cells.append(shown)
            if not cell.sufficient:
                if params.small_groups == "insufficient" or not cell.grouping:
                    small.append(
                        f"{_where(feature.feature, cell)}: {cell.n_reference} reference and "
                        f"{cell.n_current} current rows"
                    )
                continue
            if value is None:
                continue
            if worst is None or (value < worst[0] if smaller_worse else value > worst[0]):
                worst = (value, feature.feature, cell)
        rows.append({"feature": feature.feature, "kind": feature.kind, "cells": cells})
    evidence: dict[str, Any] = {
        "statistic": statistic,
        **about,
        "min_group_size": params.min_group_size,
        "bins": params.bins,
        "epsilon": params.epsilon,
        "features": rows,
    }
    if isinstance(params, WassersteinParams):
        evidence["scale"] = params.scale
    if not rows:
        kinds = (
            "numeric"
            if statistic in ("ks_statistic", "ks_p_value", "wasserstein")
            else "categorical"
        )
        return Measurement(
            evidence=evidence,
            error=f"no {kinds} feature to compare ({STATISTIC_NAMES[statistic]} needs one)",
        )
    value = None
    if worst is not None:
        value, feature_name, cell = worst
        evidence["worst"] = {"feature": feature_name, **cell.as_dict(statistic), "value": value}
    if small:
        return Measurement(
            value=value,
            evidence=evidence,
            insufficient=(
                f"{len(small)} comparisons have fewer than {params.min_group_size} rows in "
                f"the reference or current data ({listed(small)})"
            ),
        )
    if worst is None:
        return Measurement(evidence=evidence, error="no feature has values in both samples")
    return Measurement(value=value, evidence=evidence)


def psi(context: EvaluationContext, params: DriftParams) -> Measurement:
    """Largest population stability index."""
    return measure(context, params, "psi")


def jensen_shannon(context: EvaluationContext, params: DriftParams) -> Measurement:
    """Largest Jensen-Shannon distance."""
    return measure(context, params, "js_distance")


def ks_statistic(context: EvaluationContext, params: DriftParams) -> Measurement:
    """Largest Kolmogorov-Smirnov statistic."""
    return measure(context, params, "ks_statistic")


def ks_p_value(context: EvaluationContext, params: DriftParams) -> Measurement:
    """Smallest Kolmogorov-Smirnov p-value."""
    return measure(context, params, "ks_p_value")


def wasserstein(context: EvaluationContext, params: WassersteinParams) -> Measurement:
    """Largest Wasserstein-1 distance."""
    return measure(context, params, "wasserstein")


def chi_square_p_value(context: EvaluationContext, params: DriftParams) -> Measurement:
    """Smallest chi-square p-value."""
    return measure(context, params, "chi_square_p_value")


def missing_share(context: EvaluationContext, params: DriftParams) -> Measurement:
    """Largest share of missing values."""
    return measure(context, params, "missing_share")


def out_of_range_share(context: EvaluationContext, params: DriftParams) -> Measurement:
    """Largest share of values outside the reference's range or categories."""
    return measure(context, params, "out_of_range_share")
