"""Load the model under review safely and obtain its predictions.

An untrusted skops file loads only if every type skops does not trust by default is one of the
exact names of :mod:`governance.model_types` (audited, or validated: the tree structures), and
skops is given only those names; a file holding any other type, and every joblib or pickle file,
is refused unless the manifest says ``trusted: true`` or the caller passes ``trust_model=True``,
because constructing arbitrary types (or unpickling) runs arbitrary code. The trees of an
untrusted model are then checked (:mod:`governance.model_validation`) before the model is
returned, so nothing follows a node index that points outside its tree.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.data import EvaluationData, is_numeric_type, matches_label
from governance.errors import DataError, ModelError
from governance.escapes import visible
from governance.manifest import Manifest
from governance.model_types import allowed_types, refused_types
from governance.model_validation import Refused, check_model, misplaced_types
from governance.redact import without_quoted

if TYPE_CHECKING:
    import numpy as np

TRUST_HINT = "set model.trusted: true in the manifest or pass --trust-model if you trust its origin"
SKOPS_UNREADABLE = "not a readable skops file: {reason}"
SKOPS_EMPTY = "the file is empty"
SKOPS_REFUSED = "the skops file holds {count} outside the audited list of model types: {names}"
SKOPS_CANNOT_LOAD = "cannot load skops model: {reason}"
REFUSED_SHOWN = 5  # refused type names shown in the message; the rest are counted
NAME_SHOWN = 120  # characters of one type name shown


@dataclass(frozen=True)
class Predictions:
    """Binarised predictions, and scores of the positive class when the model gives them."""

    y_pred: np.ndarray[Any, np.dtype[np.int8]]
    scores: np.ndarray[Any, np.dtype[np.float64]] | None
    source: str
    model: Any = None
    features: Any = None  # the DataFrame passed to the model, when there is a model


def load_skops(path: Path, *, trusted: bool) -> Any:
    """Load a skops file; unless ``trusted``, only with the allowed types of its own, checked.

    The file is read once: the types it holds are checked, the same bytes are loaded, and an
    untrusted model's trees are checked before it is returned
    (:func:`governance.model_validation.check_model`).

    Parameters
    ----------
    path
        The skops file.
    trusted
        Whether the user trusts the file's origin (manifest ``trusted: true`` or
        ``--trust-model``): then skops constructs whatever types the file holds.

    Returns
    -------
    Any
        The loaded object.

    Raises
    ------
    ModelError
        The file is not a skops file, holds types outside
        :data:`governance.model_types.ALLOWED_TYPES` (or builds a validated type another way)
        and is not trusted, fails to load, or is untrusted and fails the checks of its trees.
    """
    import skops.io as sio

    try:
        data = path.read_bytes()
        if not data:
            raise ValueError(SKOPS_EMPTY)
        untrusted = sio.get_untrusted_types(data=data)
        misplaced = [] if trusted else misplaced_types(data)
    except Exception as exc:
        raise ModelError(SKOPS_UNREADABLE.format(reason=exc), path=path) from None
    refused = sorted(refused_types(untrusted) + misplaced)
    if refused and not trusted:
        raise ModelError(_refusal(refused), path=path, hint=TRUST_HINT)
    try:
        model = sio.loads(data, trusted=untrusted if trusted else allowed_types(untrusted))
    except Exception as exc:
        raise ModelError(SKOPS_CANNOT_LOAD.format(reason=exc), path=path) from None
    if not trusted:
        try:
            check_model(model)
        except Refused as exc:
            hint = TRUST_HINT if exc.trust_helps else None
            raise ModelError(str(exc), path=path, hint=hint) from None
    return model


def _refusal(refused: list[str]) -> str:
    shown = [visible(_shorten(name)) for name in refused[:REFUSED_SHOWN]]
    if len(refused) > REFUSED_SHOWN:
        shown.append(f"and {len(refused) - REFUSED_SHOWN} more")
    count = "1 type" if len(refused) == 1 else f"{len(refused)} types"
    return SKOPS_REFUSED.format(count=count, names=", ".join(shown))


def _shorten(name: str) -> str:
    return name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 3] + "..."


def _load_pickled(path: Path, fmt: str, trusted: bool) -> Any:
    if not trusted:
        raise ModelError(
            f"refusing to load a {fmt} model: unpickling runs arbitrary code",
            path=path,
            hint=TRUST_HINT,
        )
    try:
        if fmt == "joblib":
            import joblib

            return joblib.load(path)
        import pickle

        with path.open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - explicitly trusted by the user
    except Exception as exc:
        raise ModelError(f"cannot load {fmt} model: {exc}", path=path) from None


def load_model_file(path: Path, fmt: str, *, trusted: bool) -> Any:
    """Load a model file of ``fmt`` (skops, joblib or pickle) under the trust rules above.

    Raises
    ------
    ModelError
        As :func:`load_skops`; a joblib or pickle file not ``trusted``; no ``predict``.
    """
    model = load_skops(path, trusted=trusted) if fmt == "skops" else None
    if model is None:
        model = _load_pickled(path, fmt, trusted)
    if not hasattr(model, "predict"):
        raise ModelError(f"{type(model).__name__} has no predict method", path=path)
    return model


def load_model(manifest: Manifest, *, trust_model: bool = False) -> Any:
    """Load the manifest's model artifact."""
    spec = manifest.spec.model
    path = manifest.model_path
    if spec is None or path is None:
        raise ModelError("the manifest names no model", path=manifest.path)
    if not path.is_file():
        raise manifest.error(f"model artifact not found: {path}", "model", "path")
    return load_model_file(path, spec.format, trusted=spec.trusted or trust_model)


