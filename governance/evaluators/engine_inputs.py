"""The evaluation context from a SQL engine: the counts of one query, and a seeded row sample.

The engine (:mod:`governance.data.engines`) counts every grouping the rules use in one query;
the counts are checked as the arrow path checks its rows (a complete, binary target holding the
positive label; predictions with the target's labels; complete, finite scores; complete groups
with two values or more), and a seeded sample of at most ``StreamLimits.sample_rows`` rows,
drawn in the engine, serves the checks that need rows. When the sample holds every row the
data counts as whole (``data.sampled`` false), and ROC AUC is exact, as on the arrow path.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.data import (
    ClassEncoder,
    EvaluationData,
    TargetCheck,
    binarise,
    missing_group_values,
    numeric_values,
    single_group,
    suffix_format,
    to_pandas,
)
from governance.data.engines import EngineInfo, engine_name, is_numeric, open_engine
from governance.data.engines.query import (
    counts_query,
    empty_query,
    regression_query,
    sample_query,
)
from governance.data.engines.result import QueryResult, read_regression, read_result
from governance.data.evaluation import check_manifest_columns
from governance.errors import DataError, EngineError
from governance.evaluators.context import EvaluationContext
from governance.evaluators.counts import FINE_BINS, GroupCounts, count_groups
from governance.evaluators.stream import Requirements, StreamLimits
from governance.manifest import Manifest
from governance.model_artifact import Predictions

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from governance.config import Settings

NEEDS_PREDICTIONS = (
    "{engine}: the engine counts predictions stored in the data: set data.prediction "
    "(data.engine arrow runs the model on each row)"
)
NOT_A_COLUMN = "{engine}: {data} has no column {column!r}"
NOT_NUMERIC = "{engine}: {data}: score column {column!r} is {kind}, not a number"
NOT_TEXT = "{engine}: {data}: group column {column!r} holds bytes, not text"
NO_ROWS = "{engine}: {data}: no rows to evaluate{filtered}"
NOT_NUMBERS = (
    "target column {column!r} is {kind}, not numbers: a regression target holds numbers",
    "{column} is {kind}, not numbers: a regression model predicts numbers",
)
"""The arrow path's messages for a target and a prediction column that are not numbers."""


def load_engine_inputs(
    manifest: Manifest,
    needs: Requirements,
    *,
    settings: Settings | None = None,
    limits: StreamLimits | None = None,
    needs_rows: bool = False,
    check_columns: Callable[[set[str]], object] | None = None,
) -> tuple[EvaluationContext, EngineInfo]:
    """Count with the manifest's engine; the evaluation context and what the record says of it.

    Parameters
    ----------
    manifest, needs
        The model under review and the groupings its rules count.
    settings
        The spark engine's session settings.
    limits
        The sample's size and seed (``sample_rows``, ``seed``).
    needs_rows
        Whether a rule reads rows (explainability): a seeded sample is drawn. Data of at most
        ``sample_rows`` rows is always read whole.
    check_columns
        Called with the data's column names before anything is counted (the rules' columns).
    """
    limits = limits or StreamLimits()
    spec = manifest.spec.data
    name = engine_name(manifest)
    if spec.prediction is None:
        raise manifest.error(NEEDS_PREDICTIONS.format(engine=name), "data", "prediction")
    engine = open_engine(manifest, settings)
    try:
        shown = engine_source_name(manifest)
        columns = engine.columns()
        if check_columns is not None:
            check_columns(set(columns))
        _check_columns(manifest, columns, needs, name, shown)
        if spec.task == "regression":
            _check_numbers(manifest, engine, columns)
            query = regression_query(
                needs.groupings,
                target=spec.target,
                prediction=spec.prediction,
                dialect=engine.dialect,
            )
            result = read_regression(engine.run(query.text), query)
        else:
            query = counts_query(
                needs.groupings,
                target=spec.target,
                prediction=spec.prediction,
                score=spec.score if spec.task == "binary" else None,
                ece_bins=needs.ece_bins,
                fine_bins=FINE_BINS,
                dialect=engine.dialect,
            )
            result = read_result(
                engine.run(query.text),
                query,
                spec.positive_label,
                fine_bins=FINE_BINS,
                task=spec.task,
            )
        if result.rows == 0:
            filtered = " (data.where selects none)" if spec.where else ""
            raise EngineError(NO_ROWS.format(engine=name, data=shown, filtered=filtered))
        _check_labels(manifest, result, manifest.data_path, None if spec.where else engine)
        read = _read_columns(manifest, needs, columns)
        sampled: str | None = sample_query(
            read, rows=limits.sample_rows, seed=limits.seed, dialect=engine.dialect
        )
        if result.rows > limits.sample_rows and not needs_rows:
            sampled = None  # no rule reads rows: no second scan
        sample = engine.run(sampled or empty_query(read, dialect=engine.dialect))
        info = EngineInfo(
            name=name,
            version=engine.version,
            query=query.text,
            sample_query=sampled,
            where=spec.where,
            sample_rows=sample.num_rows,
            seed=limits.seed,
            snapshot=engine.snapshot(),
        )
    finally:
        engine.close()
    path = manifest.data_path
    fmt = spec.format or (suffix_format(Path(spec.path)) if spec.path else None) or "table"
    context = _context(manifest, result, sample, list(columns), path, fmt)
    _check_groups(context, result, needs, path)
    context.engine = {"source": _source_name(manifest), **info.as_dict()}
    return context, info


