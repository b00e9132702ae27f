"""One window of a production log, evaluated under the policies exactly as the gate evaluates.

A window is seen twice. Rules that read no outcome (drift, selection rates, group sizes,
documentation) see every decision of the window; rules that read outcomes (error rates,
equalized odds, accuracy, calibration) see only the decisions whose outcome has arrived, and are
``insufficient`` when fewer than ``min_outcome_rows`` have. Each view is written to a private
Parquet file and read through the gate's own path (:func:`governance.evaluators.inputs.
load_context`, the check registry, :func:`governance.policy.engine.evaluate_rule`, waivers and
required policies), so a window's findings mean what a gate's findings mean.

In the view of every decision the outcome column is not read: it holds the decision itself, so
the confusion counts a finding would carry are meaningless there and are left out of its
evidence.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.errors import DataError, GovernanceError, ManifestError
from governance.evaluators.context import EvaluationContext
from governance.evaluators.inputs import load_context
from governance.manifest import Manifest, ManifestSpec
from governance.policy.engine import (
    Facts,
    GateSettings,
    Verdict,
    all_waivers,
    evaluate_rule,
    run_check,
)
from governance.policy.model import Finding, Measurement, Outcome, Policy, Rule, Waiver

if TYPE_CHECKING:
    from governance.checks.registry import CheckRegistry
    from governance.config import Settings
    from governance.gate import CheckOptions
    from governance.monitor.windows import Window

OUTCOME_FREE_PREFIXES = ("drift.", "documentation.", "lineage.")
GATE_ONLY_PREFIXES = ("explainability.",)
GATE_ONLY = "explains the model, which the gate did: the monitor judges the decisions of the log"
DECISION_CHECKS = frozenset(
    {
        "fairness.demographic_parity_difference",
        "fairness.demographic_parity_ratio",
        "fairness.min_group_size",
    }
)
DECISION_METRICS = frozenset({"count", "selection_rate", "mean_prediction"})
TOO_FEW_OUTCOMES = (
    "{arrived} of the window's {rows} decisions have their outcome (at least {needed} needed{due})"
)
NO_POSITIVE_OUTCOME = "no arrived outcome of the window is {label!r}"
NO_POSITIVE_DECISION = "no decision of the window is {label!r}"
VIEW_FILE = "window.parquet"


def reads_outcomes(rule: Rule) -> bool:
    """Whether a rule's check reads outcomes (true for a check type it does not know)."""
    check = rule.spec.check
    if check.startswith(OUTCOME_FREE_PREFIXES) or check in DECISION_CHECKS:
        return False
    if check in ("fairness.metric_difference", "fairness.metric_ratio", "performance.metric"):
        return getattr(rule.params, "metric", None) not in DECISION_METRICS
    return True


@dataclass(frozen=True)
class LogColumns:
    """The log's columns the monitor reads, by role."""

    time: str
    outcome: str
    prediction: str
    score: str | None
    sensitive: tuple[str, ...]
    features: tuple[str, ...]

    def read(self) -> list[str]:
        """Every column read besides the time: features, groups, decision, score, outcome."""
        named = [*self.features, *self.sensitive, self.prediction, self.outcome]
        return list(dict.fromkeys([*named, *([self.score] if self.score else [])]))

    def roles(self) -> dict[str, str]:
        """Why each column is needed, for the error naming a missing one."""
        roles = {name: "model input" for name in self.features}
        roles.update({name: "sensitive feature" for name in self.sensitive})
        roles[self.prediction] = "prediction"
        roles[self.outcome] = "outcome"
        if self.score:
            roles[self.score] = "score"
        return roles


@dataclass(frozen=True)
class MonitorSetup:
    """Everything validated once, before any window: manifest, policies, waivers, reference."""

    options: CheckOptions
    manifest: Manifest
    policies: list[Policy]
    registry: CheckRegistry
    settings: Settings
    columns: LogColumns
    reference: Any
    """The baseline's evaluation data as a DataFrame, with the baseline model's scores."""
    min_outcome_rows: int
    label_delay: Any = None
    """A timedelta, or None when the manifest declares none."""
    waivers: tuple[Waiver, ...] = ()
    waiver_digests: dict[str, str] = field(default_factory=dict)
    cel_seconds: float = 1.0
    lineage: tuple[Any, dict[str, Any]] = (None, {})
    """The model's recorded lineage and its views by sources, read once for ``lineage.*``."""


