"""The model under review: a ``kind: Model`` manifest.

Paths in a manifest are relative to the manifest file and must stay inside the folders it may
name (:mod:`governance.paths`). Evidence names those files relative to the project root
(:meth:`Manifest.name_of`). See ``docs/manifest.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from governance.errors import ManifestError
from governance.paths import OUTSIDE, confined, portable_name, project_root
from governance.uris import is_uri, scheme_of, uri_problem
from governance.validation import DocumentModel, SemVer, dotted, validate_document
from governance.yaml_source import LocatedDict, load_yaml_text, position_of, read_text

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=200)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
RiskTier = Literal["minimal", "limited", "high", "unacceptable"]
ModelFormat = Literal["skops", "joblib", "pickle"]
DataFormat = Literal["csv", "parquet", "delta", "iceberg", "orc", "json"]
EngineName = Literal["arrow", "duckdb", "spark"]
TableName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")
]
FILE_FORMATS = ("csv", "parquet")
Label = str | int | float | bool
URI_ENGINE = "a URI is read by the duckdb engine through pyarrow's filesystems, not {engine}"
Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")


class _Strict(DocumentModel):
    """Strict (see DocumentModel), unknown keys refused, frozen."""


class Metadata(_Strict):
    """Who and what the model is."""

    name: Name
    version: SemVer
    owner: NonEmpty
    risk_tier: RiskTier
    intended_use: NonEmpty
    description: str | None = None


REGISTRY_URI = (
    r"^models:/[A-Za-z0-9][A-Za-z0-9._ -]{0,255}(/[1-9][0-9]{0,17}|@[A-Za-z0-9_-]{1,255})$"
)
"""``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``: a version of an MLflow registered model."""
RegistryUri = Annotated[str, StringConstraints(pattern=REGISTRY_URI)]


class ModelSpec(_Strict):
    """The model artifact to load and query: a file (``path``) or a registered version (``uri``).

    A registered version's format comes from its MLmodel file, so ``format`` goes with ``path``.
    """

    path: NonEmpty | None = None
    uri: RegistryUri | None = None
    format: ModelFormat = "skops"
    trusted: bool = False

    @model_validator(mode="after")
    def _path_or_uri(self) -> ModelSpec:
        if (self.path is None) == (self.uri is None):
            raise ValueError("give exactly one of path (a model file) or uri (models:/NAME/...)")
        if self.uri is not None and "format" in self.model_fields_set:
            raise ValueError("format goes with path: a registered model's comes from its MLmodel")
        return self


class DataSpec(_Strict):
    """The evaluation data and how to read it (docs/manifest.md, docs/engines.md)."""

    path: NonEmpty | None = None
    table: TableName | None = None
    engine: EngineName | None = None
    where: NonEmpty | None = None
    format: DataFormat | None = None
    target: NonEmpty
    task: Task = "binary"
    positive_label: Label | None = None
    prediction: NonEmpty | None = None
    score: NonEmpty | None = None
    features: list[NonEmpty] | None = None
    sensitive_features: Annotated[list[NonEmpty], Field(min_length=1)]

    @field_validator("sensitive_features")
    @classmethod
    def _distinct(cls, columns: list[str]) -> list[str]:
        twice = sorted({c for c in columns if columns.count(c) > 1})
        if twice:
            raise ValueError(f"lists {', '.join(map(repr, twice))} more than once")
        return columns

    @model_validator(mode="after")
    def _distinct_columns(self) -> DataSpec:
        special = [c for c in (self.prediction, self.score) if c is not None]
        if self.target in special:
            raise ValueError(f"target {self.target!r} is also the prediction or score column")
        if self.task == "binary" and self.positive_label is None:
            raise ValueError(
                "positive_label is required for a binary task (data.task: multiclass or "
                "regression has none)"
            )
        if self.task != "binary" and self.positive_label is not None:
            raise ValueError(f"positive_label goes with data.task binary, not {self.task}")
        engine = self.engine or ("arrow" if self.prediction is None else "duckdb")
        if self.table is not None and engine != "spark":
            raise ValueError("table is read by the spark engine: set engine: spark")
        if (self.path is None) == (self.table is None):
            raise ValueError("give either path (data files) or table (a spark table)")
        if self.where is not None and engine == "arrow":
            raise ValueError(
                "where is applied by the duckdb and spark engines, not arrow (the engine of a "
                "manifest whose model runs on each row)"
            )
        if engine != "spark" and self.format not in (None, *FILE_FORMATS):
            raise ValueError(f"format {self.format} is read by the spark engine only")
        return self


class DatasetRef(_Strict):
    """An OpenLineage dataset identifier."""

    namespace: NonEmpty
    name: NonEmpty


class CodeRef(_Strict):
    """Where the training code lives."""

    repository: str | None = None
    commit: str | None = None
    path: str | None = None


class LineageSpec(_Strict):
    """Where the model came from."""

    training_datasets: list[DatasetRef] = Field(default_factory=list)
    training_run: str | None = None
    code: CodeRef | None = None


Duration = Annotated[str, StringConstraints(pattern=r"^\s*[1-9][0-9]*\s*[smhdw]\s*$")]


class MonitoringSpec(_Strict):
    """How ``governance monitor`` reads the model's production log (docs/monitoring.md).

    Columns of the log: ``time_column``; ``outcome``, ``prediction`` and ``score`` default to
    ``data.target``, ``data.prediction`` and ``data.score``. ``label_delay``: how long after a
    decision its outcome arrives (``30d``); ``min_outcome_rows``: fewer rows with their outcome in
    a window make the rules that read outcomes ``insufficient``.
    """

    time_column: NonEmpty | None = None
    window: Duration | None = None
    label_delay: Duration | None = None
    outcome: NonEmpty | None = None
    prediction: NonEmpty | None = None
    score: NonEmpty | None = None
    min_outcome_rows: Annotated[int, Field(ge=1)] = 30


DocumentName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", max_length=100)]


class ManifestSpec(_Strict):
    """The whole manifest document."""

    model_config = ConfigDict(populate_by_name=True)

    api_version: Literal["governance/v1"] = Field(alias="apiVersion")
    kind: Literal["Model"]
    metadata: Metadata
    model: ModelSpec | None = None
    data: DataSpec
    lineage: LineageSpec = Field(default_factory=LineageSpec)
    # Documentary evidence: documents (model_card, risk_management, ...) of free-form fields,
    # checked by `documentation.field_present` (docs/manifest.md).
    documentation: dict[DocumentName, dict[str, Any]] = Field(default_factory=dict)
    monitoring: MonitoringSpec | None = None

    @model_validator(mode="after")
    def _model_or_predictions(self) -> ManifestSpec:
        if self.model is None and self.data.prediction is None:
            raise ValueError(
                "give either model.path, model.uri or data.prediction (a predictions column)"
            )
        if self.model is not None and self.data.engine is None and self.data.where is not None:
            raise ValueError(
                "data.where is applied by the duckdb and spark engines, not arrow (the engine "
                "of a manifest whose model runs on each row)"
            )
        return self


@dataclass(frozen=True)
class Manifest:
    """A validated manifest with its paths resolved."""

    path: Path
    spec: ManifestSpec
    digest: str
    document: LocatedDict

    @property
    def name(self) -> str:
        """The model's name."""
        return self.spec.metadata.name

    @property
    def version(self) -> str:
        """The model's version."""
        return self.spec.metadata.version

    @property
    def engine(self) -> str:
        """The engine that reads the data (docs/engines.md).

        ``data.engine`` when set; otherwise ``duckdb`` for data whose predictions are a column
        (``data.prediction``, no ``model:``), and ``arrow`` when a model runs on each row.
        """
        spec = self.spec
        if spec.data.engine is not None:
            return spec.data.engine
        return "duckdb" if spec.model is None and spec.data.prediction is not None else "arrow"

    @property
    def data_uri(self) -> str | None:
        """``data.path`` when it is an object-store URI (``s3://...``), else None."""
        path = self.spec.data.path
        if path is None or not is_uri(path) or scheme_of(path) == "file":
            return None
        return path

    @property
    def data_path(self) -> Path:
        """The evaluation data file (or glob); the manifest itself for a table or a URI."""
        path = self.spec.data.path
        if path is None or self.data_uri is not None:
            return self.path.resolve()
        return self.resolve(local_path(path))

    @property
    def model_path(self) -> Path | None:
        """The model file, or None (predictions from a column, or a registered model)."""
        model = self.spec.model
        return self.resolve(model.path) if model and model.path is not None else None

    @property
    def model_uri(self) -> str | None:
        """The registered model version (``models:/NAME/VERSION`` or ``@ALIAS``), if named."""
        return self.spec.model.uri if self.spec.model else None

    def resolve(self, relative: str) -> Path:
        """A path from the manifest, relative to the manifest's folder."""
        return (self.path.parent / relative).resolve()

    @property
    def root(self) -> Path:
        """The project root the evidence names files from (:func:`governance.paths.project_root`).

        The top of the git checkout holding the manifest, else the manifest's folder.
        """
        return project_root(self.path.parent)

    def name_of(self, path: Path | str, digest: str | None = None) -> str:
        """What the record, events, report and attestation call ``path``: relative to :attr:`root`.

        Never the checking machine's absolute path (:func:`governance.paths.portable_name`).
        """
        return portable_name(path, self.root, digest)

    def error(self, message: str, *location: str | int) -> ManifestError:
        """A ManifestError pointing at the value at ``location`` in this manifest."""
        line, column = position_of(self.document, location, value=True) or (None, None)
        return ManifestError(
            message, path=self.path, line=line, column=column, field=dotted(location) or None
        )


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest file; any problem is a ManifestError naming file and line."""
    path = Path(path)
    text = read_text(path, ManifestError, "manifest")
    documents = [doc for doc in load_yaml_text(text, path, ManifestError) if doc is not None]
    if len(documents) != 1:
        raise ManifestError(
            f"expected one YAML document, found {len(documents)}", path=path, line=1
        )
    document: Any = documents[0]
    if not isinstance(document, LocatedDict):
        raise ManifestError("expected a mapping with kind: Model", path=path, line=1)
    kind = document.get("kind")
    if kind != "Model":
        line, column = position_of(document, ["kind"]) or (1, 1)
        raise ManifestError(
            f"kind must be 'Model', found {kind!r}",
            path=path,
            line=line,
            column=column,
            field="kind",
        )
    spec = validate_document(ManifestSpec, document, path=path, error=ManifestError)
    manifest = Manifest(
        path=path,
        spec=spec,
        digest=sha256_digest(text.encode("utf-8")),
        document=document,
    )
    _check_confined(manifest)
    return manifest


def local_path(path: str) -> str:
    """A ``file://`` URI's local path; any other path as it is."""
    if is_uri(path) and scheme_of(path) == "file":
        return unquote(urlsplit(path).path) or "/"
    return path


def _check_uri(manifest: Manifest, path: str) -> None:
    """An object-store ``data.path``: a scheme pyarrow reads, no credentials, the duckdb engine."""
    problem = uri_problem(path)
    if problem is not None:
        raise manifest.error(problem, "data", "path")
    if manifest.engine != "duckdb" and scheme_of(path) != "file":  # file://: a local path
        raise manifest.error(URI_ENGINE.format(engine=manifest.engine), "data", "path")


def _check_confined(manifest: Manifest) -> None:
    """The data and model paths must stay inside the folders a manifest may name."""
    named: dict[str, str] = {}
    if manifest.spec.data.path is not None:
        named["data"] = manifest.spec.data.path
        if is_uri(named["data"]):
            _check_uri(manifest, named["data"])
            if manifest.data_uri is not None:  # not a local path: nothing to confine
                del named["data"]
            else:
                named["data"] = local_path(named["data"])
    if manifest.spec.model is not None and manifest.spec.model.path is not None:
        named["model"] = manifest.spec.model.path
    for section, value in named.items():
        if confined(value, manifest.path.parent) is None:
            raise manifest.error(
                OUTSIDE.format(what=f"{section} path", named=value), section, "path"
            )