def engine_source_name(manifest: Manifest) -> str:
    """How errors name the data: the manifest's path (or glob), or ``table <name>``."""
    spec = manifest.spec.data
    return f"table {spec.table}" if spec.table else str(spec.path)


def _source_name(manifest: Manifest) -> str:
    """The record's name of the data: the portable path (or glob), the URI, or ``table:<name>``.

    A URI is named without its query (its options); it carries no credentials (refused at load).
    """
    spec = manifest.spec.data
    if spec.table is not None:
        return f"table:{spec.table}"
    if manifest.data_uri is not None:
        return manifest.data_uri.partition("?")[0]
    return manifest.name_of(manifest.data_path)


def data_digest(snapshot: dict[str, Any]) -> str:
    """The files' combined digest, or (a table) the sha256 of the snapshot's canonical JSON."""
    if "digest" in snapshot:
        return str(snapshot["digest"])
    from governance.canonical import canonical_json

    return "sha256:" + hashlib.sha256(canonical_json(snapshot).encode()).hexdigest()


def _check_columns(
    manifest: Manifest, columns: dict[str, str], needs: Requirements, engine: str, shown: str
) -> None:
    spec = manifest.spec.data
    check_manifest_columns(manifest, list(columns))  # the arrow path's messages, at the field
    for column in needs.columns:
        if column not in columns:
            raise EngineError(NOT_A_COLUMN.format(engine=engine, data=shown, column=column))
    for column in {*spec.sensitive_features, *needs.columns}:
        if columns[column].upper().startswith(("BLOB", "BINARY", "BYTEA")):
            raise EngineError(NOT_TEXT.format(engine=engine, data=shown, column=column))
    if spec.score is not None and not is_numeric(columns[spec.score]):
        raise EngineError(
            NOT_NUMERIC.format(
                engine=engine, data=shown, column=spec.score, kind=columns[spec.score]
            )
        )


def _check_numbers(manifest: Manifest, engine: Any, columns: dict[str, str]) -> None:
    """A regression's target and prediction are numbers; named by their Arrow types, as arrow."""
    spec = manifest.spec.data
    for message, column in zip(NOT_NUMBERS, (spec.target, spec.prediction), strict=True):
        if column is None or is_numeric(columns[column]):
            continue
        empty = engine.run(empty_query([column], dialect=engine.dialect))
        raise DataError(
            message.format(column=column, kind=empty.schema.field(0).type),
            path=manifest.data_path,
            field=column if column == spec.target else None,
        )


def _read_columns(manifest: Manifest, needs: Requirements, columns: dict[str, str]) -> list[str]:
    spec = manifest.spec.data
    own = [spec.target, spec.prediction, spec.score, *spec.sensitive_features]
    wanted = [c for c in own if c is not None] + needs.columns + list(spec.features or [])
    return [name for name in columns if name in set(wanted)]


def _check_labels(manifest: Manifest, result: QueryResult, path: Path, engine: Any) -> None:
    """The arrow path's checks of the target, the predictions and the scores, on the counts.

    ``engine``, when it can read a column in the data's order (DuckDB, no filter), names the
    first data row of a predicted class the target lacks, as the arrow path does.
    """
    import pyarrow as pa

    spec = manifest.spec.data
    target = TargetCheck(manifest)
    values = list(result.target.values)
    if spec.task == "regression":
        target.missing, target.infinite = result.target.missing, result.target.infinite
    elif values:
        target.add(pa.array(values))  # labels seen, more than two refused, positive seen
    if spec.task != "regression":
        target.missing = result.target.missing
    target.finish()
    if result.prediction.infinite:
        raise EngineError(
            f"{spec.prediction} has {result.prediction.infinite} infinite values", path=path
        )
    if result.prediction.missing:
        raise EngineError(
            f"{spec.prediction} has {result.prediction.missing} missing (NaN) values", path=path
        )
    if result.scores.missing:
        raise EngineError(
            f"{spec.score} has {result.scores.missing} missing (NaN) values", path=path
        )
    if result.scores.infinite:
        raise EngineError(
            f"{spec.score} has {result.scores.infinite} infinite values",
            path=path,
            field=spec.score,
        )
    if spec.task == "multiclass":
        known = len(target.classes.values)
        predicted = pa.array(list(result.prediction.values))
        target.classes.encode(predicted)
        if len(target.classes.values) > known and hasattr(engine, "in_order"):
            _first_rows(target.classes, known, engine.in_order(spec.prediction or ""))
        target.check_predicted_classes(spec.prediction or "", path, show=False)
    elif spec.task == "binary":
        target.check_predicted(set(result.prediction.values), spec.prediction or "", path)


