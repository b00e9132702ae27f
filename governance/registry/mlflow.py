"""Every call to MLflow: read a version, download its model file, write tags, move aliases.

``mlflow`` (the ``mlflow`` extra, mlflow-skinny) is imported lazily, inside these functions. The
registry and its artifacts are hostile input: the MLmodel file is read with ``yaml.safe_load``,
the model file's name must be a plain name inside the version's artifacts, downloads are
bounded in size, and nothing of MLflow's own loaders (which unpickle) is called. HTTP requests
to the tracking server are not retried and time out quickly, so an unreachable server is one
line, not minutes of retries.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from governance.errors import ConfigError, ModelError

_USERINFO = re.compile(r"//[^/@\s]+@")

MAX_MODEL_BYTES = 2 << 30
"""The largest model file downloaded from a registry (2 GiB)."""
MAX_MLMODEL_BYTES = 1 << 20
"""The largest MLmodel file read (1 MiB)."""
REQUEST_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}
"""MLflow client settings while governance talks to it (unless the user set them): no retries,
short timeouts, no progress bar on the terminal."""

NO_TRACKING = "{uri}: no MLflow tracking server is configured"
NO_TRACKING_HINT = "set MLFLOW_TRACKING_URI, or mlflow_tracking_uri in governance.yml"
NOT_FOUND = "{uri}: {what} is not in the MLflow registry at {tracking}"
UNREACHABLE = "{uri}: cannot read the MLflow registry at {tracking} ({reason})"
NO_SKLEARN = (
    "registered model {name} version {version} has no sklearn flavour (flavours: {flavours}): "
    "governance loads scikit-learn models only"
)
BAD_MLMODEL = "registered model {name} version {version}: its MLmodel file {reason}"
TOO_LARGE = (
    "registered model {name} version {version}: its model file is {size} bytes, larger than "
    "the {limit} bytes governance downloads"
)


@dataclass(frozen=True)
class Version:
    """A registered model version as the registry describes it."""

    name: str
    version: str
    alias: str | None
    source: str | None
    run_id: str | None
    tags: Mapping[str, str]


@contextmanager
def _client(tracking: str) -> Iterator[Any]:
    """An ``MlflowClient`` of ``tracking``, with short HTTP timeouts and no retries."""
    from governance.extras import require

    require("mlflow")
    from mlflow import MlflowClient

    saved = {key: os.environ.get(key) for key in REQUEST_ENV}
    for key, value in REQUEST_ENV.items():
        os.environ.setdefault(key, value)
    try:
        yield MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)


def tracking_uri(configured: str | None, uri: str) -> str:
    """The tracking server: the setting ``mlflow_tracking_uri``, else ``$MLFLOW_TRACKING_URI``."""
    found = configured or os.environ.get("MLFLOW_TRACKING_URI")
    if not found:
        raise ConfigError(NO_TRACKING.format(uri=uri), field="model.uri", hint=NO_TRACKING_HINT)
    return found


def portable_location(text: str) -> str:
    """``text`` (a URI or path) without credentials, query, or a local machine's folders.

    ``https://user:pw@host:5000/x?token=1`` -> ``https://host:5000/x``; a local path or
    ``sqlite:////home/me/mlflow.db`` -> its file name (``mlflow.db``, ``sqlite:mlflow.db``).
    """
    parts = urlsplit(text)
    if parts.scheme and parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
    if parts.scheme and len(parts.scheme) > 1 and parts.scheme not in ("file", "sqlite"):
        return f"{parts.scheme}:{parts.path}"  # models:/m-..., runs:/id/model
    path = parts.path if parts.scheme else text
    if parts.scheme or PurePosixPath(path).is_absolute() or "\\" in path or ":" in path:
        name = PurePosixPath(path.replace("\\", "/")).name
        return f"{parts.scheme}:{name}" if parts.scheme else name
    return path


def reason_of(exc: BaseException, tracking: str) -> str:
    """A short reason from an MLflow error, without the server's address or credentials."""
    text = str(getattr(exc, "message", None) or exc).splitlines()[0] if str(exc) else ""
    text = _USERINFO.sub("//", text.replace(tracking, portable_location(tracking)))
    return text[:200] or type(exc).__name__