def feature_columns(model: Any, manifest: Manifest, columns: list[str], path: Path) -> list[str]:
    """The columns the model predicts from; a DataError if the data lacks some.

    A model fitted on named columns (``feature_names_in_``) takes those; ``data.features`` may
    list them too, in any order, but not others. ``data.score`` is for a predictions column: a
    model's scores come from its ``predict_proba``, so giving both is a ManifestError.
    """
    spec = manifest.spec.data
    if spec.score is not None:
        raise manifest.error(
            "a scores column is for evaluating a predictions column; with a model the scores "
            "come from its predict_proba (remove data.score, or evaluate data.prediction)",
            "data",
            "score",
        )
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        wanted = [str(name) for name in names]
        if spec.features is not None and set(spec.features) != set(wanted):
            unknown = [name for name in spec.features if name not in wanted]
            left_out = [name for name in wanted if name not in spec.features]
            problems = []
            if unknown:
                problems.append(f"the model was not fitted on {', '.join(unknown[:8])}")
            if left_out:
                problems.append(f"leaves out {', '.join(left_out[:8])}, which the model needs")
            raise manifest.error(
                "does not match the columns the model was fitted on: " + "; ".join(problems),
                "data",
                "features",
            )
    elif spec.features is not None:
        wanted = list(spec.features)
    else:
        excluded = {spec.target, spec.prediction, spec.score}
        wanted = [str(c) for c in columns if c not in excluded]
    missing = [name for name in wanted if name not in columns]
    if missing:
        raise DataError(
            f"the model needs columns missing from the data: {', '.join(missing[:8])}",
            path=path,
        )
    return wanted


def _feature_frame(model: Any, manifest: Manifest, data: EvaluationData) -> Any:
    frame = data.frame
    wanted = feature_columns(model, manifest, [str(c) for c in frame.columns], data.path)
    return frame[wanted]


def positive_index(model: Any, positive_label: Any) -> int | None:
    """Column of ``predict_proba`` for the positive label, if the model has classes."""
    classes = getattr(model, "classes_", None)
    if classes is None:
        return None
    for index, value in enumerate(classes):
        if value == positive_label or str(value) == str(positive_label):
            return index
    return None


