"""``governance monitor``: every window of a production log under the gate's policies, recorded.

Everything is checked before anything is written: manifest, policies, waivers, the baseline
evaluation and its data, the log's columns and the time order of every row. Then each window is
evaluated (:mod:`governance.monitor.evaluate`) and recorded on its own, atomically, as an
evaluation with a ``monitoring`` part linking it to the baseline, so an interrupted run resumes
where it stopped. A window whose key (manifest, policies, waivers, baseline, bounds, settings)
and rows are recorded already is not evaluated again; one whose rows changed (a late batch of
outcomes) is, and its record names the one it ``supersedes``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance._version import __version__
from governance.errors import InputError
from governance.monitor.engine_log import baseline_data, check_log_options, open_log_reader
from governance.monitor.evaluate import LogColumns, MonitorSetup, evaluate_window
from governance.monitor.windows import (
    Window,
    format_duration,
    iso,
    log_files,
    parse_duration,
    parse_time,
)

if TYPE_CHECKING:
    from governance.audit import AuditStore
    from governance.gate import CheckOptions
    from governance.manifest import Manifest
    from governance.monitor.alerts import Alert

EVALUATION_KIND = "evaluation"
EVENT_KIND = "openlineage.event"
DEFAULT_WINDOW = "7d"
NO_TIME_COLUMN = "no time column: give --time-column or the manifest's monitoring.time_column"
NO_BASELINE_OF_MODEL = "evaluation {ref} is of model {other!r}, not {model!r}"
NOT_A_GATE = "evaluation {ref} is a monitored window, not a gate evaluation"
NO_GATE = "no gate evaluation of model {model!r} in {url} to monitor against"
NO_GATE_HINT = "run `governance check` on the deployed model first, or give --baseline ID"
NOT_BASELINE_DATA = (
    "the manifest's data {path} is not the data baseline {ref} evaluated (digests differ: "
    "{found} here, {recorded} recorded)"
)
NOT_BINARY = "the monitor evaluates binary classifiers; a {task} model is not monitored yet"
ENGINE_DATA = (
    "the monitor reads the baseline's data from a file or with DuckDB: data.engine {engine} is "
    "not read"
)


@dataclass(frozen=True)
class MonitorOptions:
    """What to monitor, over which log, against which baseline, recorded where."""

    check: CheckOptions
    """The manifest, policies, waivers, fail_on and settings: as for ``governance check``."""
    log: str | None
    """The log's files (a path or glob); None with ``log_table``."""
    store_url: str
    time_column: str | None = None
    window: str | None = None
    since: str | datetime | None = None
    until: str | datetime | None = None
    baseline: str = "latest"
    webhook: str | None = None
    label_delay: str | None = None
    log_table: str | None = None
    """A Spark table holding the log, read with the settings' session."""
    log_engine: str | None = None
    """What reads the log files: arrow (default) or duckdb; spark for ``log_table``."""


@dataclass(frozen=True)
class WindowSummary:
    """One window of the run: its bounds, rows, verdict and what the run did with it."""

    index: int
    start: str
    end: str
    rows: int
    rows_with_outcome: int
    evaluation_id: str
    verdict: str
    failing: tuple[str, ...]
    """``policy/rule`` of each blocking finding."""
    status: str
    """``recorded`` (new), ``superseded`` (rows changed: recorded again) or ``unchanged``."""
    supersedes: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """For ``--format json``."""
        return {
            "index": self.index,
            "window_start": self.start,
            "window_end": self.end,
            "rows": self.rows,
            "rows_with_outcome": self.rows_with_outcome,
            "evaluation_id": self.evaluation_id,
            "verdict": self.verdict,
            "failing": list(self.failing),
            "status": self.status,
            "supersedes": self.supersedes,
        }


