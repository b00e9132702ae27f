"""The evaluation record as typed models: what one ``governance check`` found, and why.

The record is the one contract between the stages: the gate builds it, the audit store keeps it
(``EvaluationRecord.payload()``, canonical JSON), reports, the web view, the output formats and
the OpenLineage events read it. Field order is the order of ``--format json``.

Version 2 (``RECORD_SCHEMA_VERSION``) keeps no pictures: a finding's charts are drawn when a
report or web page is rendered, from its ``evidence`` (``governance.reporting.charts``).
Version 1 findings carried them as SVG text in ``charts``; that field is read, never written.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RECORD_SCHEMA_VERSION = 2
"""The record layout the gate writes; :func:`governance.record.read_record` reads 1 and 2."""

READ_VERSIONS = (1, 2)
"""Record versions :func:`governance.record.read_record` reads."""

Number = int | float
"""A JSON number, kept as written (an integer stays an integer in ``--format json``)."""

SeverityName = Literal["critical", "high", "medium", "low", "info"]
OutcomeName = Literal["pass", "fail", "error", "insufficient", "waived", "skipped"]
Digest = str
UtcTime = str
UTC_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"
"""A UTC time as the gate writes it: ISO 8601 with a ``Z`` suffix."""


class RecordPart(BaseModel):
    """A part of the record: strict types, unknown keys refused, frozen.

    Fields a record may lack (older records) default to ``None`` or empty and are left out of
    :meth:`EvaluationRecord.payload` unless they were given.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, populate_by_name=True, use_enum_values=True
    )


class Tool(RecordPart):
    """The program that wrote the record."""

    name: str = Field(description="Always `governance`.")
    version: str = Field(description="The governance package version.")


class ModelInfo(RecordPart):
    """The model under review, from the manifest's metadata."""

    name: str = Field(min_length=1, description="The model's name.")
    version: str = Field(min_length=1, description="The model's version.")
    owner: str = Field(description="Who answers for the model.")
    risk_tier: Literal["minimal", "limited", "high", "unacceptable"] = Field(
        description="The model's risk tier."
    )
    intended_use: str = Field(description="What the model is for.")


class FileReference(RecordPart):
    """A file as given to the command, with the sha256 of its bytes."""

    path: str = Field(description="The path as given to the command.")
    digest: Digest = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class ModelArtifact(RecordPart):
    """The model artifact."""

    path: str = Field(description="Where the artifact was read.")
    format: Literal["skops", "joblib", "pickle", "cloudpickle"] = Field(
        description="How it was loaded (cloudpickle: a registered MLflow model's pickle)."
    )
    digest: Digest = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class Column(RecordPart):
    """A column of the evaluation data and its type as read (a pandas dtype, or `not read`)."""

    name: str
    type: str


class EngineSample(RecordPart):
    """The seeded row sample the engine drew for the checks that need rows."""

    rows: int = Field(ge=0, description="Rows in the sample (every row when the data is small).")
    seed: int = Field(description="The sample's seed.")


class EngineRun(RecordPart):
    """The SQL engine that counted the data: enough to run the same counts again."""

    name: Literal["duckdb", "spark"] = Field(description="The engine (data.engine).")
    version: str = Field(description="The engine's version.")
    query: str = Field(description="The counting query, over the view governance_data.")
    sample_query: str | None = Field(
        description="The query that drew the row sample; null when no rule reads rows and the "
        "data is larger than a sample (no sample is drawn)."
    )
    where: str | None = Field(description="The manifest's data.where filter, if any.")
    sample: EngineSample
    snapshot: dict[str, Any] = Field(
        description="The data's identity: files (path, size, sha256) and their digest, or "
        "the table's name (and Delta version when the table has one)."
    )


class DataArtifact(RecordPart):
    """The evaluation data."""

    path: str = Field(description="Where the data was read (a file, a glob, or table:NAME).")
    format: Literal["csv", "parquet", "delta", "iceberg", "orc", "json", "table"] = Field(
        description="File format (table: a table read by name)."
    )
    digest: Digest = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    rows: int = Field(ge=0, description="Number of rows evaluated.")
    columns: list[Column] = Field(description="The data's columns and their types as read.")
    engine: EngineRun | None = Field(
        default=None, description="The SQL engine that counted the data; absent for arrow."
    )


class Artifacts(RecordPart):
    """The model artifact and evaluation data, with digests of their bytes."""

    model: ModelArtifact | None = Field(
        description="The model artifact; null when the manifest evaluates a predictions column."
    )
    data: DataArtifact


class Predictions(RecordPart):
    """Where the predictions came from."""

    source: str = Field(
        description="The model's class name, or `column <name>` for a predictions column."
    )


