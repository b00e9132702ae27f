"""The champion of ``governance check --baseline``: its predictions on the challenger's rows.

The baseline manifest contributes its model; the rows are the challenger's. Its data must be
the same bytes as the challenger's (the same sha256) and give the same labels, or the check
stops with :data:`DIFFERENT_ROWS` (exit 2) before anything is written. How the champion's
model was found is a seam: :func:`champion_from_model` takes a resolved model, from a
baseline manifest or from an MLflow registry (``--baseline models:/NAME@champion``: the
registered version predicts the challenger's rows, read with the challenger's manifest).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from governance.errors import DataError, InputError

if TYPE_CHECKING:
    from governance.evaluators.context import EvaluationContext
    from governance.evaluators.paired import Champion
    from governance.gate import CheckOptions, PreparedCheck
    from governance.manifest import Manifest

DIFFERENT_ROWS = "challenger and champion were evaluated on different rows: {detail}"
DIFFERENT_ROWS_HINT = "point the baseline manifest's data.path at the challenger's data"
WHOLE_DATA_ONLY = (
    "--baseline needs the evaluation data read whole (it is {how}): both models must "
    "predict every row"
)
BINARY_ONLY = "--baseline compares binary classifiers (data.task is {task})"


def champion_from_model(
    context: EvaluationContext,
    manifest: Manifest,
    model: Any,
    *,
    name: str,
    version: str,
) -> Champion:
    """The champion's predictions on the challenger's rows, from a model already resolved.

    Parameters
    ----------
    context
        The challenger's evaluation context (its rows and labels).
    manifest
        Says how to read the rows and which columns the model takes (the baseline's manifest,
        or the challenger's for a model from a registry); its data must be the challenger's.
    model
        The champion, loaded (``None`` when ``manifest`` names a predictions column).
    name, version
        What the champion is called in the record and messages.

    Raises
    ------
    InputError
        When the rows read are not the challenger's (:data:`DIFFERENT_ROWS`).
    """
    from governance.evaluators.inputs import load_context
    from governance.evaluators.paired import Champion

    theirs = load_context(manifest, [], trust_model=False, model=model, whole=True)
    if theirs.data.rows != context.data.rows:
        raise InputError(
            DIFFERENT_ROWS.format(
                detail=f"{context.data.rows} rows against the champion's {theirs.data.rows}"
            ),
            hint=DIFFERENT_ROWS_HINT,
        )
    if not np.array_equal(np.asarray(theirs.y_true), np.asarray(context.y_true)):
        raise InputError(
            DIFFERENT_ROWS.format(detail="the labels differ (data.target or positive_label)"),
            hint=DIFFERENT_ROWS_HINT,
        )
    return Champion(
        y_pred=np.asarray(theirs.y_pred, dtype=np.int8),
        name=name,
        version=version,
        source=theirs.predictions.source,
    )


def _check_comparable(context: EvaluationContext) -> None:
    if context.engine is not None or context.data.sampled:
        how = "counted by a SQL engine" if context.engine is not None else "streamed"
        raise DataError(WHOLE_DATA_ONLY.format(how=how), field="baseline")
    if context.task != "binary":
        raise DataError(BINARY_ONLY.format(task=context.task), field="baseline")


def champion_from_manifest(path: Path, prepared: PreparedCheck) -> tuple[Champion, dict[str, Any]]:
    """Load the baseline manifest's model, check its rows, predict; and the record's block."""
    from governance.gate import file_digest
    from governance.manifest import load_manifest
    from governance.model_artifact import load_model

    context = prepared.context
    _check_comparable(context)
    manifest = load_manifest(path)
    theirs = file_digest(manifest.data_path) if manifest.data_path.is_file() else None
    ours = prepared.digests["data"]
    if theirs != ours:
        detail = (
            f"the baseline's data {manifest.data_path.name} ({_short(theirs)}) is not the "
            f"challenger's {context.data.path.name} ({_short(ours)})"
        )
        raise InputError(DIFFERENT_ROWS.format(detail=detail), hint=DIFFERENT_ROWS_HINT)
    spec = manifest.spec
    model = None
    model_part = None
    if spec.data.prediction is None:
        model = load_model(manifest, trust_model=prepared.options.trust_model)
        model_path = manifest.model_path
        if model_path is not None and spec.model is not None:
            digest = file_digest(model_path)
            model_part = {
                "path": manifest.name_of(model_path, digest),
                "format": spec.model.format,
                "digest": digest,
            }
    champion = champion_from_model(
        context, manifest, model, name=manifest.name, version=manifest.version
    )
    block = {
        "name": manifest.name,
        "version": manifest.version,
        "manifest": {
            "path": manifest.name_of(manifest.path, manifest.digest),
            "digest": manifest.digest,
        },
        "model": model_part,
        "predictions": {"source": champion.source},
        "same_rows": {
            "data_digest": ours,
            "rows": int(context.data.rows),
            "labels_equal": True,
            "rows_agreeing": int(np.sum(np.asarray(context.y_pred) == champion.y_pred)),
        },
    }
    return champion, block


def _short(digest: str | None) -> str:
    return "not a file" if digest is None else digest[:19] + "…"


def champion_from_registry(uri: str, prepared: PreparedCheck) -> tuple[Champion, dict[str, Any]]:
    """The registered version ``uri`` names, predicting the challenger's own rows.

    The rows are read with the challenger's manifest, so they are the same rows by
    construction; the model loads under the same trust rules as the challenger's
    (:func:`governance.registry.source.resolve_registry_model`).
    """
    from governance.config import load_settings
    from governance.registry.source import resolve_registry_model

    context = prepared.context
    _check_comparable(context)
    options = prepared.options
    settings = options.settings or load_settings()
    resolved = resolve_registry_model(uri, settings, trusted=options.trust_model)
    facts = resolved.facts
    champion = champion_from_model(
        context,
        prepared.manifest,
        resolved.model,
        name=str(facts["name"]),
        version=str(facts["version"]),
    )
    block = {
        "name": str(facts["name"]),
        "version": str(facts["version"]),
        "registry": {"uri": uri, "resolved": resolved.artifact_name},
        "model": {
            "path": resolved.artifact_name,
            "format": resolved.format,
            "digest": resolved.digest,
        },
        "predictions": {"source": champion.source},
        "same_rows": {
            "data_digest": prepared.digests["data"],
            "rows": int(context.data.rows),
            "labels_equal": True,
            "rows_agreeing": int(np.sum(np.asarray(context.y_pred) == champion.y_pred)),
        },
    }
    return champion, block


def is_registry_uri(baseline: Path | str) -> bool:
    """Whether ``--baseline`` names a registered model (``models:/...``) rather than a file."""
    return isinstance(baseline, str) and baseline.startswith("models:/")


def with_baseline(
    baseline: Path | str,
    prepare: Callable[[CheckOptions], PreparedCheck] | None = None,
) -> Callable[[CheckOptions], PreparedCheck]:
    """``prepare`` (the gate's :func:`~governance.gate.prepare_check`) plus the champion.

    The champion's predictions go into the evaluation context, its description into the
    record's ``baseline``; a bad baseline is an InputError before anything is written.
    """

    def prepared_with_champion(options: CheckOptions) -> PreparedCheck:
        from governance.gate import prepare_check

        # both models predict every row: the data is read whole unless data.engine says otherwise
        prepared = (prepare or prepare_check)(replace(options, whole_data=True))
        if is_registry_uri(baseline):
            champion, block = champion_from_registry(str(baseline), prepared)
        else:
            champion, block = champion_from_manifest(Path(baseline), prepared)
        prepared.context.baseline = champion
        earlier = prepared.describe

        def describe(header: dict[str, Any]) -> dict[str, Any]:
            described = header if earlier is None else earlier(header)
            return {**described, "baseline": block}

        return replace(prepared, describe=describe)

    return prepared_with_champion