@dataclass(frozen=True)
class MonitorResult:
    """The windows of the run, the baseline, and the alerts raised."""

    baseline: str
    windows: tuple[WindowSummary, ...]
    alerts: tuple[Alert, ...] = ()
    alert_failures: tuple[str, ...] = ()
    sent: bool = False
    """Whether ``alerts`` went to a webhook (without one they are shown, not sent)."""

    @property
    def exit_code(self) -> int:
        """0 when every window passed, 1 when one failed."""
        return 1 if any(w.verdict != "passed" for w in self.windows) else 0

    def as_dict(self) -> dict[str, Any]:
        """For ``--format json``."""
        return {
            "baseline": self.baseline,
            "exit_code": self.exit_code,
            "windows": [w.as_dict() for w in self.windows],
            "alerts": [a.as_dict() for a in self.alerts],
            "alert_failures": list(self.alert_failures),
            "alerts_sent": self.sent,
        }


def utc_now() -> str:
    """The current UTC time as ISO 8601 with a Z (milliseconds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Ledger:
    """What the store holds already: each window key's latest evaluation, and alerts sent."""

    windows: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerted: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, store: AuditStore, baseline: str) -> Ledger:
        """The monitored windows of ``baseline`` and the alerts recorded for it."""
        from governance.monitor.alerts import ALERT_KIND

        ledger = cls()
        for entry in store.entries(kind=EVALUATION_KIND):
            record = checked(store, entry)
            part = record.get("monitoring")
            if isinstance(part, dict) and part.get("baseline") == baseline:
                ledger.windows[part["key"]] = record  # the latest per key wins
        for entry in store.entries(kind=ALERT_KIND):
            alert = checked(store, entry)
            if alert.get("baseline") == baseline:
                ledger.alerted.add(alert["key"])
        return ledger


TAMPERED = "audit entry {seq} in {url} does not match its hash"
TAMPERED_HINT = "run `governance audit verify` to check the whole log"


def checked(store: AuditStore, entry: Any) -> dict[str, Any]:
    """An entry's payload once its hash is checked: decisions read verified state only."""
    from governance.errors import VerificationFailed

    if not entry.hash_matches():
        raise VerificationFailed(TAMPERED.format(seq=entry.seq, url=store.url), hint=TAMPERED_HINT)
    payload: dict[str, Any] = entry.payload
    return payload


def prepare_monitor(
    options: MonitorOptions, store: AuditStore
) -> tuple[MonitorSetup, Any, dict[str, Any]]:
    """Validate every input and read the baseline; nothing is written.

    Returns the setup, the log reader and the baseline record.
    """
    from governance.checks.builtin import default_registry
    from governance.config import load_settings
    from governance.gate import file_digest
    from governance.manifest import load_manifest
    from governance.policy.loader import load_policies, waiver_files_in
    from governance.policy.waivers import check_unique, load_waiver_files, unique_files

    check = options.check
    settings = check.settings or load_settings()
    manifest = load_manifest(check.manifest)
    spec = manifest.spec.monitoring
    time_column = options.time_column or (spec.time_column if spec else None)
    if not time_column:
        raise InputError(NO_TIME_COLUMN, field="time_column")
    width = parse_duration(options.window or (spec.window if spec else None) or DEFAULT_WINDOW)
    delay_text = options.label_delay or (spec.label_delay if spec else None)
    delay = parse_duration(delay_text, "label_delay") if delay_text else None
    since = parse_time(options.since, "since") if options.since is not None else None
    until = parse_time(options.until, "until") if options.until is not None else None
    registry = default_registry()
    policies = load_policies(check.policies, registry)
    waiver_files = unique_files([*waiver_files_in(check.policies), *check.waivers])
    waivers = load_waiver_files(waiver_files)
    check_unique([w for policy in policies for w in policy.waivers] + list(waivers))
    task = getattr(manifest.spec.data, "task", "binary")  # data.task: on main since 'tasks'
    if task != "binary":
        raise manifest.error(NOT_BINARY.format(task=task), "data", "task")
    if manifest.spec.data.engine == "spark":
        raise manifest.error(ENGINE_DATA.format(engine=manifest.spec.data.engine), "data", "engine")
    log_engine = check_log_options(options.log, options.log_table, options.log_engine)
    if log_engine != "spark":
        log_files(options.log or "")
    baseline = _baseline(store, options.baseline, manifest)
    data_digest, reference_rows = baseline_data(manifest)
    recorded = baseline["artifacts"]["data"]["digest"]
    if data_digest != recorded:
        raise InputError(
            NOT_BASELINE_DATA.format(
                path=manifest.spec.data.path,
                ref=baseline["evaluation_id"],
                found=data_digest[:19],
                recorded=recorded[:19],
            ),
            field="baseline",
        )
    reference, columns, context = _reference(
        manifest, policies, check, settings, spec, time_column, reference_rows
    )
    lineage = _lineage(store, check, manifest, policies, registry, context, data_digest)
    reader = open_log_reader(
        log_engine,
        options.log,
        options.log_table,
        settings,
        time_column=time_column,
        columns=columns.read(),
        width=width,
        since=since,
        until=until,
        text=columns.sensitive,
        named=columns.roles(),
    )
    try:
        reader.check_columns()
        reader.check_order()
    except Exception:
        reader.close()
        raise
    setup = MonitorSetup(
        options=check,
        manifest=manifest,
        policies=policies,
        registry=registry,
        settings=settings,
        columns=columns,
        reference=reference,
        min_outcome_rows=spec.min_outcome_rows if spec else 30,
        label_delay=delay,
        waivers=waivers,
        waiver_digests={str(path): file_digest(path) for path in waiver_files},
        cel_seconds=settings.cel_budget_seconds,
        lineage=lineage,
    )
    return setup, reader, baseline


