"""The shapes of the API's answers, for the OpenAPI document.

Lineage answers follow Marquez's OpenAPI (``/api/v1/lineage``, namespaces, jobs, datasets, their
versions, runs, facets, column lineage, search, tags, sources, ``/api/v1/events/lineage``) with
camelCase fields; a field the store has no value for is left out (Marquez declares none
nullable). The governance answers (models, evaluations, reports, audit) are our own.
Handlers build plain dicts and these models only document them; the tests check every answer
against this document (schemathesis).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "AuditEntry",
    "AuditLog",
    "AuditStatus",
    "ColumnLineageGraph",
    "Dataset",
    "DatasetList",
    "DatasetVersion",
    "DatasetVersionList",
    "ErrorBody",
    "EvaluationList",
    "EvaluationSummary",
    "EventList",
    "Facets",
    "FindingList",
    "IngestResult",
    "Inventory",
    "Job",
    "JobList",
    "JobVersion",
    "JobVersionList",
    "LineageGraph",
    "ModelList",
    "Namespace",
    "NamespaceList",
    "ReportList",
    "Run",
    "RunList",
    "SearchResultList",
    "Source",
    "SourceList",
    "Tag",
    "TagList",
]

RunState = Literal["NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED"]


class ErrorBody(BaseModel):
    """Every error answer: the status code again and what is wrong."""

    code: int
    message: str


class IngestResult(BaseModel):
    """What a POST of events stored."""

    received: int = Field(description="events in the request")
    stored: int = Field(description="events appended to the audit log")
    duplicates: int = Field(description="events already recorded (stored once)")
    entries: list[int] = Field(description="log entries (seq) of the stored events")


class DatasetId(BaseModel):
    """A dataset's (or job's) namespace and name."""

    namespace: str
    name: str


class Namespace(BaseModel):
    """A namespace that holds jobs or datasets (owner: ``anonymous``, Marquez's default)."""

    name: str
    createdAt: str
    updatedAt: str
    ownerName: str
    description: str | None = None
    isHidden: bool


class NamespaceList(BaseModel):
    """``GET /api/v1/namespaces``."""

    namespaces: list[Namespace]


class VersionId(BaseModel):
    """A job's or dataset's namespace, name and version (a UUID)."""

    namespace: str
    name: str
    version: str


class Run(BaseModel):
    """A run of a job (Marquez's Run); a time the store does not know is left out."""

    id: str
    createdAt: str
    updatedAt: str
    nominalStartTime: str | None = None
    nominalEndTime: str | None = None
    state: RunState
    startedAt: str | None = None
    endedAt: str | None = None
    durationMs: int | None = None
    args: dict[str, Any]
    jobName: str
    jobNamespace: str
    jobVersion: VersionId
    parentRunId: str | None = None
    inputVersions: list[DatasetId]
    outputVersions: list[DatasetId]
    facets: dict[str, Any]


class RunList(BaseModel):
    """The runs of a job, newest first."""

    runs: list[Run]
    totalCount: int


class Field_(BaseModel):
    """A field of a dataset's schema facet."""

    name: str
    type: str = Field(description='the type in the schema facet ("" if it has none)')
    tags: list[str]
    description: str | None = None


class Dataset(BaseModel):
    """A dataset (Marquez's Dataset)."""

    id: DatasetId
    type: str
    name: str
    physicalName: str
    createdAt: str
    updatedAt: str
    namespace: str
    sourceName: str
    fields: list[Field_]
    tags: list[str]
    lastModifiedAt: str | None = None
    description: str | None = None
    facets: dict[str, Any]
    currentVersion: str
    deleted: bool


class DatasetList(BaseModel):
    """A page of the datasets of a namespace."""

    datasets: list[Dataset]
    totalCount: int


class Job(BaseModel):
    """A job (Marquez's Job)."""

    id: DatasetId
    type: str
    name: str
    simpleName: str
    parentJobName: str | None = None
    createdAt: str
    updatedAt: str
    namespace: str
    inputs: list[DatasetId]
    outputs: list[DatasetId]
    location: str | None = None
    description: str | None = None
    latestRun: Run | None = None
    facets: dict[str, Any]
    currentVersion: str


class JobList(BaseModel):
    """A page of the jobs of a namespace."""

    jobs: list[Job]
    totalCount: int


class DatasetVersion(BaseModel):
    """One version of a dataset: a log entry that wrote or described it."""

    id: VersionId
    type: str
    name: str
    physicalName: str
    createdAt: str
    version: str
    namespace: str
    sourceName: str
    fields: list[Field_]
    description: str = Field(description='its documentation facet ("" if it has none)')
    createdByRun: Run | None = None
    facets: dict[str, Any]


class DatasetVersionList(BaseModel):
    """The versions of a dataset, newest first."""

    versions: list[DatasetVersion]
    totalCount: int


class JobVersion(BaseModel):
    """One version of a job: the datasets its runs read and wrote."""

    id: VersionId
    name: str
    version: str
    createdAt: str
    updatedAt: str
    namespace: str
    inputs: list[DatasetId]
    outputs: list[DatasetId]
    location: str | None = None
    latestRun: Run | None = None
    facets: dict[str, Any]


class JobVersionList(BaseModel):
    """The versions of a job, newest first."""

    versions: list[JobVersion]
    totalCount: int


class Facets(BaseModel):
    """``GET /jobs/runs/{id}/facets``: the facets of a run or of its job."""

    runId: str
    facets: dict[str, Any]


class InputField(BaseModel):
    """A field another field derives from."""

    namespace: str
    dataset: str
    field: str
    transformationDescription: str | None = None
    transformationType: str | None = None


class FieldData(BaseModel):
    """A dataset field of the column lineage graph."""

    namespace: str
    dataset: str
    field: str
    fieldType: str
    inputFields: list[InputField]


class ColumnNode(BaseModel):
    """A node of the column lineage graph: ``datasetField:<ns>:<dataset>:<field>``."""

    id: str
    type: Literal["DATASET_FIELD"]
    data: FieldData
    inEdges: list[GraphEdge]
    outEdges: list[GraphEdge]


class ColumnLineageGraph(BaseModel):
    """``GET /api/v1/column-lineage``."""

    graph: list[ColumnNode]


class SearchResult(BaseModel):
    """A job or dataset whose name matched."""

    type: Literal["DATASET", "JOB"]
    name: str
    updatedAt: str
    namespace: str
    nodeId: str


class SearchResultList(BaseModel):
    """``GET /api/v1/search``."""

    totalCount: int
    results: list[SearchResult]


class Tag(BaseModel):
    """A tag: a key of an OpenLineage ``tags`` facet, or one of Marquez's stock tags."""

    name: str
    description: str


class TagList(BaseModel):
    """``GET /api/v1/tags``: the tags in the store's ``tags`` facets and Marquez's, by name."""

    tags: list[Tag]


class Source(BaseModel):
    """A data source: a namespace that holds datasets."""

    type: str
    name: str
    createdAt: str
    updatedAt: str
    connectionUrl: str


class SourceList(BaseModel):
    """``GET /api/v1/sources``."""

    sources: list[Source]


class GraphEdge(BaseModel):
    """An edge of the lineage graph."""

    origin: str
    destination: str


class GraphNode(BaseModel):
    """A node of the lineage graph: ``dataset:<ns>:<name>`` or ``job:<ns>:<name>``."""

    id: str
    type: Literal["DATASET", "JOB"]
    data: Dataset | Job
    inEdges: list[GraphEdge]
    outEdges: list[GraphEdge]


class LineageGraph(BaseModel):
    """``GET /api/v1/lineage``: every node within ``depth`` jobs, upstream and downstream."""

    graph: list[GraphNode]


class EventList(BaseModel):
    """``GET /api/v1/events/lineage``: recorded events, as they were received."""

    events: list[dict[str, Any]]
    totalCount: int


class EvaluationSummary(BaseModel):
    """One evaluation (a ``governance check``) as the store lists it."""

    evaluationId: str
    model: str
    modelVersion: str | None
    verdict: str
    exitCode: int
    startedAt: str
    finishedAt: str
    entrySeq: int
    policies: list[str] = Field(
        default_factory=list,
        description="The policies the check applied: those given and those they extend.",
    )
    missingRequired: list[str] = Field(
        default_factory=list,
        description="Policies the server's required_policies names for this model's risk tier "
        "that the check did not apply; empty when it applied them all or none are required.",
    )


class EvaluationList(BaseModel):
    """Evaluations, newest first."""

    evaluations: list[EvaluationSummary]
    totalCount: int


class ModelSummary(BaseModel):
    """A model with its latest evaluation."""

    name: str
    evaluations: int
    latest: EvaluationSummary | None = Field(
        description="The newest evaluation that applied the server's required_policies (the "
        "newest evaluation when none are required); null when no evaluation applied them."
    )


class ModelList(BaseModel):
    """Every evaluated model, by name."""

    models: list[ModelSummary]


class InventoryWaiver(BaseModel):
    """A waiver on file for a model version."""

    rule_id: str
    expires: str = Field(description="The last day it holds (UTC).")
    expired: bool = Field(description="Whether that day has passed (as of `as_of`).")
    approved_by: str | None


class InventoryRow(BaseModel):
    """One model version of the inventory (docs/inventory.md names every column)."""

    model: str
    version: str
    owner: str | None
    risk_tier: str | None
    verdict: str = Field(
        description="`passed`, `failed`, or `incomplete`: the latest gate evaluation did not "
        "apply a policy the server's required_policies names for the model's risk tier."
    )
    recorded_verdict: str
    missing_policies: list[str]
    evaluation_id: str
    evaluated_at: str | None
    evaluations: int
    waived_findings: int
    open_waivers: list[InventoryWaiver]
    expired_waivers: list[InventoryWaiver]
    next_waiver_expiry: str | None
    monitoring: str = Field(description="The latest window's verdict, or `not monitored`.")
    monitored_at: str | None
    monitoring_evaluation_id: str | None
    registry_name: str | None
    registry_version: str | None
    registry_uri: str | None
    approvals: str
    report_digest: str | None
    report_signed: bool


class Inventory(BaseModel):
    """Every model version in the store, as `governance models --format json` gives it."""

    inventory_version: int
    as_of: str = Field(description="The date waivers are judged against (UTC).")
    columns: list[str]
    rows: list[InventoryRow]


class FindingList(BaseModel):
    """The findings of one evaluation, as recorded."""

    evaluationId: str
    findings: list[dict[str, Any]]


class Report(BaseModel):
    """A report recorded in the log; ``download`` serves the PDF."""

    entrySeq: int
    evaluationId: str
    fileName: str
    digest: str | None
    signed: bool
    createdAt: str
    download: str


class ReportList(BaseModel):
    """Recorded reports, newest first."""

    reports: list[Report]


class TableDifference(BaseModel):
    """How one query table differs from what the log implies."""

    table: str
    changed: int
    missing: int
    extra: int
    examples: list[str]


class TablesStatus(BaseModel):
    """The query tables rebuilt from the log and compared with the stored ones."""

    ok: bool
    rows: int
    entries: int
    problem: str | None
    differences: list[TableDifference]


class AuditStatus(BaseModel):
    """The result of recomputing the whole hash chain and checking the query tables.

    ``ok`` is true only if both hold; ``tables`` is null when the chain itself is broken.
    """

    ok: bool
    entries: int
    headHash: str | None
    firstBadSeq: int | None
    problem: str | None
    checkpoints: int
    tables: TablesStatus | None


class AuditEntry(BaseModel):
    """One log entry (payload as stored)."""

    seq: int
    kind: str
    createdAt: str
    prevHash: str
    entryHash: str
    payload: dict[str, Any]


class AuditLog(BaseModel):
    """A page of the log, oldest first."""

    entries: list[AuditEntry]
    next: int | None = Field(description="pass as after= for the next page; null at the end")
