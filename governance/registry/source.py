"""A registered MLflow model version as the model under review (``model.uri: models:/...``).

:func:`resolve_registry_model` reads the version (an alias resolved), downloads its sklearn
model file into a temporary folder (removed before it returns) and loads it with the loaders of
:mod:`governance.model_artifact`, under the trust rules of a model file: a skops file through
the audited type list, a cloudpickle or pickle file only when trusted. The domain layer is
given the loaded model, the digest of the file loaded, and the registry's facts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.errors import InputError, ModelError

if TYPE_CHECKING:
    from governance.checks.registry import CheckRegistry
    from governance.config import Settings
    from governance.gate import CheckOptions, PreparedCheck
    from governance.manifest import Manifest

PICKLED = (
    "registered model {name} version {version} is a {fmt} file: it runs code when loaded; set "
    "model.trusted: true in the manifest or pass --trust-model if you trust its origin"
)
PROMOTE_WITHOUT_URI = (
    "--promote moves an alias of a registered model: the manifest has no model.uri"
)
PROMOTE_WITHOUT_URI_HINT = "set model.uri: models:/NAME/VERSION (or @ALIAS) in the manifest"


@dataclass(frozen=True)
class RegistryModel:
    """A registered version, loaded: the model, the digest of its file, and the registry facts."""

    model: Any
    digest: str
    format: str
    facts: dict[str, Any]
    """The record's ``registry`` block (:class:`governance.record.model.RegistryFacts`)."""
    tracking: str
    """The tracking URI as configured (kept out of the record: it may hold credentials)."""

    @property
    def artifact_name(self) -> str:
        """What the record and lineage call the model: ``models:/NAME/VERSION``."""
        return f"models:/{self.facts['name']}/{self.facts['version']}"


def resolve_registry_model(uri: str, settings: Settings, *, trusted: bool) -> RegistryModel:
    """Load the registered version ``uri`` names, with the facts of the run that logged it.

    Parameters
    ----------
    uri
        ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``.
    settings
        Resolved settings: ``mlflow_tracking_uri`` (else ``$MLFLOW_TRACKING_URI``).
    trusted
        Whether the model's origin is trusted (``model.trusted`` or ``--trust-model``): then
        a cloudpickle or pickle file is loaded, and skops types outside the audited list.

    Returns
    -------
    RegistryModel
        The loaded model, the sha256 of the file loaded, and the registry facts.

    Raises
    ------
    ModelError
        Unknown model, version or alias, an unreachable server, no sklearn flavour, a pickled
        model not trusted, a file the loaders refuse: one line naming ``uri`` (exit 2).
    ConfigError
        No tracking server configured.
    """
    from governance.gate import file_digest
    from governance.model_artifact import load_model_file
    from governance.registry import mlflow as registry

    tracking = registry.tracking_uri(settings.mlflow_tracking_uri, uri)
    version = registry.get_version(uri, tracking)
    facts: dict[str, Any] = {
        "uri": uri,
        "tracking": registry.portable_location(tracking),
        "name": version.name,
        "version": version.version,
        **({"alias": version.alias} if version.alias else {}),
        **({"source": registry.portable_location(version.source)} if version.source else {}),
        **registry.run_facts(version, uri, tracking),
    }
    with tempfile.TemporaryDirectory(prefix="governance-registry-") as folder:
        path, fmt = registry.download_model(version, uri, tracking, Path(folder))
        if fmt != "skops" and not trusted:
            raise ModelError(
                PICKLED.format(name=version.name, version=version.version, fmt=fmt),
                field="model.uri",
            )
        digest = file_digest(path)
        try:
            model = load_model_file(path, "skops" if fmt == "skops" else "pickle", trusted=trusted)
        except ModelError as exc:
            message = exc.message.replace(str(path), path.name).replace(folder, "")
            raise ModelError(f"{uri}: {message}", field="model.uri", hint=exc.hint) from None
    return RegistryModel(model=model, digest=digest, format=fmt, facts=facts, tracking=tracking)


def declared_lineage(manifest: Manifest, resolved: RegistryModel) -> Manifest:
    """``manifest`` with the MLflow run as training run and its logged inputs as training data.

    Only what the manifest leaves undeclared is filled in.
    """
    from governance.lineage.registry_run import MLFLOW_NAMESPACE, mlflow_run_uuid
    from governance.manifest import DatasetRef

    lineage = manifest.spec.lineage
    update: dict[str, Any] = {}
    run_id = resolved.facts.get("run_id")
    if lineage.training_run is None and run_id:
        update["training_run"] = mlflow_run_uuid(str(run_id))
    datasets = [
        item for item in resolved.facts.get("datasets", []) if item.get("context") != "eval"
    ]
    if not lineage.training_datasets and datasets:
        update["training_datasets"] = [
            DatasetRef(namespace=MLFLOW_NAMESPACE, name=item.get("source") or item["name"])
            for item in datasets
        ]
    if not update:
        return manifest
    spec = manifest.spec.model_copy(update={"lineage": lineage.model_copy(update=update)})
    return replace(manifest, spec=spec)


def prepare_model_source(
    options: CheckOptions,
    registry: CheckRegistry | None = None,
    *,
    promote: str | None = None,
    record_training: Callable[[list[dict[str, Any]]], None] | None = None,
) -> PreparedCheck:
    """:func:`governance.gate.prepare_check`, with a manifest's ``model.uri`` resolved.

    A manifest without ``model.uri`` is prepared as a file-based check. With one, the model
    comes from the registry (:func:`resolve_registry_model`); the record's header gets the
    registry facts and names the model ``models:/NAME/VERSION`` with the digest of its file.
    ``record_training`` is given the MLflow run's lineage events once every input is valid.
    """
    from governance.gate import prepare_inputs
    from governance.manifest import load_manifest

    manifest = load_manifest(options.manifest)
    uri = manifest.model_uri
    if uri is None:
        if promote is not None:
            raise InputError(PROMOTE_WITHOUT_URI, field="promote", hint=PROMOTE_WITHOUT_URI_HINT)
        return prepare_inputs(options, manifest, registry)
    from governance.config import load_settings

    settings = options.settings or load_settings()
    spec = manifest.spec.model
    trusted = bool(spec is not None and spec.trusted) or options.trust_model
    resolved = resolve_registry_model(uri, settings, trusted=trusted)
    manifest = declared_lineage(manifest, resolved)
    prepared = prepare_inputs(options, manifest, registry, model=resolved.model)
    artifact = {
        "path": resolved.artifact_name,
        "format": resolved.format,
        "digest": resolved.digest,
    }

    def describe(header: dict[str, Any]) -> dict[str, Any]:
        artifacts = {**header["artifacts"], "model": artifact}
        return {**header, "artifacts": artifacts, "registry": resolved.facts}

    if record_training is not None:
        from governance._version import __version__
        from governance.lineage.registry_run import training_events

        record_training(training_events(resolved.facts, artifact, __version__))
    return replace(
        prepared, digests={**prepared.digests, "model": resolved.digest}, describe=describe
    )