def _baseline(store: AuditStore, ref: str, manifest: Manifest) -> dict[str, Any]:
    """The gate evaluation to monitor against: by id, or ``latest``.

    ``latest`` is the newest of the manifest's model name and version that is not a window.
    """
    from governance.errors import EvaluationNotFound

    model = manifest.name
    if ref != "latest":
        record = store.get_evaluation(ref)
        other = record.get("model", {}).get("name")
        if other != model:
            raise InputError(
                NO_BASELINE_OF_MODEL.format(ref=ref, other=other, model=model), field="baseline"
            )
        if record.get("monitoring") is not None:
            raise InputError(NOT_A_GATE.format(ref=ref), field="baseline")
        return record
    found = None
    wanted = {"name": model, "version": manifest.version}
    for entry in store.entries(kind=EVALUATION_KIND):
        record = checked(store, entry)
        named = record.get("model", {})
        if all(named.get(k) == v for k, v in wanted.items()) and "monitoring" not in record:
            found = record
    if found is None:
        described = f"{model} {manifest.version}"
        raise EvaluationNotFound(NO_GATE.format(model=described, url=store.url), hint=NO_GATE_HINT)
    return store.get_evaluation(found["evaluation_id"])  # read again, hash-checked


def _reference(
    manifest: Manifest,
    policies: list[Any],
    check: CheckOptions,
    settings: Any,
    spec: Any,
    time_column: str,
    rows: Any,
) -> tuple[Any, LogColumns, Any]:
    """The baseline's data with the model's scores, the log's columns, the data's context."""
    from governance.data import to_pandas
    from governance.evaluators.inputs import load_context

    data = manifest.spec.data
    context = load_context(manifest, policies, trust_model=check.trust_model, settings=settings)
    frame = to_pandas(rows)
    prediction = (spec.prediction if spec else None) or data.prediction or "prediction"
    score = (spec.score if spec else None) or data.score
    outcome = (spec.outcome if spec else None) or data.target
    scores = context.predictions.scores
    if score and score not in frame.columns and scores is not None and len(scores) == len(frame):
        frame[score] = scores
    special = {data.target, prediction, score, outcome, time_column, data.prediction, data.score}
    features = tuple(data.features or [c for c in frame.columns if c not in special])
    columns = LogColumns(
        time=time_column,
        outcome=outcome,
        prediction=prediction,
        score=score,
        sensitive=tuple(data.sensitive_features),
        features=features,
    )
    return frame, columns, context


