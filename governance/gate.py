"""One ``governance check``: load and validate every input, evaluate, record, report.

Every input is validated before anything is written: a bad manifest, policy, data file, model
or store URL stops the check with an :class:`~governance.errors.InputError` and an untouched store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance._version import __version__
from governance.checks.builtin import default_registry
from governance.checks.params import evaluation_intervals
from governance.checks.registry import CheckRegistry
from governance.config import SEVERITY_CHOICES
from governance.errors import (
    GovernanceError,
    InputError,
    InternalError,
    VerificationFailed,
)
from governance.evaluators.context import EvaluationContext
from governance.evaluators.inputs import load_context
from governance.manifest import Manifest, load_manifest
from governance.policy.budget import DEFAULT_SECONDS
from governance.policy.loader import load_policies, waiver_files_in
from governance.policy.model import Policy, Severity, Waiver
from governance.policy.required import evaluate_required
from governance.policy.waivers import check_unique, load_waiver_files, unique_files
from governance.record import RECORD_SCHEMA_VERSION, EvaluationRecord
from governance.record.model import RecordHeader

if TYPE_CHECKING:
    from governance.audit import AuditStore
    from governance.config import Settings
    from governance.reporting import ReportResult

EVALUATION_KIND = "evaluation"
EVENT_KIND = "openlineage.event"
DIGEST_CHUNK = 1 << 20
LINEAGE_ATTEMPTS = 3
LINEAGE_OUT_OF_STEP = (
    "the lineage tables of {url} do not match its log: they tell a different story about "
    "this model's lineage than the recorded events do (someone edited the database)"
)
LINEAGE_OUT_OF_STEP_HINT = (
    "run `governance audit verify` to see what differs; `governance audit rebuild` restores "
    "the tables from the log"
)


FAIL_ON_CHOICES = SEVERITY_CHOICES
"""The values of ``fail_on`` (``--fail-on``, setting ``fail_on``), highest first."""
BAD_CHOICE = "{name} must be one of {choices}, found {value!r}"


def parse_fail_on(value: str | Severity) -> Severity:
    """``"high"`` (or ``Severity.HIGH``) -> ``Severity.HIGH``; anything else is an InputError.

    Parameters
    ----------
    value
        One of :data:`FAIL_ON_CHOICES`, or a :class:`Severity`.

    Returns
    -------
    Severity
        The lowest severity whose failure blocks.

    Raises
    ------
    InputError
        For any other value, in the words of the settings check (exit 2).
    """
    if isinstance(value, Severity):
        return value
    if isinstance(value, str) and value in FAIL_ON_CHOICES:
        return Severity.parse(value)
    raise InputError(
        BAD_CHOICE.format(name="fail_on", choices=", ".join(FAIL_ON_CHOICES), value=value)
    )


@dataclass(frozen=True)
class CheckOptions:
    """What to check and how.

    Values are checked when the options are made: ``fail_on`` may be given as its documented
    string (``"high"``), paths as strings; a bad value is an InputError before anything runs.
    """

    manifest: Path
    policies: Sequence[str | Path]
    """Policy files, folders of policies, or ``"pack:NAME"`` for a shipped pack."""
    trust_model: bool = False
    fail_on: Severity = Severity.HIGH
    namespace: str = "governance"
    waivers: Sequence[Path] = ()
    strict: bool = False
    settings: Settings | None = None
    """Resolved settings (flags, environment, governance.yml) for evaluators that read them."""
    whole_data: bool = False
    """Read the rows whole (arrow) unless ``data.engine`` names an engine: ``--baseline``."""

    def __post_init__(self) -> None:
        set_field = object.__setattr__  # frozen: normalise once, here
        set_field(self, "manifest", Path(self.manifest))
        policies = [self.policies] if isinstance(self.policies, str | Path) else self.policies
        set_field(self, "policies", tuple(policies))
        waivers = [self.waivers] if isinstance(self.waivers, str | Path) else self.waivers
        set_field(self, "waivers", tuple(Path(w) for w in waivers))
        set_field(self, "fail_on", parse_fail_on(self.fail_on))
        if not self.policies:
            raise InputError(NO_POLICY, field="policies", hint=NO_POLICY_HINT)


NO_POLICY = "no policy given"
NO_POLICY_HINT = "give a policy file, a folder of policies, or pack:NAME (governance packs)"


@dataclass(frozen=True)
class PreparedCheck:
    """Validated inputs, ready to evaluate."""

    options: CheckOptions
    manifest: Manifest
    policies: list[Policy]
    context: EvaluationContext
    registry: CheckRegistry
    digests: dict[str, str] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    waiver_files: tuple[Path, ...] = ()
    """Every waivers file applied: those in the policy folders, then those given."""
    cel_seconds: float = DEFAULT_SECONDS
    """Time budget of each CEL evaluation (setting ``cel_budget_seconds``)."""
    describe: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Rewrites the record header's description of the inputs (in-memory inputs have no files)."""

    @property
    def has_lineage_rules(self) -> bool:
        """Whether a rule reads the recorded lineage (``lineage.*`` checks)."""
        return any(
            rule.spec.check.startswith("lineage.")
            for policy in self.policies
            for rule in policy.rules
        )


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(DIGEST_CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def prepare_check(options: CheckOptions, registry: CheckRegistry | None = None) -> PreparedCheck:
    """Load and validate manifest, policies, data and model; compute predictions."""
    return prepare_inputs(options, load_manifest(options.manifest), registry)


def prepare_inputs(
    options: CheckOptions,
    manifest: Manifest,
    registry: CheckRegistry | None = None,
    *,
    model: Any = None,
    digests: dict[str, str] | None = None,
    describe: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> PreparedCheck:
    """Validate policies, waivers, data and model of ``manifest``; compute predictions.

    ``model`` (an estimator in memory), ``digests`` (of the data and model, when they are not
    files) and ``describe`` serve :func:`governance.evaluate_model`; a file-based check leaves
    them out.
    """
    from governance.config import load_settings

    registry = registry or default_registry()
    settings = options.settings or load_settings()
    cel_seconds = settings.cel_budget_seconds
    policies = load_policies(options.policies, registry)
    waiver_files = unique_files([*waiver_files_in(options.policies), *options.waivers])
    waivers = load_waiver_files(waiver_files)
    check_unique([w for policy in policies for w in policy.waivers] + list(waivers))
    context = load_context(
        manifest,
        policies,
        trust_model=options.trust_model,
        model=model,
        settings=settings,
        whole=options.whole_data,
    )
    context.settings = settings
    if digests is None and context.engine is not None:
        from governance.evaluators.engine_inputs import data_digest

        digests = {"data": data_digest(context.engine["snapshot"])}
    elif digests is None:
        digests = {"data": file_digest(context.data.path)}
        if manifest.model_path is not None:
            digests["model"] = file_digest(manifest.model_path)
    for path in waiver_files:
        digests[f"waivers:{path}"] = file_digest(path)
    return PreparedCheck(
        options=options,
        manifest=manifest,
        policies=policies,
        context=context,
        registry=registry,
        digests=digests,
        waivers=waivers,
        waiver_files=waiver_files,
        cel_seconds=cel_seconds,
        describe=describe,
    )


def _engine_part(engine: dict[str, Any] | None) -> dict[str, Any]:
    """The record's ``artifacts.data.engine`` when a SQL engine counted the data."""
    return {} if engine is None else {"engine": {k: v for k, v in engine.items() if k != "source"}}


def utc_now() -> str:
    """The current UTC time as ISO 8601 with a Z."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def record_header(prepared: PreparedCheck, evaluation_id: str, started_at: str) -> RecordHeader:
    """The parts of the record known before evaluation (enough for the START event).

    Files are named by :meth:`Manifest.name_of`, shipped packs ``pack:NAME``: never absolute.
    """
    manifest = prepared.manifest
    name = manifest.name_of
    meta = manifest.spec.metadata
    context = prepared.context
    model_path = manifest.model_path
    model_spec = manifest.spec.model
    lineage = manifest.spec.lineage.model_dump(mode="json", exclude_none=True)
    engine, digests = context.engine, prepared.digests
    header = {
        "schema_version": RECORD_SCHEMA_VERSION,
        "evaluation_id": evaluation_id,
        "started_at": started_at,
        "tool": {"name": "governance", "version": __version__},
        "namespace": prepared.options.namespace,
        "model": {
            "name": meta.name,
            "version": meta.version,
            "owner": meta.owner,
            "risk_tier": meta.risk_tier,
            "intended_use": meta.intended_use,
        },
        "manifest": {"path": name(manifest.path, manifest.digest), "digest": manifest.digest},
        "artifacts": {
            "model": (
                {
                    "path": name(model_path, prepared.digests["model"]),
                    "format": model_spec.format,
                    "digest": prepared.digests["model"],
                }
                if model_path is not None and model_spec is not None
                else None
            ),
            "data": {
                "path": engine["source"] if engine else name(context.data.path, digests["data"]),
                "format": context.data.format,
                "digest": digests["data"],
                "rows": context.data.rows,
                "columns": context.data.columns(),
                **_engine_part(engine),
            },
        },
        "predictions": {"source": context.predictions.source},
        "lineage": lineage,
        "policies": [policy.summary() for policy in prepared.policies],
        "waiver_files": [
            {"path": name(path), "digest": prepared.digests[f"waivers:{path}"]}
            for path in prepared.waiver_files
        ],
        "intervals": evaluation_intervals(),
    }
    if manifest.spec.documentation:  # what `governance document` renders (Annex IV)
        header["documentation"] = manifest.spec.documentation
    return RecordHeader.model_validate(header)


def evaluate(
    prepared: PreparedCheck,
    header: RecordHeader,
    *,
    clock: Callable[[], str] = utc_now,
) -> EvaluationRecord:
    """Evaluate every rule; the header plus the verdict is the evaluation record.

    The record holds the evidence charts are drawn from, not charts: they are drawn when a
    report or web page is rendered (:mod:`governance.reporting.charts`).
    """
    verdict = evaluate_required(
        prepared.context,
        prepared.policies,
        prepared.registry,
        fail_on=prepared.options.fail_on,
        strict=prepared.options.strict,
        waivers=prepared.waivers,
        now=datetime.fromisoformat(header.started_at),
        cel_seconds=prepared.cel_seconds,
    )
    record = {**header.payload(), "finished_at": clock(), **verdict.as_dict()}
    return EvaluationRecord.model_validate(record)


def load_lineage(prepared: PreparedCheck, store: AuditStore) -> None:
    """Put the model's recorded lineage in the context if a rule has a ``lineage.*`` check.

    Evaluators never touch the store: this reads what lineage checks need, before evaluation.
    The snapshot is read from lineage tables rebuilt from the log's hash-checked events
    (:meth:`AuditStore.verified_lineage`), never from the store's own query tables, which
    anyone who can write the database could edit; if those tell a different story about this
    model, the check stops with a VerificationFailed (exit 1) instead of deciding. Rules with
    ``sources`` get a snapshot of only the events those sources accept.
    """
    lineage_rules = [
        rule.params
        for policy in prepared.policies
        for rule in policy.rules
        if rule.spec.check.startswith("lineage.")
    ]
    if not lineage_rules:
        return
    from functools import partial

    from governance.lineage.snapshot import load_snapshot

    lineage = prepared.manifest.spec.lineage
    load = partial(
        load_snapshot,
        max_hops=max(getattr(params, "max_hops", 1) for params in lineage_rules),
        training_run=lineage.training_run,
        model_path=prepared.manifest.model_path,
        model_digest=prepared.digests.get("model"),
        training_datasets=[(item.namespace, item.name) for item in lineage.training_datasets],
    )
    filters = {
        sources.key: sources
        for params in lineage_rules
        if (sources := getattr(params, "sources", None)) is not None
    }
    if any(getattr(params, "sources", None) is None for params in lineage_rules):
        prepared.context.lineage = _checked_snapshot(store, load)
    for key, sources in filters.items():
        prepared.context.lineage_by_sources[key] = _filtered_snapshot(store, load, sources)


def _checked_snapshot(store: AuditStore, load: Callable[[Any], Any]) -> Any:
    """The snapshot from the verified lineage, after comparing it with the stored tables'."""
    for _ in range(LINEAGE_ATTEMPTS):
        stored = load(store)
        with store.verified_lineage() as verified:
            snapshot = load(verified)
            origins = _origins(verified, snapshot)
        if snapshot.log_size == stored.log_size:
            if snapshot != stored:
                raise VerificationFailed(
                    LINEAGE_OUT_OF_STEP.format(url=store.url), hint=LINEAGE_OUT_OF_STEP_HINT
                )
            break  # else events arrived between the two reads: read both again
    return replace(snapshot, origins=origins)


def _filtered_snapshot(store: AuditStore, load: Callable[[Any], Any], sources: Any) -> Any:
    """The snapshot of only the events ``sources`` (an ``EventSources``) accepts."""
    from governance.lineage.verified import event_filter

    accept = event_filter(
        delivered_by=sources.delivered_by,
        producers=sources.producers,
        max_delay_hours=sources.max_delay_hours,
    )
    with store.verified_lineage(accept=accept) as verified:
        snapshot = load(verified)
        return replace(snapshot, origins=_origins(verified, snapshot), left_out=verified.refused)


def _origins(verified: Any, snapshot: Any) -> dict[str, Any]:
    from governance.lineage.snapshot import RunOrigin

    return {
        run_id: RunOrigin(origin.sources, origin.delay_seconds)
        for run_id, origin in verified.origins(snapshot.run_ids()).items()
    }


def _header(prepared: PreparedCheck, clock: Callable[[], str]) -> RecordHeader:
    from governance.lineage import new_run_id

    header = record_header(prepared, new_run_id(), clock())
    if prepared.describe is None:
        return header
    return RecordHeader.model_validate(prepared.describe(header.payload()))


def record_check(
    prepared: PreparedCheck,
    store: AuditStore,
    *,
    clock: Callable[[], str] = utc_now,
    forward: Callable[[list[dict[str, Any]]], None] | None = None,
) -> dict[str, Any]:
    """Evaluate and append the run's START event, the record and its COMPLETE event at once.

    If evaluation crashes, the START and a FAIL event are recorded and an InternalError raised.
    ``forward`` receives the run's events once they are safely in the store.
    """
    from governance.approvals import load_waiver_approvals
    from governance.lineage import complete_event, fail_event, start_event

    load_lineage(prepared, store)
    load_waiver_approvals(store, prepared)
    header = _header(prepared, clock)
    started = start_event(header.payload())
    try:
        record = evaluate(prepared, header, clock=clock).payload()
    except GovernanceError:
        raise
    except Exception as exc:
        ended = {**header.payload(), "finished_at": clock()}
        failed = fail_event(ended, f"{type(exc).__name__}: {exc}")
        store.append_many([(EVENT_KIND, started), (EVENT_KIND, failed)])
        if forward is not None:
            forward([started, failed])
        raise InternalError(f"evaluation crashed: {type(exc).__name__}: {exc}") from exc
    completed = complete_event(record)
    store.append_many([(EVENT_KIND, started), (EVALUATION_KIND, record), (EVENT_KIND, completed)])
    if forward is not None:
        forward([started, completed])
    return record


def dry_check(
    prepared: PreparedCheck, store: AuditStore | None, *, clock: Callable[[], str] = utc_now
) -> dict[str, Any]:
    """Evaluate without recording anything: the record, marked ``"dry_run": true``.

    ``store`` is read for the recorded lineage when a rule has a ``lineage.*`` check, and
    nothing is appended to it.
    """
    if store is not None:
        from governance.approvals import load_waiver_approvals

        load_lineage(prepared, store)
        load_waiver_approvals(store, prepared)
    header = _header(prepared, clock)
    try:
        record = evaluate(prepared, header, clock=clock)
    except GovernanceError:
        raise
    except Exception as exc:
        raise InternalError(f"evaluation crashed: {type(exc).__name__}: {exc}") from exc
    return {**record.payload(), "dry_run": True}


DRY_RUN_REPORT = (
    "a dry run records nothing, so it has no report (a report is of a recorded evaluation)"
)
DRY_RUN_REPORT_HINT = "drop --dry-run (dry_run=True), or drop --report (report=)"


@dataclass(frozen=True)
class GateRun:
    """A whole ``governance check``: what to check, where to record it, what to report."""

    options: CheckOptions
    store_url: str
    report: Path | None = None
    sign: bool = True
    settings: Settings | None = None
    """Resolved settings; the report's signing key, chain and TSA come from them."""
    templates: Path | None = None
    warn: Callable[[str], None] | None = None
    """Where forwarding failures are reported (stderr by default)."""
    dry_run: bool = False
    """Evaluate only: nothing is recorded, forwarded or reported."""

    def __post_init__(self) -> None:
        if self.report is not None:
            object.__setattr__(self, "report", Path(self.report))
        if self.dry_run and self.report is not None:
            raise InputError(DRY_RUN_REPORT, field="report", hint=DRY_RUN_REPORT_HINT)


@dataclass(frozen=True)
class GateResult:
    """The evaluation record, the written report if asked for, and forwarding failures."""

    record: dict[str, Any]
    report: ReportResult | None = None
    forward_failures: tuple[str, ...] = ()
    recorded: bool = True
    """False for a dry run: the record is in no store."""


def run_gate(
    run: GateRun, prepare: Callable[[CheckOptions], PreparedCheck] = prepare_check
) -> GateResult:
    """Validate everything, evaluate, record, forward the events, and write the report if asked.

    Nothing is written before every input is checked: a report path that cannot be written
    (see :func:`governance.reports.check_report_targets`, a ConfigError), the signing key, the
    OpenLineage transports, the manifest, policies, waivers, data and model (``prepare``:
    :func:`prepare_check` by default), then the store URL.

    The OpenLineage transports (openlineage-python configuration) are set up before anything is
    written: a misconfigured one is an error. A transport that fails to take the events once
    they are recorded is reported through ``run.warn`` and recorded in the log as an
    ``openlineage.forward_failed`` entry; the verdict and exit code do not change.

    With ``run.dry_run`` nothing is recorded, forwarded or reported: the store is opened (never
    created) only to read the recorded lineage when a rule has a ``lineage.*`` check.
    """
    from governance.audit import AuditStore
    from governance.config import load_settings, openlineage_sink
    from governance.extras import require
    from governance.lineage.forward import FORWARD_FAILED_KIND, Forwarder
    from governance.reports import (
        check_report_targets,
        render_limits,
        signing_from_settings,
        write_report,
    )
    from governance.store.engine import check_store_url

    # a missing optional package stops here, not halfway with the store written (exit 2)
    require("gate")
    if run.report is not None:
        require("report")
    signing = limits = None
    settings = run.settings or run.options.settings or load_settings()
    if run.report is not None:  # a report that cannot be written stops everything here
        check_report_targets(run.report, sign=run.sign)
        limits = render_limits(settings)
    if run.report is not None and run.sign:
        signing = signing_from_settings(settings)
    forwarder = None if run.dry_run else Forwarder.create(openlineage_sink())
    options = run.options if run.options.settings else replace(run.options, settings=settings)
    prepared = prepare(options)
    check_store_url(run.store_url)  # after the inputs, as ever: their errors come first
    checks = {rule.spec.check for policy in prepared.policies for rule in policy.rules}
    if any(check.startswith("explainability.") for check in checks):
        require("explain")
    if run.dry_run:
        if not prepared.has_lineage_rules:
            return GateResult(record=dry_check(prepared, None), recorded=False)
        with AuditStore.open(run.store_url, create=False) as store:
            return GateResult(record=dry_check(prepared, store), recorded=False)
    failures: list[str] = []
    with AuditStore.open(run.store_url) as store:

        def forward(events: list[dict[str, Any]]) -> None:
            if forwarder is None:
                return
            for failure in forwarder.forward(events):
                failures.append(failure.message)
                (run.warn or _warn)(failure.message)
                store.append(FORWARD_FAILED_KIND, failure.as_payload())

        record = record_check(prepared, store, forward=forward)
        report = None
        if run.report is not None:
            report = write_report(
                store,
                record["evaluation_id"],
                run.report,
                signing=signing,
                templates=run.templates,
                limits=limits,
            )
    return GateResult(record=record, report=report, forward_failures=tuple(failures))


def _warn(message: str) -> None:
    import sys

    sys.stderr.write(f"Warning: {message}\n")
