"""A fitted estimator and a pandas DataFrame as the inputs of a check (``evaluate_model``).

Nothing here evaluates: the DataFrame is written once to a private Parquet file and the model is
used as it is, then the check runs exactly as a file-based one (:func:`governance.gate.
prepare_inputs`). The record cannot name files, so it names ``memory:`` sources and carries
digests that depend on the content only (docs/python-api.md):

- data: ``sha256`` of the Arrow IPC stream (no compression) of the DataFrame as one record batch
  per column chunk, without its index or pandas metadata: the same columns, in the same order,
  with the same types and values give the same digest;
- model: ``sha256`` of the canonical JSON of the model's skops schema, with every object id
  renumbered in the order met and every array file replaced by the ``sha256`` of its bytes
  (skops names files after memory addresses, so its archive differs from run to run).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from governance.errors import DataError, InputError, ManifestError, ModelError
from governance.gate import CheckOptions, PreparedCheck, prepare_inputs
from governance.manifest import Manifest, ManifestSpec

MEMORY_MANIFEST = "memory:evaluate_model"
MEMORY_DATA = "memory:DataFrame"
NOT_A_FRAME = "must be a pandas DataFrame, found {type}"
NOT_A_COLUMN = "{value!r} is not a column of the data (columns: {columns})"
NO_MODEL = "give a fitted model, or predictions= (the column of its predictions)"
NO_PREDICT = "{type} has no predict method"
NOT_FITTED = "{type} is not fitted: fit it before evaluating it"
NO_POSITIVE_LABEL = (
    "cannot tell the positive label of {target!r} (values: {values}): pass positive_label="
)
NOT_SERIALISABLE = "{type} cannot be serialised with skops to compute its digest: {reason}"
NOT_ARROW = "cannot convert the DataFrame to Arrow: {reason}"


def _columns_text(columns: Sequence[str]) -> str:
    shown = ", ".join(map(repr, columns[:8]))
    return shown + (f" and {len(columns) - 8} more" if len(columns) > 8 else "")


def _column(frame: Any, value: Any, name: str) -> str:
    columns = [str(c) for c in frame.columns]
    if not isinstance(value, str) or value not in columns:
        raise InputError(
            NOT_A_COLUMN.format(value=value, columns=_columns_text(columns)), field=name
        )
    return value


def check_model(model: Any) -> None:
    """Refuse an object without ``predict``, or a scikit-learn estimator that is not fitted."""
    if not hasattr(model, "predict"):
        raise ModelError(NO_PREDICT.format(type=type(model).__name__), field="model")
    try:
        from sklearn.base import BaseEstimator
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted
    except ModuleNotFoundError:  # not a scikit-learn model then
        return
    if isinstance(model, BaseEstimator):
        try:
            check_is_fitted(model)
        except NotFittedError:
            raise ModelError(NOT_FITTED.format(type=type(model).__name__), field="model") from None


def positive_label_of(frame: Any, target: str, given: Any) -> Any:
    """``given``, else ``1`` or ``True`` when the target holds it, else an InputError."""
    if given is not None:
        return given.item() if hasattr(given, "item") else given
    values = {v.item() if hasattr(v, "item") else v for v in frame[target].dropna().unique()}
    for candidate in (True, 1):
        if any(type(v) is type(candidate) and v == candidate for v in values):
            return candidate
    shown = ", ".join(sorted(map(repr, values))[:5])
    raise InputError(NO_POSITIVE_LABEL.format(target=target, values=shown), field="positive_label")


def arrow_table(frame: Any) -> Any:
    """The DataFrame as one Arrow table: no index, no pandas metadata, one chunk per column."""
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise DataError(NOT_ARROW.format(reason=str(exc).splitlines()[0]), field="data") from None
    return table.replace_schema_metadata(None).combine_chunks()


def data_digest(table: Any) -> str:
    """``sha256:`` of the Arrow IPC stream of ``table`` (see the module's docstring)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=None)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return "sha256:" + hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def model_digest(model: Any) -> str:
    """``sha256:`` of the model's skops schema made canonical (see the module's docstring)."""
    import json
    import zipfile

    from governance.canonical import canonical_json

    try:
        import skops.io as sio

        archive = zipfile.ZipFile(io.BytesIO(sio.dumps(model)))
    except Exception as exc:  # skops refuses what it cannot walk, with any error type
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(
            NOT_SERIALISABLE.format(type=type(model).__name__, reason=reason), field="model"
        ) from None
    files = {
        name: "sha256:" + hashlib.sha256(archive.read(name)).hexdigest()
        for name in archive.namelist()
        if name != "schema.json"
    }
    ids: dict[Any, int] = {}

    def canonical(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key in sorted(node):
                value = node[key]
                if key == "__id__":
                    value = ids.setdefault(value, len(ids))
                elif key == "file" and isinstance(value, str) and value in files:
                    value = files[value]
                else:
                    value = canonical(value)
                out[key] = value
            return out
        if isinstance(node, list):
            return [canonical(item) for item in node]
        return node

    schema = canonical(json.loads(archive.read("schema.json")))
    return "sha256:" + hashlib.sha256(canonical_json(schema).encode("utf-8")).hexdigest()


def _describe(model: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Rewrite the header's file names: the inputs were in memory."""

    def describe(header: dict[str, Any]) -> dict[str, Any]:
        artifacts = dict(header["artifacts"])
        artifacts["data"] = {**artifacts["data"], "path": MEMORY_DATA}
        if artifacts.get("model") is not None:
            artifacts["model"] = {**artifacts["model"], "path": f"memory:{type(model).__name__}"}
        manifest = {**header["manifest"], "path": MEMORY_MANIFEST}
        return {**header, "manifest": manifest, "artifacts": artifacts}

    return describe


def prepare_in_memory(
    options: CheckOptions,
    model: Any,
    data: Any,
    folder: Path,
    *,
    target: str,
    sensitive_features: Sequence[str],
    positive_label: Any,
    predictions: str | None,
    metadata: Mapping[str, Any],
    documentation: Mapping[str, Any] | None,
) -> PreparedCheck:
    """Check the in-memory inputs, write the data to ``folder``, and prepare the check.

    Raises
    ------
    InputError
        Naming the argument at fault: ``data`` not a DataFrame, ``target``, a
        ``sensitive_features`` entry or ``predictions`` not a column, ``model`` without
        ``predict`` or not fitted, a ``positive_label`` that cannot be told, ``name`` or
        ``version`` not valid.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    from governance.validation import validate_document
    from governance.yaml_source import LocatedDict

    if not isinstance(data, pd.DataFrame):
        raise DataError(NOT_A_FRAME.format(type=type(data).__name__), field="data")
    target = _column(data, target, "target")
    groups = [_column(data, c, "sensitive_features") for c in sensitive_features]
    if predictions is not None:
        _column(data, predictions, "predictions")
    elif model is None:
        raise ModelError(NO_MODEL, field="model")
    if predictions is None:
        check_model(model)
    label = positive_label_of(data, target, positive_label)
    document: dict[str, Any] = {
        "apiVersion": "governance/v1",
        "kind": "Model",
        "metadata": dict(metadata),
        "data": {
            "path": "data.parquet",
            "format": "parquet",
            "engine": "arrow",  # a DataFrame, not a user's file: its digest is of the table
            "target": target,
            "positive_label": label,
            "sensitive_features": groups,
            **({"prediction": predictions} if predictions is not None else {}),
        },
        "documentation": dict(documentation or {}),
    }
    if predictions is None:
        document["model"] = {"path": "model.skops", "format": "skops"}
    spec = validate_document(
        ManifestSpec, LocatedDict(document), path=Path("evaluate_model()"), error=ManifestError
    )
    table = arrow_table(data)
    digests = {"data": data_digest(table)}
    if predictions is None:
        digests["model"] = model_digest(model)
    pq.write_table(table, folder / "data.parquet")
    from governance.canonical import canonical_json

    manifest = Manifest(
        path=folder / "manifest.yaml",
        spec=spec,
        digest="sha256:" + hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest(),
        document=LocatedDict(document),
    )
    return prepare_inputs(
        options,
        manifest,
        model=None if predictions is not None else model,
        digests=digests,
        describe=_describe(model),
    )