def _lineage(
    store: AuditStore,
    check: CheckOptions,
    manifest: Manifest,
    policies: list[Any],
    registry: Any,
    context: Any,
    digest: str,
) -> tuple[Any, dict[str, Any]]:
    """The model's recorded lineage, read once as the gate reads it, for ``lineage.*`` rules."""
    from governance.gate import PreparedCheck, file_digest, load_lineage

    if not any(r.spec.check.startswith("lineage.") for p in policies for r in p.rules):
        return None, {}
    digests = {"data": digest}
    if manifest.model_path is not None:
        digests["model"] = file_digest(manifest.model_path)
    prepared = PreparedCheck(
        options=check,
        manifest=manifest,
        policies=policies,
        context=context,
        registry=registry,
        digests=digests,
    )
    load_lineage(prepared, store)
    return context.lineage, dict(context.lineage_by_sources)


def window_key(setup: MonitorSetup, baseline: str, window: Window, options: MonitorOptions) -> str:
    """sha256 of what a window is evaluated against (not of its rows).

    The log is named from the project root, so a relative and an absolute path to it give one
    key; the tool's version is not part of it (an upgrade does not re-record every window).
    """
    from governance.canonical import canonical_json

    key = {
        "manifest": setup.manifest.digest,
        "policies": sorted(policy.digest for policy in setup.policies),
        "waivers": sorted(setup.waiver_digests.values()),
        "baseline": baseline,
        "log": _log_name(setup, options),
        "start": iso(window.start),
        "end": iso(window.end),
        "columns": setup.columns.read(),
        "fail_on": setup.options.fail_on.label,
        "strict": setup.options.strict,
        "min_outcome_rows": setup.min_outcome_rows,
        "label_delay": format_duration(setup.label_delay) if setup.label_delay else None,
    }
    return "sha256:" + hashlib.sha256(canonical_json(key).encode("utf-8")).hexdigest()


def run_monitor(
    options: MonitorOptions,
    *,
    clock: Callable[[], str] = utc_now,
    post: Callable[[str, dict[str, Any]], None] | None = None,
    progress: Callable[[WindowSummary], None] | None = None,
) -> MonitorResult:
    """Validate, then evaluate and record each window not recorded yet; alert on new failures.

    ``post`` sends one alert to the webhook (:func:`governance.monitor.alerts.post_json` by
    default); ``progress`` sees each window as it is done.
    """
    from governance.audit import AuditStore
    from governance.extras import require
    from governance.monitor.alerts import check_webhook, incidents, send_alerts
    from governance.store.engine import check_store_url

    require("gate")
    check_webhook(options.webhook)
    check_store_url(options.store_url)
    with AuditStore.open(options.store_url, create=False) as store:
        setup, reader, baseline = prepare_monitor(options, store)
        baseline_id = baseline["evaluation_id"]
        ledger = Ledger.read(store, baseline_id)
        done: list[WindowSummary] = []
        try:
            for window in reader.windows():
                summary = _window(setup, store, ledger, baseline_id, window, options, clock)
                done.append(summary)
                if progress is not None:
                    progress(summary)
        finally:
            reader.close()
        found = incidents(setup.manifest, baseline_id, done, ledger.windows)
        sent, failures = send_alerts(store, found, ledger.alerted, options.webhook, post, clock)
    return MonitorResult(
        baseline=baseline_id,
        windows=tuple(done),
        alerts=tuple(sent),
        alert_failures=failures,
        sent=options.webhook is not None,
    )


def _window(
    setup: MonitorSetup,
    store: AuditStore,
    ledger: Ledger,
    baseline: str,
    window: Window,
    options: MonitorOptions,
    clock: Callable[[], str],
) -> WindowSummary:
    """The window's summary: from its record when its rows are unchanged, else evaluated."""
    from governance.in_memory import data_digest

    key = window_key(setup, baseline, window, options)
    content = data_digest(window.table)
    previous = ledger.windows.get(key)
    if previous is not None and previous["artifacts"]["data"]["digest"] == content:
        return _summary(previous, "unchanged")
    record = record_window(setup, store, baseline, window, key, content, options, clock, previous)
    ledger.windows[key] = record
    return _summary(record, "superseded" if previous is not None else "recorded")


def _summary(record: dict[str, Any], status: str) -> WindowSummary:
    part = record["monitoring"]
    failing = tuple(
        f"{finding['policy']}/{finding['rule_id']}"
        for finding in record["findings"]
        if finding["blocking"]
    )
    return WindowSummary(
        index=part["index"],
        start=part["window_start"],
        end=part["window_end"],
        rows=part["rows"],
        rows_with_outcome=part["rows_with_outcome"],
        evaluation_id=record["evaluation_id"],
        verdict=record["verdict"],
        failing=failing,
        status=status,
        supersedes=part.get("supersedes"),
    )