def predict(manifest: Manifest, data: EvaluationData, *, trust_model: bool = False) -> Predictions:
    """Predictions for every row: from the model, or from the manifest's prediction column."""
    import numpy as np
    import pandas as pd

    spec = manifest.spec.data
    if spec.prediction is not None:
        column = data.frame[spec.prediction]
        _check_complete(column, spec.prediction, data.path)
        y_pred = np.asarray(matches_label(column, spec.positive_label), dtype=np.int8)
        scores = None
        if spec.score is not None:
            score_column = pd.to_numeric(data.frame[spec.score], errors="coerce")
            _check_complete(score_column, spec.score, data.path)
            scores = score_column.to_numpy(dtype=np.float64)
        return Predictions(y_pred=y_pred, scores=scores, source=f"column {spec.prediction}")

    model = load_model(manifest, trust_model=trust_model)
    features = _feature_frame(model, manifest, data)
    path = manifest.model_path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = model.predict(features)
            proba = model.predict_proba(features) if hasattr(model, "predict_proba") else None
    except Exception as exc:
        # the library's message may quote a value of the data (``could not convert string
        # to float: '...'``): what it quotes is left out
        raise ModelError(
            f"the model failed to predict: {without_quoted(str(exc))}", path=path
        ) from None
    raw_series = pd.Series(np.asarray(raw).ravel())
    _check_complete(raw_series, "model predictions", path)
    y_pred = np.asarray(matches_label(raw_series, spec.positive_label), dtype=np.int8)
    scores = None
    positive = positive_index(model, spec.positive_label)
    if proba is not None and positive is not None:
        scores = positive_scores(proba, positive, path)
    return Predictions(
        y_pred=y_pred,
        scores=scores,
        source=type(model).__name__,
        model=model,
        features=features,
    )


def positive_scores(proba: Any, positive: int, path: Path | None) -> Any:
    """The positive class's column of ``predict_proba``; NaN or infinity is a ModelError."""
    import numpy as np

    scores = np.asarray(proba, dtype=np.float64)[:, positive]
    if np.isnan(scores).any():
        raise ModelError("the model's predicted probabilities contain NaN", path=path)
    if np.isinf(scores).any():
        raise ModelError("the model's predicted probabilities contain infinite values", path=path)
    return scores


def _check_complete(values: Any, what: str, path: Path | None) -> None:
    missing = int(values.isna().sum())
    if missing:
        raise DataError(f"{what} has {missing} missing (NaN) values", path=path)