class Intervals(RecordPart):
    """How the evaluation's confidence intervals were computed (one setting for every rule)."""

    method: str = Field(
        description="Wilson score intervals for per-group rates; the bootstrap of the counts "
        "for differences, ratios and other metrics."
    )
    seed: int = Field(ge=0, description="The bootstrap's seed.")
    resamples: int = Field(ge=0, description="Bootstrap resamples.")
    confidence: float = Field(gt=0, lt=1, description="The intervals' confidence.")


class DatasetId(RecordPart):
    """An OpenLineage dataset identifier."""

    namespace: str
    name: str


class CodeReference(RecordPart):
    """Where the training code lives."""

    repository: str | None = None
    commit: str | None = None
    path: str | None = None


class DeclaredLineage(RecordPart):
    """Where the model came from, as the manifest declares it (absent keys: not declared)."""

    training_datasets: list[DatasetId] = Field(
        default_factory=list, description="OpenLineage identifiers of the training datasets."
    )
    training_run: str | None = Field(default=None, description="The training run's id or URL.")
    code: CodeReference | None = Field(default=None, description="Where the training code lives.")


class PolicyReference(RecordPart):
    """A policy applied: name, semver version, path and digest of its canonical form."""

    name: str = Field(description="The policy's name.")
    version: str = Field(description="The policy's semantic version.")
    path: str = Field(description="The policy file as given.")
    digest: Digest = Field(
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="sha256 of the policy's canonical JSON form (whitespace and key order free).",
    )
    extends: list[str] = Field(
        default_factory=list, description="Names of the policies this one extends, directly."
    )


class Summary(RecordPart):
    """Counts of findings by outcome; `blocking` counts the findings that failed the gate."""

    rules: int = Field(ge=0, description="Number of findings (one per rule).")
    passed: int = Field(ge=0, alias="pass")
    fail: int = Field(ge=0)
    error: int = Field(ge=0)
    insufficient: int = Field(ge=0)
    waived: int = Field(ge=0)
    skipped: int = Field(ge=0)
    blocking: int = Field(ge=0)


class Threshold(RecordPart):
    """Bounds the measured value must stay within (inclusive)."""

    min: Number | None
    max: Number | None


class Location(RecordPart):
    """Where the rule is written: the policy file and the 1-based line and column of the rule."""

    path: str
    line: int | None = Field(default=None, ge=1)
    column: int | None = Field(default=None, ge=1)


class Subject(RecordPart):
    """The model a waiver covers: its name and, optionally, one version."""

    model: str = Field(min_length=1)
    version: str | None = None


class WaiverRecord(RecordPart):
    """An exception to one rule for one model, approved and time-limited."""

    rule_id: str = Field(min_length=1, description="The waived rule (never a wildcard).")
    subject: Subject
    justification: str = Field(description="Why the exception is acceptable.")
    approved_by: str = Field(description="Who approved it.")
    ticket: str = Field(description="Where the approval is recorded.")
    expires: str = Field(
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="The last day the waiver holds (it holds through that whole day, UTC).",
    )
    source: str | None = Field(default=None, description="Where it is written: `path:line`.")
    status: Literal["applied", "expired", "unmatched", "awaiting_approval"] | None = Field(
        default=None,
        description="`applied` (it waived a finding), `expired` (past its date: the finding "
        "blocks), `unmatched` (it waived nothing) or `awaiting_approval` (its `approval_role` "
        "has not approved it: the finding blocks).",
    )
    approval_role: str | None = Field(
        default=None,
        description="The role whose signed approval of the waiver (by `digest`) it needs.",
    )
    digest: str | None = Field(
        default=None,
        description="With `approval_role`: sha256 of the waiver's own fields, which an "
        "approval names.",
    )
    waived_outcome: Literal["fail", "error", "insufficient"] | None = Field(
        default=None, description="On an applied waiver: the outcome it waived."
    )
    reason: str | None = Field(
        default=None, description="In the top-level `waivers`: why it has its status."
    )


class Override(RecordPart):
    """A change a policy extending this rule's policy made to the rule."""

    policy: str
    relaxed: bool
    justification: str | None


class SvgChart(RecordPart):
    """Version 1 only: an SVG chart drawn during the check. Read, never rendered."""

    title: str
    svg: str


class GatedBound(RecordPart):
    """What ``measured`` is a bound of, for a rule gating on an interval bound."""

    bound: Literal["ci_lower", "ci_upper"] = Field(description="The bound the rule gates on.")
    confidence: Number = Field(description="The interval's confidence level (0.95).")
    point: Number = Field(description="The point estimate the interval is around.")
    interval: list[Number] = Field(
        min_length=2, max_length=2, description="The interval's lower and upper ends."
    )