@dataclass(frozen=True)
class WindowResult:
    """The verdict of a window and how many of its decisions have their outcome."""

    verdict: Verdict
    rows_with_outcome: int


def outcome_arrived(table: Any, column: str) -> Any:
    """A boolean numpy mask of the rows whose outcome is present (not empty)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values = table.column(column)
    present = pc.is_valid(values)
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        present = pc.and_(present, pc.not_equal(pc.utf8_trim_whitespace(values), ""))
    elif pa.types.is_floating(values.type):
        present = pc.and_(present, pc.invert(pc.is_nan(values)))
    return np.asarray(pc.fill_null(present, False).to_numpy(zero_copy_only=False), dtype=bool)


def evaluate_window(setup: MonitorSetup, window: Window, *, now: datetime) -> WindowResult:
    """Every rule of every policy on ``window``, waivers applied, as one verdict."""
    import pyarrow as pa

    columns = setup.columns
    table = (
        window.table.drop_columns([columns.time])
        if columns.time in window.table.column_names
        else window.table
    )
    arrived = outcome_arrived(table, columns.outcome)
    decisions = table.set_column(
        table.column_names.index(columns.outcome), columns.outcome, _as_outcome(table, columns)
    )
    outcomes = table.filter(pa.array(arrived))
    rules = [rule for policy in setup.policies for rule in policy.rules]
    gate = GateSettings(
        fail_on=setup.options.fail_on, strict=setup.options.strict, cel_seconds=setup.cel_seconds
    )
    judged = [rule for rule in rules if not rule.spec.check.startswith(GATE_ONLY_PREFIXES)]
    with tempfile.TemporaryDirectory(prefix="governance-monitor-") as folder:
        decision_view: EvaluationContext | str = "no rule reads every decision"
        if any(not reads_outcomes(rule) for rule in judged):
            decision_view = _view(
                setup, decisions, Path(folder) / "decisions", NO_POSITIVE_DECISION, window.index + 1
            )
        if not any(reads_outcomes(rule) for rule in judged):
            outcome_view: EvaluationContext | str = "no rule reads outcomes"
        elif int(arrived.sum()) < setup.min_outcome_rows:
            due = ""
            if setup.label_delay is not None:
                due = f"; outcomes arrive {_days(setup.label_delay)} after a decision"
            outcome_view = TOO_FEW_OUTCOMES.format(
                arrived=int(arrived.sum()), rows=window.rows, needed=setup.min_outcome_rows, due=due
            )
        else:
            outcome_view = _view(
                setup, outcomes, Path(folder) / "outcomes", NO_POSITIVE_OUTCOME, window.index + 1
            )
        spec = setup.manifest.spec
        data = spec.data.model_dump(mode="json", exclude={"path", "format"})
        facts = Facts(
            model=spec.metadata.model_dump(mode="json"), data={**data, "rows": window.rows}
        )
        findings = []
        for rule in rules:
            if rule.spec.check.startswith(GATE_ONLY_PREFIXES):
                findings.append(_skipped(rule))
                continue
            uses_outcomes = reads_outcomes(rule)
            view = outcome_view if uses_outcomes else decision_view
            measure = partial(_measure, rule, view, setup.registry, strip=not uses_outcomes)
            findings.append(evaluate_rule(rule, measure, facts, gate))
    from governance.policy.required import require_policies
    from governance.policy.waivers import apply_waivers

    meta = spec.metadata
    waived, reports = apply_waivers(
        findings,
        all_waivers(setup.policies, setup.waivers),
        model=meta.name,
        version=meta.version,
        now=now,
    )
    verdict = Verdict(
        findings=tuple(waived),
        fail_on=setup.options.fail_on,
        strict=setup.options.strict,
        waivers=tuple(reports),
    )
    verdict = require_policies(verdict, setup.policies, meta.risk_tier, setup.settings)
    return WindowResult(verdict=verdict, rows_with_outcome=int(arrived.sum()))


def _skipped(rule: Rule) -> Finding:
    """A rule the monitor does not evaluate, skipped with its reason (it never blocks)."""
    return Finding(
        rule=rule,
        outcome=Outcome.SKIPPED,
        measured=None,
        message=f"skipped: {GATE_ONLY}",
        blocking=False,
        skip_reason=GATE_ONLY,
    )


def _days(delay: Any) -> str:
    from governance.monitor.windows import format_duration

    return format_duration(delay)


def _as_outcome(table: Any, columns: LogColumns) -> Any:
    """The decisions in the outcome column's type (the view of every decision)."""
    decision = table.column(columns.prediction)
    target_type = table.column(columns.outcome).type
    import pyarrow as pa

    if target_type == decision.type or pa.types.is_null(target_type):
        return decision
    try:
        return decision.cast(target_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return decision


def _measure(
    rule: Rule,
    view: EvaluationContext | str,
    registry: CheckRegistry,
    *,
    strip: bool,
) -> Measurement:
    if isinstance(view, str):
        return Measurement(insufficient=view)
    measurement = run_check(rule, view, registry)
    if strip and rule.spec.check.startswith("fairness."):
        return replace(measurement, evidence=_without_confusion(measurement.evidence))
    return measurement


def _without_confusion(evidence: Any) -> Any:
    """``evidence`` without the ``counts`` (confusion cells) of its groups."""
    if isinstance(evidence, dict):
        return {
            key: _without_confusion(value)
            for key, value in evidence.items()
            if not (key == "counts" and isinstance(value, dict) and "tp" in value)
        }
    if isinstance(evidence, list):
        return [_without_confusion(item) for item in evidence]
    return evidence


def _view(
    setup: MonitorSetup, table: Any, folder: Path, no_positive: str, look: int
) -> EvaluationContext | str:
    """The rows as an evaluation context read like the gate's data; or why they cannot be."""
    import pyarrow.parquet as pq

    folder.mkdir()
    label = setup.manifest.spec.data.positive_label
    if not _holds(table, setup.columns.outcome, label):
        return no_positive.format(label=label)
    pq.write_table(table, folder / VIEW_FILE)
    manifest = view_manifest(setup, folder)
    try:
        context = load_context(manifest, setup.policies, trust_model=False, settings=setup.settings)
    except (DataError, ManifestError) as exc:
        return f"the window's rows cannot be evaluated: {exc.message}"
    context.settings = setup.settings
    context.reference = setup.reference
    context.look = look
    context.lineage, context.lineage_by_sources = setup.lineage[0], dict(setup.lineage[1])
    return context


def _holds(table: Any, column: str, label: Any) -> bool:
    from governance.data import matches_label

    values = table.column(column).to_pandas()
    try:
        return bool(matches_label(values, label).any())
    except GovernanceError:
        return True  # let the gate's reader say what is wrong


def view_manifest(setup: MonitorSetup, folder: Path) -> Manifest:
    """The manifest of a view: the model's, with the window's file as data and no model file."""
    from governance.validation import validate_document
    from governance.yaml_source import LocatedDict

    spec = setup.manifest.spec
    columns = setup.columns
    data: dict[str, Any] = {
        "path": VIEW_FILE,
        "format": "parquet",
        "target": columns.outcome,
        "positive_label": spec.data.positive_label,
        "prediction": columns.prediction,
        "features": list(columns.features),
        "sensitive_features": list(spec.data.sensitive_features),
    }
    if columns.score:
        data["score"] = columns.score
    document = {
        "apiVersion": "governance/v1",
        "kind": "Model",
        "metadata": spec.metadata.model_dump(mode="json", exclude_none=True),
        "data": data,
        "lineage": spec.lineage.model_dump(mode="json", exclude_none=True),
        "documentation": _plain(spec.documentation),
    }
    located = LocatedDict(document)
    path = folder / "manifest.yaml"
    validated = validate_document(ManifestSpec, located, path=path, error=ManifestError)
    return Manifest(path=path, spec=validated, digest=setup.manifest.digest, document=located)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
