"""One pass over the evaluation data: read chunks, predict, count groups, keep rows or a sample.

The data is read chunk by chunk (:class:`governance.data.TableSource`); the model predicts each
chunk. While the rows read stay within :class:`StreamLimits` (1,000,000 rows and 256 MiB by
default) every row is kept, and the evaluation context holds the whole table as before. Beyond
that, the rows kept so far and every later chunk go into per-group counters for each grouping the
policies use (:class:`~governance.evaluators.counts.CountsAccumulator`), and only a seeded uniform
sample of :data:`SAMPLE_ROWS` rows (with their predictions) is kept for the checks that need rows
(explainability): memory no longer grows with the rows.

The sample is a bottom-k sample: every row draws a uniform key from a generator seeded with
``StreamLimits.seed``, and the rows with the smallest keys are kept, in file order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from governance.data import (
    EvaluationData,
    TableSource,
    TargetCheck,
    check_group_columns,
    check_manifest_columns,
    missing_group_values,
    plain_batch,
    single_group,
    to_pandas,
)
from governance.errors import DataError
from governance.evaluators.context import EvaluationContext
from governance.evaluators.counts import DEFAULT_ECE_BINS, CountsAccumulator, GroupCounts
from governance.manifest import Manifest
from governance.model_artifact import ChunkPredictor, Predictions

MAX_ROWS_IN_MEMORY = 1_000_000
MAX_BYTES_IN_MEMORY = 256 << 20
SAMPLE_ROWS = 100_000


@dataclass(frozen=True)
class StreamLimits:
    """When to stop keeping every row, and how large a sample to keep then."""

    max_rows: int = MAX_ROWS_IN_MEMORY
    max_bytes: int = MAX_BYTES_IN_MEMORY
    sample_rows: int = SAMPLE_ROWS
    seed: int = 0


@dataclass(frozen=True)
class Requirements:
    """What the policies will ask of the data: groupings to count, calibration bin counts."""

    groupings: tuple[tuple[str, ...], ...]
    ece_bins: tuple[int, ...] = (DEFAULT_ECE_BINS,)

    @property
    def columns(self) -> list[str]:
        """Every column a grouping uses, in first-use order."""
        seen: dict[str, None] = {}
        for grouping in self.groupings:
            seen.update(dict.fromkeys(grouping))
        return list(seen)


def requirements(manifest: Manifest, rule_params: Iterable[Any]) -> Requirements:
    """Groupings and calibration bins of rules' params (read by attribute, plugins included).

    Each manifest sensitive feature alone is always a grouping.
    """
    sensitive = tuple(manifest.spec.data.sensitive_features)
    groupings: dict[tuple[str, ...], None] = {(name,): None for name in sensitive}
    bins = {DEFAULT_ECE_BINS}
    for params in rule_params:
        requested = getattr(params, "sensitive_features", None)
        if requested:
            groupings[tuple(requested)] = None
        n_bins = getattr(params, "n_bins", None)
        if isinstance(n_bins, int):
            bins.add(n_bins)
    return Requirements(tuple(groupings), tuple(sorted(bins)))


@dataclass
class _Chunk:
    batch: Any
    y_true: NDArray[np.int8]
    y_pred: NDArray[np.int8]
    scores: NDArray[np.float64] | None


def _missing(array: Any) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc

    count = int(array.null_count)
    value_type = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
    if pa.types.is_floating(value_type):
        values = array.dictionary_decode() if pa.types.is_dictionary(array.type) else array
        count += int(pc.sum(pc.is_nan(values)).as_py() or 0)
    return count


@dataclass
class RowSample:
    """A seeded uniform sample of at most ``capacity`` rows (bottom-k of uniform keys)."""

    capacity: int
    seed: int
    parts: list[tuple[Any, NDArray[np.float64], NDArray[np.int64], _Chunk]] = field(
        default_factory=list
    )
    kept: int = 0
    seen: int = 0
    threshold: float = np.inf

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def add(self, chunk: _Chunk, schema: Any) -> None:
        """Offer every row of ``chunk``."""
        rows = chunk.batch.num_rows
        keys = self.rng.random(rows)
        taken = np.flatnonzero(keys < self.threshold)
        positions = self.seen + taken
        self.seen += rows
        if not taken.size:
            return
        import pyarrow as pa

        rows_taken = pa.Table.from_batches([plain_batch(chunk.batch.take(taken), schema)])
        self.parts.append((rows_taken, keys[taken], positions, _take(chunk, taken)))
        self.kept += taken.size
        if self.kept >= 2 * self.capacity:
            self._compact()

    def _compact(self) -> None:
        import pyarrow as pa

        if not self.parts:
            return
        table = pa.concat_tables([part[0] for part in self.parts])
        keys = np.concatenate([part[1] for part in self.parts])
        positions = np.concatenate([part[2] for part in self.parts])
        chunk = _concat([part[3] for part in self.parts])
        if len(keys) > self.capacity:
            keep = np.sort(np.argpartition(keys, self.capacity - 1)[: self.capacity])
            self.threshold = float(keys[keep].max())
        else:
            keep = np.arange(len(keys))
        order = keep[np.argsort(positions[keep], kind="stable")]
        merged = table.take(order).combine_chunks()
        self.parts = [(merged, keys[order], positions[order], _take(chunk, order))]
        self.kept = len(order)

    def result(self) -> tuple[Any, _Chunk]:
        """The sampled rows (a pyarrow table) and their labels, predictions and scores."""
        self._compact()
        return self.parts[0][0], self.parts[0][3]


def _take(chunk: _Chunk, rows: NDArray[Any]) -> _Chunk:
    scores = None if chunk.scores is None else chunk.scores[rows]
    return _Chunk(None, chunk.y_true[rows], chunk.y_pred[rows], scores)


def _concat(chunks: Sequence[_Chunk]) -> _Chunk:
    scores = None
    if chunks and chunks[0].scores is not None:
        scores = np.concatenate([c.scores for c in chunks if c.scores is not None])
    return _Chunk(
        None,
        np.concatenate([c.y_true for c in chunks]),
        np.concatenate([c.y_pred for c in chunks]),
        scores,
    )


class _Counters:
    """Counts of every required grouping, and a row sample."""

    def __init__(
        self, needs: Requirements, limits: StreamLimits, schema: Any, target: TargetCheck
    ) -> None:
        self.target = target
        self.accumulators = {
            grouping: CountsAccumulator(grouping, ece_bins=needs.ece_bins, task=target.task)
            for grouping in needs.groupings
        }
        self.sample = RowSample(limits.sample_rows, limits.seed)
        self.schema = schema

    def add(self, chunk: _Chunk) -> None:
        for grouping, accumulator in self.accumulators.items():
            columns = [chunk.batch.column(name) for name in grouping]
            accumulator.add(columns, chunk.y_true, chunk.y_pred, chunk.scores)
        self.sample.add(chunk, self.schema)

    def counts(self) -> dict[tuple[str, ...], GroupCounts]:
        classes = self.target.classes.values
        return {
            grouping: acc.result(class_values=classes)
            for grouping, acc in self.accumulators.items()
        }


def load_inputs(
    manifest: Manifest,
    source: TableSource,
    needs: Requirements,
    *,
    trust_model: bool = False,
    limits: StreamLimits | None = None,
    model: Any = None,
) -> EvaluationContext:
    """Read, predict and validate in one pass; the evaluation context of the data.

    Parameters
    ----------
    manifest
        The model under review.
    source
        Its evaluation data, opened.
    needs
        The groupings to count when the data is streamed (see :func:`requirements`).
    trust_model
        Allow unpickling the model.
    limits
        When to stream; :class:`StreamLimits` defaults.
    model
        An estimator already in memory, used instead of loading the manifest's artifact.
    """
    limits = limits or StreamLimits()
    spec = manifest.spec.data
    check_manifest_columns(manifest, source.columns)
    predictor = ChunkPredictor(manifest, source.columns, trust_model=trust_model, model=model)
    target = TargetCheck(manifest)
    predictor.classes = target.classes
    group_columns = needs.columns
    source = _needed(manifest, source, needs, predictor)
    missing = dict.fromkeys(group_columns, 0)
    buffer: list[_Chunk] = []
    buffered_bytes = 0
    counters: _Counters | None = None
    total = 0
    for batch in source.batches(dictionary_columns=tuple(group_columns)):
        if batch.num_rows == 0:
            continue
        y_true = target.add(batch.column(spec.target))
        y_pred, scores = predictor.predict(batch)
        for name in group_columns:
            missing[name] += _missing(batch.column(name))
        chunk = _Chunk(batch, y_true, y_pred, scores)
        total += batch.num_rows
        if counters is not None:
            counters.add(chunk)
            continue
        buffer.append(chunk)
        buffered_bytes += batch.nbytes
        if total > limits.max_rows or buffered_bytes > limits.max_bytes:
            counters = _Counters(needs, limits, source.schema, target)
            for kept in buffer:
                counters.add(kept)
            buffer = []
    if total == 0:
        raise DataError("evaluation data has no rows", path=source.path)
    target.finish()
    ordered = list(spec.sensitive_features) + sorted(
        set(group_columns) - set(spec.sensitive_features)
    )
    if counters is None:
        context = _whole(manifest, source, buffer, predictor, tuple(target.classes.values))
        check_group_columns(context.data, ordered)
    else:
        context = _streamed(manifest, source, counters, predictor, total)
        _check_streamed_groups(context, ordered, missing)
    predictor.finish(source.path)
    what = spec.prediction or "model predictions"
    where = source.path if spec.prediction else manifest.model_path
    if spec.task == "multiclass":
        target.check_predicted_classes(what, where, show=predictor.model is not None)
    elif spec.task == "binary":
        target.check_predicted(predictor.labels, what, where, show=predictor.model is not None)
    return context


def _needed(
    manifest: Manifest, source: TableSource, needs: Requirements, predictor: ChunkPredictor
) -> TableSource:
    """``source`` reading only the columns the checks use, group values as text.

    The columns used are the manifest's, the rules' groups and the model's inputs. An error may
    name a column the manifest, a rule or the model names; the model's inputs are named by it
    only when it was fitted on named columns (or the manifest lists them).
    """
    spec = manifest.spec.data
    own = [spec.target, spec.prediction, spec.score, *spec.sensitive_features]
    named = [name for name in own if name is not None] + needs.columns + list(spec.features or [])
    if (
        predictor.model is not None
        and getattr(predictor.model, "feature_names_in_", None) is not None
    ):
        named += predictor.inputs
    return source.select([*named, *predictor.inputs], text=needs.columns, named=named)


def _whole(
    manifest: Manifest,
    source: TableSource,
    chunks: list[_Chunk],
    predictor: ChunkPredictor,
    class_values: tuple[Any, ...],
) -> EvaluationContext:
    import pyarrow as pa

    table = pa.Table.from_batches([plain_batch(c.batch, source.schema) for c in chunks])
    frame = to_pandas(table)
    merged = _concat(chunks)
    data = EvaluationData(
        frame=frame,
        y_true=merged.y_true,
        path=source.path,
        format=source.format,
        header=tuple(source.columns),
        class_values=class_values,
    )
    predictions = Predictions(
        y_pred=merged.y_pred,
        scores=merged.scores,
        source=predictor.source,
        model=predictor.model,
        features=frame[predictor.inputs] if predictor.model is not None else None,
    )
    return EvaluationContext(manifest=manifest, data=data, predictions=predictions)


def _streamed(
    manifest: Manifest,
    source: TableSource,
    counters: _Counters,
    predictor: ChunkPredictor,
    total: int,
) -> EvaluationContext:
    table, chunk = counters.sample.result()
    frame = to_pandas(table)
    data = EvaluationData(
        frame=frame,
        y_true=chunk.y_true,
        path=source.path,
        format=source.format,
        total_rows=total,
        sampled=True,
        header=tuple(source.columns),
        class_values=tuple(counters.target.classes.values),
    )
    predictions = Predictions(
        y_pred=chunk.y_pred,
        scores=chunk.scores,
        source=predictor.source,
        model=predictor.model,
        features=frame[predictor.inputs] if predictor.model is not None else None,
    )
    return EvaluationContext(
        manifest=manifest, data=data, predictions=predictions, counts=counters.counts()
    )


def _check_streamed_groups(
    context: EvaluationContext, columns: list[str], missing: dict[str, int]
) -> None:
    for column in columns:
        if missing.get(column):
            raise missing_group_values(column, missing[column], context.data.path)
        counts = next(c for grouping, c in context.counts.items() if column in grouping)
        if len(counts.distinct(column)) < 2:
            raise single_group(column, context.data.path)