class FindingRecord(RecordPart):
    """The result of evaluating one rule."""

    rule_id: str = Field(description="The rule's stable id.")
    policy: str = Field(description="The policy that holds the rule.")
    title: str
    severity: SeverityName
    check: str = Field(description="The registered check type.")
    params: dict[str, Any] = Field(description="The check's parameters, validated.")
    threshold: Threshold | None = Field(
        description="Bounds of the measured value; null for a rule judged by `assert`."
    )
    assertion: str | None = Field(default=None, alias="assert", description="The CEL assertion.")
    when: str | None = Field(default=None, description="The rule's CEL condition.")
    outcome: OutcomeName = Field(
        description="`pass`, `fail`, `error` (could not evaluate), `insufficient` (too little "
        "evidence), `waived`, `skipped` (condition false)."
    )
    blocking: bool = Field(description="Whether this finding failed the gate.")
    measured: Number | None = Field(description="The number compared with the threshold.")
    gated: GatedBound | None = Field(
        default=None,
        description="Only for a rule gating on an interval bound (`gate_on: ci_lower` or "
        "`ci_upper`): `measured` is that bound; here are the point and the interval.",
    )
    message: str
    waiver: WaiverRecord | None = Field(
        default=None, description="The waiver applied to (or expired on) this finding."
    )
    skip_reason: str | None = Field(default=None, description="Why a finding is `skipped`.")
    override: Override | None = None
    controls: list[str] = Field(default_factory=list, description="Regulatory references.")
    remediation: str | None = None
    location: Location | None = Field(
        default=None, description="Where the rule is written; absent in older records."
    )
    evidence: dict[str, Any] = Field(
        default_factory=dict,
        description="Check-specific (docs/checks.md, docs/evaluation-record.md); the data the "
        "report's charts are drawn from.",
    )
    charts: list[SvgChart] | None = Field(
        default=None, description="Version 1 only: SVG charts; version 2 draws them at render."
    )


class MonitoredWindow(RecordPart):
    """A window of a production log evaluated by ``governance monitor``."""

    baseline: str = Field(description="The gate evaluation this monitoring continues.")
    log: str = Field(description="The log as given to the monitor (a file or a glob).")
    time_column: str = Field(description="The log's time column.")
    window: str = Field(description="The windows' width (`7d`).")
    index: int = Field(ge=0, description="The window's number, from 0 at `since`.")
    window_start: UtcTime = Field(pattern=UTC_TIME, description="Start of the window (included).")
    window_end: UtcTime = Field(pattern=UTC_TIME, description="End of the window (excluded).")
    rows: int = Field(ge=0, description="Decisions in the window.")
    rows_with_outcome: int = Field(
        ge=0, description="Decisions whose outcome has arrived: rules reading outcomes use these."
    )
    label_delay: str | None = Field(
        default=None, description="How long after a decision its outcome arrives (`30d`)."
    )
    key: Digest = Field(
        description="sha256 of what the window is evaluated against: manifest, policies, "
        "baseline and bounds; a re-run finding this key and the same content records nothing."
    )
    supersedes: str | None = Field(
        default=None,
        description="The evaluation of this window this one replaces (the window's rows changed, "
        "e.g. a late batch of outcomes).",
    )


class SameRows(RecordPart):
    """Proof that challenger and champion were judged on the same rows."""

    data_digest: Digest = Field(
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="sha256 of the data both models predicted (the champion's data is the same).",
    )
    rows: int = Field(ge=0, description="Rows both models predicted.")
    labels_equal: bool = Field(description="Whether both manifests read the same labels.")
    rows_agreeing: int = Field(ge=0, description="Rows where both models predict the same.")


class BaselineRegistry(RecordPart):
    """Where a registered champion came from."""

    uri: str = Field(description="The URI given: `models:/NAME/VERSION` or `models:/NAME@ALIAS`.")
    resolved: str = Field(description="The version it named: `models:/NAME/VERSION`.")


class BaselineModel(RecordPart):
    """The champion a challenger was compared with (``governance check --baseline``)."""

    name: str = Field(min_length=1, description="The champion's name.")
    version: str = Field(min_length=1, description="The champion's version.")
    manifest: FileReference | None = Field(
        default=None, description="The champion's manifest; null for a registered model."
    )
    registry: BaselineRegistry | None = Field(
        default=None,
        description="The registered version the champion is (`--baseline models:/NAME@ALIAS`).",
    )
    model: ModelArtifact | None = Field(
        description="The champion's model artifact; null for a predictions column."
    )
    predictions: Predictions
    same_rows: SameRows


class LoggedDataset(RecordPart):
    """A dataset logged to the model's MLflow run (``mlflow.data``)."""

    name: str = Field(description="The dataset's name in MLflow.")
    digest: str | None = Field(default=None, description="MLflow's digest of the dataset.")
    source: str | None = Field(
        default=None, description="Where it was read (URI without credentials or local folders)."
    )
    source_type: str | None = Field(default=None, description="MLflow's source type.")
    context: str | None = Field(default=None, description="Its role: training, eval, ...")