class ChunkPredictor:
    """Predictions chunk by chunk, from the model or from the manifest's columns.

    Problems only the whole data shows (missing predictions, labels the target lacks) are
    collected and raised by :meth:`finish`, with their counts.
    """

    def __init__(
        self,
        manifest: Manifest,
        columns: list[str],
        *,
        trust_model: bool = False,
        model: Any = None,
    ) -> None:
        self.manifest = manifest
        spec = manifest.spec.data
        self.model: Any = None
        self.inputs: list[str] = []
        self.positive: int | None = None
        if spec.prediction is None:
            self.model = (
                model if model is not None else load_model(manifest, trust_model=trust_model)
            )
            self.inputs = feature_columns(self.model, manifest, columns, manifest.data_path)
            if spec.task == "binary":
                self.positive = positive_index(self.model, spec.positive_label)
        self.classes: Any = None
        """A multiclass task's class encoder, shared with the target (set by the reader)."""
        self.rows = 0
        self.missing = 0
        self.infinite = 0
        self.score_missing = 0
        self.score_infinite = 0
        self.labels: set[Any] = set()

    @property
    def source(self) -> str:
        """The model's class name, or ``column <name>``."""
        if self.model is None:
            return f"column {self.manifest.spec.data.prediction}"
        return type(self.model).__name__

    @property
    def has_scores(self) -> bool:
        """Whether predictions come with scores of the positive class."""
        if self.manifest.spec.data.task != "binary":
            return False
        if self.model is None:
            return self.manifest.spec.data.score is not None
        return hasattr(self.model, "predict_proba") and self.positive is not None

    def predict(self, batch: Any) -> tuple[Any, Any]:
        """``(y_pred, scores or None)`` for one pyarrow record batch."""
        import numpy as np
        import pandas as pd

        from governance.data import binarise, numeric_values, plain, plain_batch, to_pandas

        spec = self.manifest.spec.data
        if spec.task != "binary":
            return self._predict_values(batch), None
        if self.model is None:
            chunk = binarise(batch.column(spec.prediction), spec.positive_label)
            self.missing += chunk.missing
            self.labels.update(chunk.labels)
            scores = None
            if spec.score is not None:
                scores, missing, infinite = numeric_values(batch.column(spec.score))
                self.score_missing += missing
                self.score_infinite += infinite
            return chunk.positive, scores
        features = to_pandas(plain_batch(batch.select(self.inputs), batch.schema))
        path = self.manifest.model_path
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raw = np.asarray(self.model.predict(features)).ravel()
                proba = self.model.predict_proba(features) if self.has_scores else None
        except Exception as exc:
            # the library's message may quote a value of the data (``could not convert string
            # to float: '...'``): what it quotes is left out
            raise ModelError(
                f"the model failed to predict: {without_quoted(str(exc))}", path=path
            ) from None
        series = pd.Series(raw)
        self.missing += int(series.isna().sum())
        self.labels.update(plain(v) for v in pd.unique(series.dropna()))
        y_pred = np.asarray(matches_label(series, spec.positive_label), dtype=np.int8)
        scores = None
        if proba is not None and self.positive is not None:
            scores = positive_scores(proba, self.positive, path)
        return y_pred, scores

    def _predict_values(self, batch: Any) -> Any:
        """A multiclass task's predicted class ids, or a regression task's predicted numbers."""
        import numpy as np
        import pyarrow as pa

        from governance.data import numeric_values, plain_batch, to_pandas

        spec = self.manifest.spec.data
        if self.model is None:
            column = batch.column(spec.prediction)
        else:
            features = to_pandas(plain_batch(batch.select(self.inputs), batch.schema))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    column = pa.array(np.asarray(self.model.predict(features)).ravel())
            except Exception as exc:
                raise ModelError(
                    f"the model failed to predict: {without_quoted(str(exc))}",
                    path=self.manifest.model_path,
                ) from None
        offset = self.rows
        self.rows += len(column)
        if spec.task == "multiclass":
            codes, missing = self.classes.encode(column, offset)
            self.missing += missing
            return codes
        if not is_numeric_type(column.type) and len(column) > column.null_count:
            what = spec.prediction if self.model is None else "model predictions"
            raise DataError(
                f"{what} is {column.type}, not numbers: a regression model predicts numbers",
                path=self.manifest.data_path if self.model is None else self.manifest.model_path,
            )
        values, missing, infinite = numeric_values(column)
        self.missing += missing
        self.infinite += infinite
        return values

    def finish(self, data_path: Path) -> None:
        """Errors only the whole data shows."""
        spec = self.manifest.spec.data
        if self.infinite:
            what = spec.prediction if self.model is None else "model predictions"
            raise DataError(
                f"{what} has {self.infinite} infinite values",
                path=data_path if self.model is None else self.manifest.model_path,
            )
        if self.model is not None:
            if self.missing:
                raise DataError(
                    f"model predictions has {self.missing} missing (NaN) values",
                    path=self.manifest.model_path,
                )
            return
        if self.missing:
            raise DataError(
                f"{spec.prediction} has {self.missing} missing (NaN) values", path=data_path
            )
        if self.score_missing:
            raise DataError(
                f"{spec.score} has {self.score_missing} missing (NaN) values", path=data_path
            )
        if self.score_infinite:
            raise DataError(
                f"{spec.score} has {self.score_infinite} infinite values",
                path=data_path,
                field=spec.score,
            )