def _first_rows(classes: ClassEncoder, known: int, chunks: Iterator[Any]) -> None:
    """Set the first data row of each class from ``known`` on, scanning chunks in data order."""
    import pyarrow.compute as pc

    wanted = dict(enumerate(classes.values))
    missing = {code for code in wanted if code >= known}
    offset = 0
    for chunk in chunks:
        for code in sorted(missing):
            found = pc.index(chunk, _scalar(wanted[code], chunk.type)).as_py()
            if found >= 0:
                classes.first_row[code] = offset + found + 1
                missing.discard(code)
        offset += len(chunk)
        if not missing:
            return


def _scalar(value: Any, kind: Any) -> Any:
    """``value`` as a pyarrow scalar of the column's type."""
    import pyarrow as pa

    return pa.scalar(value).cast(kind)


def _context(
    manifest: Manifest,
    result: QueryResult,
    sample: Any,
    header: list[str],
    path: Path,
    fmt: str,
) -> EvaluationContext:
    spec = manifest.spec.data
    whole = sample.num_rows == result.rows
    frame = to_pandas(sample)
    assert spec.prediction is not None
    y_true, y_pred, class_values = _labels(manifest, sample)
    scores = None
    if spec.score is not None and spec.task == "binary":
        scores = numeric_values(sample.column(spec.score).combine_chunks())[0]
    counts = result.counts
    if whole and scores is not None:
        counts = {
            grouping: _exact_auc(found, frame, y_true, y_pred, scores)
            for grouping, found in counts.items()
        }
    data = EvaluationData(
        frame=frame,
        y_true=y_true,
        path=path,
        format=fmt,
        total_rows=result.rows,
        sampled=not whole,
        header=tuple(header),
        class_values=class_values,
    )
    predictions = Predictions(
        y_pred=y_pred, scores=scores, source=f"column {spec.prediction}", model=None, features=None
    )
    return EvaluationContext(manifest=manifest, data=data, predictions=predictions, counts=counts)


def _labels(manifest: Manifest, sample: Any) -> tuple[Any, Any, tuple[Any, ...]]:
    """The sample's target and predictions as the task reads them, and its class labels."""
    spec = manifest.spec.data
    assert spec.prediction is not None
    target = sample.column(spec.target).combine_chunks()
    predicted = sample.column(spec.prediction).combine_chunks()
    if spec.task == "regression":
        return numeric_values(target)[0], numeric_values(predicted)[0], ()
    if spec.task == "multiclass":
        classes = ClassEncoder()
        truth, _ = classes.encode(target)
        guess, _ = classes.encode(predicted)
        return truth, guess, tuple(classes.values)
    return (
        binarise(target, spec.positive_label).positive,
        binarise(predicted, spec.positive_label).positive,
        (),
    )


def _exact_auc(
    counts: GroupCounts, frame: Any, y_true: Any, y_pred: Any, scores: Any
) -> GroupCounts:
    """``counts`` with the exact ROC AUC of every row (the sample holds them all)."""
    exact = count_groups(
        [frame[name] for name in counts.features], counts.features, y_true, y_pred, scores
    )
    if exact.groups != counts.groups or counts.scores is None or exact.scores is None:
        return counts
    stats = replace(counts.scores, auc=exact.scores.auc, overall_auc=exact.scores.overall_auc)
    return replace(counts, scores=stats)


def _check_groups(
    context: EvaluationContext, result: QueryResult, needs: Requirements, path: Path
) -> None:
    spec = context.manifest.spec.data
    ordered = list(spec.sensitive_features) + sorted(
        set(needs.columns) - set(spec.sensitive_features)
    )
    for column in ordered:
        if result.group_missing.get(column):
            raise missing_group_values(column, result.group_missing[column], path)
        counts = next(c for grouping, c in result.counts.items() if column in grouping)
        if len(counts.distinct(column)) < 2:
            raise single_group(column, path)