class RegistryFacts(RecordPart):
    """The registered MLflow model version gated (``model.uri``), and the run that logged it."""

    uri: str = Field(description="The manifest's `model.uri` (`models:/NAME/VERSION` or `@ALIAS`).")
    tracking: str = Field(
        description="The tracking server, without credentials (a local store: its scheme and "
        "file name only)."
    )
    name: str = Field(description="The registered model's name.")
    version: str = Field(description="The version gated (an alias resolved to it).")
    alias: str | None = Field(default=None, description="The alias the URI named, if any.")
    source: str | None = Field(default=None, description="The version's source.")
    run_id: str | None = Field(default=None, description="The MLflow run that logged it.")
    experiment: str | None = Field(default=None, description="The run's experiment name.")
    run_started_at: UtcTime | None = Field(default=None, pattern=UTC_TIME)
    run_finished_at: UtcTime | None = Field(default=None, pattern=UTC_TIME)
    params: dict[str, str] = Field(default_factory=dict, description="The run's params.")
    metrics: dict[str, Number] = Field(
        default_factory=dict, description="The run's metrics (latest value of each)."
    )
    datasets: list[LoggedDataset] = Field(
        default_factory=list, description="The run's logged input datasets."
    )


class RecordHeader(RecordPart):
    """The parts of the record known before evaluation (what the START event is built from)."""

    schema_version: Literal[1, 2] = Field(
        description="Version of the record layout: 2 is written, 1 is still read."
    )
    evaluation_id: str = Field(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        description="A UUID (version 7, time-ordered); also the OpenLineage runId of the check.",
    )
    started_at: UtcTime = Field(
        pattern=UTC_TIME, description="When the check started (UTC, ISO 8601, Z)."
    )
    tool: Tool
    namespace: str = Field(min_length=1, description="The OpenLineage job namespace.")
    model: ModelInfo
    manifest: FileReference
    artifacts: Artifacts
    predictions: Predictions
    lineage: DeclaredLineage
    policies: list[PolicyReference] = Field(description="Every policy applied, bases included.")
    waiver_files: list[FileReference] = Field(
        default_factory=list,
        description="The waiver files applied, with digests; absent in older records.",
    )
    intervals: Intervals | None = Field(
        default=None,
        description="How confidence intervals were computed; absent in older records.",
    )
    monitoring: MonitoredWindow | None = Field(
        default=None,
        description="Only for a window of a production log (`governance monitor`): the window, "
        "its row counts and the baseline evaluation.",
    )
    documentation: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="The manifest's `documentation` section as written (model card, risk "
        "management, data governance...: documents of free-form fields); absent when the "
        "manifest has none, and in older records. `governance document` renders from it.",
    )
    baseline: BaselineModel | None = Field(
        default=None,
        description="Only for a check against a champion (`--baseline`): the champion and the "
        "proof that both models predicted the same rows.",
    )
    registry: RegistryFacts | None = Field(
        default=None,
        description="Only for a model gated by its registry URI (`model.uri`): the registered "
        "version and the run that logged it.",
    )

    def payload(self) -> dict[str, Any]:
        """The record as stored and printed: plain JSON values, fields absent when never given.

        Returns
        -------
        dict
            What the audit store appends (as canonical JSON) and ``--format json`` prints.
        """
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class EvaluationRecord(RecordHeader):
    """One ``governance check``: what was checked, every rule's finding and the verdict."""

    model_config = ConfigDict(
        title="governance evaluation record",
        json_schema_extra={
            "$id": "https://governance-project.github.io/spec/evaluation-record/"
            f"{RECORD_SCHEMA_VERSION}/evaluation-record.schema.json",
        },
    )

    finished_at: UtcTime = Field(
        pattern=UTC_TIME, description="When evaluation finished (UTC, ISO 8601, Z)."
    )
    verdict: Literal["passed", "failed"]
    exit_code: Literal[0, 1] = Field(description="0 passed, 1 gate failed.")
    fail_on: SeverityName = Field(description="The lowest severity whose failing findings block.")
    strict: bool = Field(
        default=False, description="Whether every failing finding blocked (`--strict`)."
    )
    summary: Summary
    findings: list[FindingRecord] = Field(description="One per rule, in policy file order.")
    waivers: list[WaiverRecord] = Field(
        default_factory=list, description="Every waiver considered, with its status."
    )
    dry_run: bool = Field(
        default=False,
        description="Present and true in the output of a dry run, which is never recorded.",
    )

    @property
    def passed(self) -> bool:
        """Whether the model passed the gate."""
        return self.verdict == "passed"
