"""One ``governance check``: load and validate every input, evaluate, record, report.

Every input is validated before anything is written: a bad manifest, policy, data file, model
or store URL stops the check with an :class:`~governance.errors.InputError` and an untouched store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance._version import __version__
from governance.checks.registry import CheckRegistry, default_registry
from governance.data import check_group_columns, load_evaluation_data
from governance.errors import GovernanceError, InternalError, PolicyError
from governance.evaluators.context import EvaluationContext
from governance.manifest import Manifest, load_manifest
from governance.model_artifact import predict
from governance.policy.engine import evaluate_policies
from governance.policy.loader import load_policies
from governance.policy.model import Policy, Severity, Waiver
from governance.policy.waivers import check_unique, load_waiver_files

if TYPE_CHECKING:
    from governance.reporting import ReportResult
    from governance.store import AuditStore

RECORD_SCHEMA_VERSION = 1
EVALUATION_KIND = "evaluation"
EVENT_KIND = "openlineage.event"
DIGEST_CHUNK = 1 << 20


@dataclass(frozen=True)
class CheckOptions:
    """What to check and how."""

    manifest: Path
    policies: Sequence[Path]
    trust_model: bool = False
    fail_on: Severity = Severity.HIGH
    namespace: str = "governance"
    waivers: Sequence[Path] = ()
    strict: bool = False


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


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(DIGEST_CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _check_rule_columns(policies: Sequence[Policy], columns: set[str]) -> set[str]:
    """Columns the rules name; a missing one is a PolicyError at the rule."""
    needed: set[str] = set()
    for policy in policies:
        for rule in policy.rules:
            for column in getattr(rule.params, "sensitive_features", None) or []:
                if column not in columns:
                    raise PolicyError(
                        f"rule {rule.id}: sensitive feature {column!r} is not a column of the "
                        "evaluation data",
                        path=rule.path,
                        line=rule.line,
                        column=rule.column,
                        field="params.sensitive_features",
                    )
                needed.add(column)
    return needed


def prepare_check(options: CheckOptions, registry: CheckRegistry | None = None) -> PreparedCheck:
    """Load and validate manifest, policies, data and model; compute predictions."""
    registry = registry or default_registry()
    manifest = load_manifest(options.manifest)
    policies = load_policies(options.policies, registry)
    waivers = load_waiver_files(options.waivers)
    check_unique([w for policy in policies for w in policy.waivers] + list(waivers))
    data = load_evaluation_data(manifest)
    needed = _check_rule_columns(policies, {str(c) for c in data.frame.columns})
    check_group_columns(data, sorted(needed - set(manifest.spec.data.sensitive_features)))
    predictions = predict(manifest, data, trust_model=options.trust_model)
    context = EvaluationContext(manifest=manifest, data=data, predictions=predictions)
    digests = {"data": file_digest(data.path)}
    if manifest.model_path is not None:
        digests["model"] = file_digest(manifest.model_path)
    for path in options.waivers:
        digests[f"waivers:{path}"] = file_digest(path)
    return PreparedCheck(
        options=options,
        manifest=manifest,
        policies=policies,
        context=context,
        registry=registry,
        digests=digests,
        waivers=waivers,
    )


def utc_now() -> str:
    """The current UTC time as ISO 8601 with a Z."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def record_header(prepared: PreparedCheck, evaluation_id: str, started_at: str) -> dict[str, Any]:
    """The parts of the record known before evaluation (enough for the START event)."""
    manifest = prepared.manifest
    meta = manifest.spec.metadata
    context = prepared.context
    model_path = manifest.model_path
    model_spec = manifest.spec.model
    lineage = manifest.spec.lineage.model_dump(mode="json", exclude_none=True)
    return {
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
        "manifest": {"path": str(manifest.path), "digest": manifest.digest},
        "artifacts": {
            "model": (
                {
                    "path": str(manifest.resolve(model_spec.path)),
                    "format": model_spec.format,
                    "digest": prepared.digests["model"],
                }
                if model_path is not None and model_spec is not None
                else None
            ),
            "data": {
                "path": str(context.data.path),
                "format": context.data.format,
                "digest": prepared.digests["data"],
                "rows": context.data.rows,
                "columns": context.data.columns(),
            },
        },
        "predictions": {"source": context.predictions.source},
        "lineage": lineage,
        "policies": [policy.summary() for policy in prepared.policies],
        "waiver_files": [
            {"path": str(path), "digest": prepared.digests[f"waivers:{path}"]}
            for path in prepared.options.waivers
        ],
    }


def evaluate(
    prepared: PreparedCheck,
    header: dict[str, Any],
    *,
    clock: Callable[[], str] = utc_now,
) -> dict[str, Any]:
    """Evaluate every rule; the header plus the verdict is the evaluation record."""
    verdict = evaluate_policies(
        prepared.context,
        prepared.policies,
        prepared.registry,
        fail_on=prepared.options.fail_on,
        strict=prepared.options.strict,
        waivers=prepared.waivers,
        now=datetime.fromisoformat(header["started_at"]),
    )
    return {**header, "finished_at": clock(), **verdict.as_dict()}


def run_check(
    prepared: PreparedCheck, store: AuditStore, *, clock: Callable[[], str] = utc_now
) -> dict[str, Any]:
    """Evaluate and append the run's START event, the record and its COMPLETE event at once.

    If evaluation crashes, the START and a FAIL event are recorded and an InternalError raised.
    """
    from governance.lineage import complete_event, fail_event, new_run_id, start_event

    header = record_header(prepared, new_run_id(), clock())
    started = start_event(header)
    try:
        record = evaluate(prepared, header, clock=clock)
    except GovernanceError:
        raise
    except Exception as exc:
        failed = fail_event({**header, "finished_at": clock()}, f"{type(exc).__name__}: {exc}")
        store.append_many([(EVENT_KIND, started), (EVENT_KIND, failed)])
        raise InternalError(f"evaluation crashed: {type(exc).__name__}: {exc}") from exc
    store.append_many(
        [(EVENT_KIND, started), (EVALUATION_KIND, record), (EVENT_KIND, complete_event(record))]
    )
    return record


@dataclass(frozen=True)
class GateRun:
    """A whole ``governance check``: what to check, where to record it, what to report."""

    options: CheckOptions
    store_url: str
    report: Path | None = None
    sign: bool = True
    signing_key: str | None = None
    signing_cert: str | None = None
    templates: Path | None = None


@dataclass(frozen=True)
class GateResult:
    """The evaluation record and, if one was asked for, the written report."""

    record: dict[str, Any]
    report: ReportResult | None = None


def run_gate(run: GateRun) -> GateResult:
    """Validate everything, evaluate, record, and write the report if asked."""
    from governance.reports import signing_config, write_report
    from governance.store import AuditStore

    signing = None
    if run.report is not None and run.sign:
        signing = signing_config(run.signing_key, run.signing_cert)
    prepared = prepare_check(run.options)
    with AuditStore.open(run.store_url) as store:
        record = run_check(prepared, store)
        report = None
        if run.report is not None:
            report = write_report(
                store, record["evaluation_id"], run.report, signing=signing, templates=run.templates
            )
    return GateResult(record=record, report=report)