def _not_found(exc: BaseException) -> bool:
    code = getattr(exc, "error_code", None)
    return code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND")


def _fail(exc: BaseException, uri: str, tracking: str, what: str) -> ModelError:
    where = portable_location(tracking)
    if _not_found(exc):
        return ModelError(NOT_FOUND.format(uri=uri, what=what, tracking=where), field="model.uri")
    reason = reason_of(exc, tracking)
    return ModelError(UNREACHABLE.format(uri=uri, tracking=where, reason=reason), field="model.uri")


def parse_uri(uri: str) -> tuple[str, str | None, str | None]:
    """``models:/NAME/VERSION`` -> ``(NAME, VERSION, None)``; ``models:/NAME@A`` -> alias ``A``."""
    body = uri.removeprefix("models:/")
    if "@" in body:
        name, _, alias = body.rpartition("@")
        return name, None, alias
    name, _, version = body.rpartition("/")
    return name, version, None


def get_version(uri: str, tracking: str) -> Version:
    """The registered version ``uri`` names, an alias resolved; a ModelError if there is none."""
    name, number, alias = parse_uri(uri)
    with _client(tracking) as client:
        try:
            found = (
                client.get_model_version_by_alias(name, alias)
                if alias is not None
                else client.get_model_version(name, number)
            )
        except Exception as exc:
            what = f"alias {alias!r} of model {name!r}" if alias else f"{name} version {number}"
            raise _fail(exc, uri, tracking, what) from None
    return Version(
        name=str(found.name),
        version=str(found.version),
        alias=alias,
        source=found.source or None,
        run_id=found.run_id or None,
        tags=dict(found.tags or {}),
    )


def run_facts(version: Version, uri: str, tracking: str) -> dict[str, Any]:
    """The run that logged ``version``: experiment, times, params, metrics, logged datasets."""
    if version.run_id is None:
        return {}
    with _client(tracking) as client:
        try:
            run = client.get_run(version.run_id)
            experiment = client.get_experiment(run.info.experiment_id)
        except Exception as exc:
            raise _fail(exc, uri, tracking, f"run {version.run_id}") from None
    datasets = []
    for item in run.inputs.dataset_inputs if run.inputs else []:
        dataset = item.dataset
        context = next((t.value for t in item.tags if t.key == "mlflow.data.context"), None)
        datasets.append(
            {
                "name": str(dataset.name),
                "digest": dataset.digest or None,
                "source": _dataset_source(dataset.source),
                "source_type": dataset.source_type or None,
                "context": context,
            }
        )
    return {
        "run_id": version.run_id,
        "experiment": None if experiment is None else str(experiment.name),
        "run_started_at": _utc(run.info.start_time),
        "run_finished_at": _utc(run.info.end_time),
        "params": {str(k): str(v) for k, v in run.data.params.items()},
        "metrics": {
            str(k): float(v) for k, v in run.data.metrics.items() if math.isfinite(float(v))
        },
        "datasets": [{k: v for k, v in item.items() if v is not None} for item in datasets],
    }


def _dataset_source(source: str | None) -> str | None:
    """The location in an MLflow dataset source (JSON such as ``{"uri": ...}``), portable."""
    import json

    if not source:
        return None
    try:
        parsed = json.loads(source)
    except ValueError:
        parsed = source
    if isinstance(parsed, dict):
        found = next(
            (parsed[k] for k in ("uri", "url", "path", "table_name") if parsed.get(k)), None
        )
        parsed = found
    return portable_location(str(parsed)) if isinstance(parsed, str) and parsed else None


def _utc(millis: int | None) -> str | None:
    if not millis:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat().replace("+00:00", "Z")