def record_window(
    setup: MonitorSetup,
    store: AuditStore,
    baseline: str,
    window: Window,
    key: str,
    content: str,
    options: MonitorOptions,
    clock: Callable[[], str],
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    """Evaluate one window and append its START event, record and COMPLETE event at once."""
    from governance.lineage import complete_event, new_run_id, start_event
    from governance.record import EvaluationRecord

    started_at = clock()
    header = _header(setup, window, new_run_id(), started_at, options, content)
    result = evaluate_window(setup, window, now=datetime.fromisoformat(started_at))
    header["monitoring"] = {
        "baseline": baseline,
        "log": _log_name(setup, options),
        "time_column": setup.columns.time,
        "window": format_duration(window.end - window.start),
        "index": window.index,
        "window_start": iso(window.start),
        "window_end": iso(window.end),
        "rows": window.rows,
        "rows_with_outcome": result.rows_with_outcome,
        "label_delay": format_duration(setup.label_delay) if setup.label_delay else None,
        "key": key,
        **({"supersedes": previous["evaluation_id"]} if previous is not None else {}),
    }
    record = EvaluationRecord.model_validate(
        {**header, "finished_at": clock(), **result.verdict.as_dict()}
    ).payload()
    started = start_event(record)
    store.append_many(
        [(EVENT_KIND, started), (EVALUATION_KIND, record), (EVENT_KIND, complete_event(record))]
    )
    return record


def _log_name(setup: MonitorSetup, options: MonitorOptions) -> str:
    """The log as the record names it: relative to the project root, never absolute."""
    from governance.paths import portable_name

    if options.log_table is not None:
        return f"table:{options.log_table}"
    log = options.log or ""
    if any(char in log for char in "*?["):
        parent = Path(log).parent
        return f"{portable_name(parent, setup.manifest.root)}/{Path(log).name}"
    return portable_name(log, setup.manifest.root)


def _header(
    setup: MonitorSetup,
    window: Window,
    evaluation_id: str,
    started_at: str,
    options: MonitorOptions,
    content: str,
) -> dict[str, Any]:
    """The record's header: the model, its manifest, the window's rows as the data."""
    from governance.checks.params import evaluation_intervals
    from governance.record import RECORD_SCHEMA_VERSION

    manifest = setup.manifest
    meta = manifest.spec.metadata
    if options.log_table is not None:
        fmt = "table"
    else:
        fmt = "parquet" if log_files(options.log or "")[0].suffix == ".parquet" else "csv"
    from governance.data import to_pandas

    dtypes = to_pandas(window.table.schema.empty_table()).dtypes  # as the gate: pandas dtypes
    columns = [{"name": str(name), "type": str(kind)} for name, kind in dtypes.items()]
    return {
        "schema_version": RECORD_SCHEMA_VERSION,
        "evaluation_id": evaluation_id,
        "started_at": started_at,
        "tool": {"name": "governance", "version": __version__},
        "namespace": setup.options.namespace,
        "model": {
            "name": meta.name,
            "version": meta.version,
            "owner": meta.owner,
            "risk_tier": meta.risk_tier,
            "intended_use": meta.intended_use,
        },
        "manifest": {
            "path": manifest.name_of(manifest.path, manifest.digest),
            "digest": manifest.digest,
        },
        "artifacts": {
            "model": None,
            "data": {
                "path": _log_name(setup, options),
                "format": fmt,
                "digest": content,
                "rows": window.rows,
                "columns": columns,
            },
        },
        "predictions": {"source": f"column {setup.columns.prediction}"},
        "lineage": manifest.spec.lineage.model_dump(mode="json", exclude_none=True),
        "policies": [policy.summary() for policy in setup.policies],
        "waiver_files": [
            {"path": manifest.name_of(path), "digest": digest}
            for path, digest in setup.waiver_digests.items()
        ],
        "intervals": evaluation_intervals(),
    }