def download_model(version: Version, uri: str, tracking: str, folder: Path) -> tuple[Path, str]:
    """Download the version's MLmodel and sklearn model file into ``folder``.

    Returns
    -------
    tuple
        The model file and its ``serialization_format`` (``skops``, ``cloudpickle``, ``pickle``).
    """
    import mlflow.artifacts
    import yaml

    label = {"name": version.name, "version": version.version}
    with _client(tracking) as client:
        try:
            root = client.get_model_version_download_uri(version.name, version.version)
            listed = {
                item.path.rsplit("/", 1)[-1]: item
                for item in mlflow.artifacts.list_artifacts(
                    artifact_uri=root, tracking_uri=tracking
                )
            }
            mlmodel = _fetch(root, "MLmodel", listed, folder, MAX_MLMODEL_BYTES, label, tracking)
        except ModelError:
            raise
        except Exception as exc:
            raise _fail(
                exc, uri, tracking, f"the files of {version.name} version {version.version}"
            ) from None
        try:
            spec = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
        except (ValueError, yaml.YAMLError) as exc:
            raise ModelError(
                BAD_MLMODEL.format(**label, reason=f"is not YAML: {type(exc).__name__}"),
                field="model.uri",
            ) from None
        flavours = spec.get("flavors") if isinstance(spec, dict) else None
        if not isinstance(flavours, dict):
            raise ModelError(
                BAD_MLMODEL.format(**label, reason="names no flavors"), field="model.uri"
            )
        sklearn = flavours.get("sklearn")
        if not isinstance(sklearn, dict):
            names = ", ".join(sorted(map(str, flavours))) or "none"
            raise ModelError(NO_SKLEARN.format(**label, flavours=names), field="model.uri")
        name = sklearn.get("pickled_model")
        fmt = sklearn.get("serialization_format", "cloudpickle")
        if not _plain_name(name) or fmt not in ("skops", "cloudpickle", "pickle"):
            raise ModelError(
                BAD_MLMODEL.format(**label, reason="names no model file this can read"),
                field="model.uri",
            )
        try:
            model = _fetch(root, str(name), listed, folder, MAX_MODEL_BYTES, label, tracking)
        except ModelError:
            raise
        except Exception as exc:
            raise _fail(
                exc, uri, tracking, f"the model file of {version.name} version {version.version}"
            ) from None
    return model, str(fmt)


def _plain_name(name: Any) -> bool:
    return (
        isinstance(name, str)
        and bool(name)
        and "/" not in name
        and "\\" not in name
        and name not in (".", "..")
    )


def _fetch(
    root: str,
    name: str,
    listed: Mapping[str, Any],
    folder: Path,
    limit: int,
    label: dict[str, str],
    tracking: str,
) -> Path:
    """Download the artifact ``name`` of ``root`` into ``folder``, refusing one over ``limit``."""
    import mlflow.artifacts

    info = listed.get(name)
    if info is None or info.is_dir:
        raise ModelError(
            BAD_MLMODEL.format(**label, reason=f"or {name} is missing"), field="model.uri"
        )
    if info.file_size is not None and info.file_size > limit:
        raise ModelError(
            TOO_LARGE.format(**label, size=info.file_size, limit=limit), field="model.uri"
        )
    target = folder / name
    found = Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"{root.rstrip('/')}/{name}", dst_path=str(folder), tracking_uri=tracking
        )
    )
    if found.resolve() != target.resolve() or not target.is_file():
        raise ModelError(
            BAD_MLMODEL.format(**label, reason=f"or {name} is not a file"), field="model.uri"
        )
    size = target.stat().st_size
    if size > limit:
        raise ModelError(TOO_LARGE.format(**label, size=size, limit=limit), field="model.uri")
    return target


def write_tags(name: str, version: str, tags: Mapping[str, str | None], tracking: str) -> None:
    """Set ``tags`` on the version; a ``None`` value deletes a tag of an earlier evaluation."""
    with _client(tracking) as client:
        current = dict(client.get_model_version(name, version).tags or {})
        for key, value in tags.items():
            if value is not None:
                client.set_model_version_tag(name, version, key, value)
            elif key in current:
                client.delete_model_version_tag(name, version, key)


def set_alias(name: str, alias: str, version: str, tracking: str) -> None:
    """Point ``alias`` of the registered model ``name`` at ``version``."""
    with _client(tracking) as client:
        client.set_registered_model_alias(name, alias, version)


def alias_target(name: str, alias: str, tracking: str) -> str | None:
    """The version ``alias`` points at, or None when it is not set."""
    with _client(tracking) as client:
        try:
            return str(client.get_model_version_by_alias(name, alias).version)
        except Exception as exc:
            if _not_found(exc):
                return None
            raise
