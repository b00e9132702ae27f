"""The Python API: :func:`check`, :func:`evaluate_model` and :func:`write_report`.

``governance check`` is a thin layer over :func:`check` (the same function, with the command's
output formats); docs/python-api.md says what is public and stable. Every argument is checked
before anything is written: a bad value is the one-line :class:`~governance.errors.InputError`
the CLI prints (exit code 2), and the audit store is left as it was.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.errors import ConfigError, InputError

if TYPE_CHECKING:
    from governance.approvals import Approval, ApprovalStatus
    from governance.config import Settings
    from governance.gate import CheckOptions, PreparedCheck
    from governance.policy.model import Severity
    from governance.reporting import ReportResult
    from governance.reporting.formats.output import OutputTarget
    from governance.results import Evaluation

PathLike = str | Path
Policies = PathLike | Sequence[PathLike]
NOT_RECORDED = "evaluation {id} was a dry run: it is in no store, so it has no report"
NOT_RECORDED_HINT = "run it again with dry_run=False"
ATTESTATION_UNSIGNED = "--attestation needs a signed report: an unsigned report has no attestation"
ATTESTATION_UNSIGNED_HINT = "drop --no-sign, or drop --attestation"
NOT_A_PATH = "must be a file path (str or pathlib.Path), found {type}"


def _print(text: str) -> None:
    sys.stdout.write(text)


@dataclass(frozen=True)
class Outputs:
    """Output formats to write after evaluating: ``governance check --format/--output``.

    ``specs`` are ``FORMAT`` or ``FORMAT=FILE`` (docs/outputs.md); a format without a file goes
    to ``output`` if given, else to ``stdout``. Every target is checked before evaluation.
    """

    specs: Sequence[str] = ()
    output: Path | None = None
    stdout: Callable[[str], None] = _print
    color: bool = False
    environ: Mapping[str, str] | None = None
    warn: Callable[[str], None] | None = None


def _path(value: Any, name: str) -> Path:
    if not isinstance(value, str | Path):
        raise InputError(NOT_A_PATH.format(type=type(value).__name__), field=name)
    return Path(value)


def _baseline(value: Any) -> Path | str | None:
    """``baseline``: a registered model's ``models:/`` URI as given, else a manifest's path."""
    if value is None or (isinstance(value, str) and value.startswith("models:/")):
        return value
    return _path(value, "baseline")


def _paths(value: Any, name: str) -> list[PathLike]:
    items = [value] if isinstance(value, str | Path) else value
    if not isinstance(items, Sequence) or not all(isinstance(i, str | Path) for i in items):
        raise InputError(NOT_A_PATH.format(type=type(value).__name__), field=name)
    return list(items)


def _store_url(store: str | Path | None, settings: Settings) -> str:
    """``store``: a URL (str), a SQLite file (Path), or None for the configured store."""
    from governance.store.url import sqlite_url_for

    if store is None:
        return settings.store_url
    if isinstance(store, Path):
        return sqlite_url_for(store)
    if not isinstance(store, str):
        raise InputError(NOT_A_PATH.format(type=type(store).__name__), field="store")
    return store


def resolve_settings(settings: Settings | None, config: PathLike | None) -> Settings:
    """``settings`` if given, else the configured ones (``config``, or ./governance.yml)."""
    from governance.config import load_settings

    if settings is not None:
        return settings
    return load_settings(config_file=None if config is None else _path(config, "config"))


def plan_check_outputs(
    outputs: Outputs, *, report: Path | None, sign: bool, vsa: Path | None = None
) -> list[OutputTarget]:
    """The files and stdout document a check writes; a ConfigError for any that cannot be.

    No ``specs`` means no output (the CLI asks for ``text`` when no ``--format`` is given).
    The report and, when signed, its attestation, and the VSA and its bundle, are files no
    format may overwrite, nor each other.
    """
    also_written: dict[Path, str] = {}
    if report is not None:
        from governance.reporting.issue import attestation_path

        also_written[report] = "the report"
        if sign:
            also_written[attestation_path(report)] = "the report's attestation"
    if vsa is not None:
        from governance.deploy.issue import add_vsa_files

        add_vsa_files(also_written, vsa)
    if not outputs.specs and outputs.output is None:
        return []
    from governance.reporting.formats.output import plan_outputs

    return plan_outputs(outputs.specs, outputs.output, also_written=also_written)


def run(
    options: CheckOptions,
    *,
    store: str,
    report: Path | None,
    sign: bool,
    dry_run: bool,
    outputs: Outputs,
    prepare: Callable[[CheckOptions], PreparedCheck] | None = None,
    vsa: Path | None = None,
    vsa_image: str | None = None,
    baseline: Path | str | None = None,
    promote: str | None = None,
) -> tuple[Evaluation, ReportResult | None]:
    """Plan the outputs, run the gate, write the outputs: what :func:`check` does.

    With ``vsa``, the signed SLSA VSA of the verdict is written there (and its Sigstore
    bundle beside it; docs/deploy-gate.md), PASSED or FAILED; its path and signing key are
    checked before the gate runs.

    A manifest's ``model.uri`` is read from the MLflow registry; once recorded, the verdict
    is written back to the version as tags, and ``promote`` (an alias) moved to it on a pass
    (docs/registry.md). What happened to the alias goes to ``outputs.warn``.

    Returns
    -------
    tuple
        The :class:`Evaluation` and the report written (``None`` without one).
    """
    from governance.gate import GateRun, run_gate
    from governance.registry.sink import check_promote
    from governance.reporting.formats.output import write_outputs
    from governance.results import Evaluation

    check_promote(promote, dry_run=dry_run)

    gate_run = GateRun(
        options=options,
        store_url=store,
        report=report,
        sign=sign,
        settings=options.settings,
        dry_run=dry_run,
    )
    targets = plan_check_outputs(outputs, report=gate_run.report, sign=sign, vsa=vsa)
    pending: list[list[dict[str, Any]]] = []
    prepare = prepare or _model_source(promote=promote, pending=pending)
    vsa_plan = None
    if vsa is not None:
        from governance.config import load_settings
        from governance.deploy.issue import needs_model_artifact, plan_vsa
        from governance.deploy.vsa import parse_image_digest

        image = None if vsa_image is None else parse_image_digest(vsa_image, "vsa_image")
        settings = options.settings or load_settings()
        vsa_plan = plan_vsa(vsa, settings, image=image, dry_run=dry_run)
        prepare = needs_model_artifact(prepare)
    if baseline is not None:
        from governance.challenger import with_baseline

        prepare = with_baseline(baseline, prepare)
    result = run_gate(gate_run, _then_record_training(prepare, pending, store, dry_run=dry_run))
    if vsa_plan is not None:
        from governance.deploy.issue import write_vsa

        write_vsa(result.record, vsa_plan)
    written = result.report
    evaluation = Evaluation.from_record(
        result.record,
        recorded=result.recorded,
        report=None if written is None else Path(written.path),
        forward_failures=result.forward_failures,
    )
    if targets:
        write_outputs(
            result.record,
            targets,
            stdout=outputs.stdout,
            color=outputs.color,
            environ=outputs.environ,
            warn=outputs.warn,
        )
    if result.recorded and result.record.get("registry") is not None:
        _write_back(result.record, options, written, promote, outputs.warn)
    return evaluation, written


def _model_source(
    *, promote: str | None, pending: list[list[dict[str, Any]]]
) -> Callable[[CheckOptions], PreparedCheck]:
    """The gate's ``prepare``: a manifest's ``model.uri`` read from the registry.

    The lineage events of the MLflow run that logged a registered version go to ``pending``:
    :func:`_then_record_training` records them once every input (the baseline's too) is valid.
    """
    from governance.registry.source import prepare_model_source

    def prepare(options: CheckOptions) -> PreparedCheck:
        return prepare_model_source(options, promote=promote, record_training=pending.append)

    return prepare


def _then_record_training(
    prepare: Callable[[CheckOptions], PreparedCheck],
    pending: list[list[dict[str, Any]]],
    store: str,
    *,
    dry_run: bool,
) -> Callable[[CheckOptions], PreparedCheck]:
    """``prepare``, then the registered model's training run recorded (not in a dry run).

    Recorded before the check, so ``lineage.*`` rules find the run on the first check.
    """

    def prepared_and_recorded(options: CheckOptions) -> PreparedCheck:
        from governance.audit import AuditStore
        from governance.store.engine import check_store_url

        prepared = prepare(options)
        events = [event for batch in pending for event in batch]
        if events and not dry_run:
            check_store_url(store)
            with AuditStore.open(store) as opened:
                opened.append_events(events)
        return prepared

    return prepared_and_recorded


def _write_back(
    record: dict[str, Any],
    options: CheckOptions,
    written: ReportResult | None,
    promote: str | None,
    warn: Callable[[str], None] | None,
) -> None:
    """Tag the registered version with the recorded verdict; move ``promote`` on a pass."""
    from governance.config import load_settings
    from governance.registry.mlflow import tracking_uri
    from governance.registry.sink import write_back

    settings = options.settings or load_settings()
    facts = record["registry"]
    tracking = tracking_uri(settings.mlflow_tracking_uri, facts["uri"])
    digest = None if written is None else written.sha256
    done = write_back(record, tracking, report_digest=digest, promote=promote)
    message = done.message(facts["name"], facts["version"])
    if message is not None and warn is not None:
        warn(message)


def _options(
    manifest: Any,
    policies: Any,
    *,
    waivers: Any,
    fail_on: str | Severity | None,
    strict: bool,
    trust_model: bool,
    namespace: str | None,
    settings: Settings,
) -> CheckOptions:
    from governance.gate import CheckOptions, parse_fail_on

    return CheckOptions(
        manifest=_path(manifest, "manifest"),
        policies=_paths(policies, "policies"),
        trust_model=bool(trust_model),
        fail_on=parse_fail_on(fail_on if fail_on is not None else settings.fail_on),
        namespace=namespace or settings.namespace,
        waivers=[Path(w) for w in _paths(waivers, "waivers")],
        strict=bool(strict),
        settings=settings,
    )


def check(
    manifest: PathLike,
    policies: Policies,
    *,
    waivers: PathLike | Sequence[PathLike] = (),
    fail_on: str | Severity | None = None,
    store: str | Path | None = None,
    report: PathLike | None = None,
    dry_run: bool = False,
    strict: bool = False,
    trust_model: bool = False,
    namespace: str | None = None,
    sign: bool = True,
    outputs: Sequence[str] = (),
    config: PathLike | None = None,
    settings: Settings | None = None,
    vsa: PathLike | None = None,
    vsa_image: str | None = None,
    baseline: PathLike | None = None,
    promote: str | None = None,
) -> Evaluation:
    """Evaluate a manifest's model against policies, record it, and return the result.

    Parameters
    ----------
    manifest
        The model manifest (``kind: Model``), a path.
    policies
        A policy file, a folder of policies, or ``"pack:NAME"`` (a shipped pack); or a list.
    waivers
        Waivers files (``kind: Waivers``); those in a policy folder apply too.
    fail_on
        The lowest severity whose failure blocks: ``critical``, ``high``, ``medium``, ``low``
        or ``info``. Default: the setting ``fail_on`` (``high`` unless ``GOVERNANCE_FAIL_ON``
        or governance.yml says otherwise).
    store
        The audit store: a URL (``sqlite:///audit.db``, ``postgresql+psycopg://...``) or a
        :class:`~pathlib.Path` to a SQLite file. Default: the configured store, as the CLI
        (``GOVERNANCE_STORE_URL``, governance.yml, ``.governance/audit.db``).
    report
        Also write the signed PDF report of the evaluation here (needs the ``report`` extra).
    dry_run
        Evaluate only: nothing is recorded (no log entry, no lineage event), forwarded or
        reported, and every output says ``dry run: not recorded``. ``report`` is refused.
    strict
        Every failing finding blocks, warnings included.
    trust_model
        Load joblib/pickle models and skops types outside the audited list (runs code from
        the file).
    namespace
        The OpenLineage job namespace. Default: the setting ``namespace``.
    sign
        Sign the report (PAdES) and write its attestation.
    outputs
        Output formats to write, ``FORMAT=FILE`` (or ``FORMAT`` for stdout), as
        ``--format``; none by default.
    config
        A settings file instead of ./governance.yml.
    settings
        Resolved settings (:func:`governance.config.load_settings`), instead of ``config``.
    vsa
        Also write the signed SLSA Verification Summary Attestation of the verdict here (a
        DSSE envelope; its Sigstore bundle beside it as ``NAME.sigstore.json``), signed with
        the configured signing key: PASSED or FAILED (docs/deploy-gate.md).
    vsa_image
        A container image serving the model, ``NAME@sha256:HEX``, as a second VSA subject.
    baseline
        The champion: its manifest (its data must be the challenger's) or a registered
        version (``models:/NAME@champion``, read on the challenger's rows); its model
        predicts the same rows, for the ``comparison.*`` checks (docs/challenger.md).
    promote
        An alias of the registered model (``model.uri``) to move to the gated version when
        the gate passes (``--promote``; docs/registry.md). Refused with ``dry_run``.

    Returns
    -------
    Evaluation
        The verdict, exit code and findings; ``recorded`` is False for a dry run.

    Raises
    ------
    InputError
        For any bad argument or input (exit code 2), before anything is written.
    VerificationFailed
        If the store's lineage tables disagree with its log (lineage checks only).
    """
    resolved = resolve_settings(settings, config)
    options = _options(
        manifest,
        policies,
        waivers=waivers,
        fail_on=fail_on,
        strict=strict,
        trust_model=trust_model,
        namespace=namespace,
        settings=resolved,
    )
    evaluation, _ = run(
        options,
        store=_store_url(store, resolved),
        report=None if report is None else _path(report, "report"),
        sign=sign,
        dry_run=bool(dry_run),
        outputs=Outputs(specs=tuple(outputs)),
        vsa=None if vsa is None else _path(vsa, "vsa"),
        vsa_image=vsa_image,
        baseline=_baseline(baseline),
        promote=promote,
    )
    return evaluation


def evaluate_model(
    model: Any,
    data: Any,
    *,
    target: str,
    sensitive_features: str | Sequence[str],
    policies: Policies,
    positive_label: Any = None,
    predictions: str | None = None,
    name: str | None = None,
    version: str = "0.0.0",
    owner: str = "unknown",
    risk_tier: str = "high",
    intended_use: str = "evaluated in memory with governance.evaluate_model",
    documentation: Mapping[str, Any] | None = None,
    waivers: PathLike | Sequence[PathLike] = (),
    fail_on: str | Severity | None = None,
    strict: bool = False,
    store: str | Path | None = None,
    dry_run: bool = True,
    namespace: str | None = None,
    config: PathLike | None = None,
    settings: Settings | None = None,
) -> Evaluation:
    """Evaluate a fitted estimator on a pandas DataFrame: no files, the same checks.

    The DataFrame and the model are checked, then evaluated exactly as :func:`check` would
    evaluate them from files. By default this is a **dry run**: a notebook's trials are not
    appended to the audit log. With ``dry_run=False`` the record is appended, naming
    ``memory:`` sources and content digests of the data and model (docs/python-api.md).

    Parameters
    ----------
    model
        A fitted estimator with ``predict`` (``predict_proba`` for score-based checks); or
        ``None`` with ``predictions``.
    data
        The evaluation data, a :class:`pandas.DataFrame` with the target, the sensitive
        features and the model's input columns.
    target, sensitive_features
        Column names.
    policies
        As for :func:`check`.
    positive_label
        The target's favourable value; default ``True`` or ``1`` when the target holds it.
    predictions
        A column of predictions to evaluate instead of the model's.
    name, version, owner, risk_tier, intended_use, documentation
        What a manifest's ``metadata`` and ``documentation`` would say; ``name`` defaults to
        the model's class name. ``risk_tier`` is ``high`` unless given, so rules that apply
        to high-risk models apply.
    waivers, fail_on, strict, store, namespace, config, settings
        As for :func:`check`.
    dry_run
        ``True`` by default: nothing is recorded.

    Returns
    -------
    Evaluation
        As :func:`check` returns.

    Raises
    ------
    InputError
        Naming the argument at fault (``target``, ``sensitive_features``, ``model``, ...),
        before anything is written.
    """
    from governance.in_memory import prepare_in_memory

    resolved = resolve_settings(settings, config)
    groups = [sensitive_features] if isinstance(sensitive_features, str) else sensitive_features
    metadata = {
        "name": name or type(model).__name__,
        "version": version,
        "owner": owner,
        "risk_tier": risk_tier,
        "intended_use": intended_use,
    }
    with tempfile.TemporaryDirectory(prefix="governance-") as folder:
        options = _options(
            Path(folder) / "manifest.yaml",
            policies,
            waivers=waivers,
            fail_on=fail_on,
            strict=strict,
            trust_model=False,
            namespace=namespace,
            settings=resolved,
        )

        def prepare(options: CheckOptions) -> PreparedCheck:
            return prepare_in_memory(
                options,
                model,
                data,
                Path(folder),
                target=target,
                sensitive_features=list(groups),
                positive_label=positive_label,
                predictions=predictions,
                metadata=metadata,
                documentation=documentation,
            )

        evaluation, _ = run(
            options,
            store=_store_url(store, resolved),
            report=None,
            sign=False,
            dry_run=bool(dry_run),
            outputs=Outputs(),
            prepare=prepare,
        )
    return evaluation


@dataclass(frozen=True)
class _ReportTarget:
    """Where a report goes and how it is issued, checked before anything is rendered."""

    out: Path
    attestation: Path | None
    signing: Any
    limits: Any
    url: str
    settings: Any = None


def _report_target(
    path: PathLike,
    attestation: PathLike | None,
    sign: bool,
    store: str | Path | None,
    config: PathLike | None,
    settings: Settings | None,
) -> _ReportTarget:
    """The checked output paths, signing material, render limits and store of a report."""
    from governance.reports import check_report_targets, render_limits, signing_from_settings

    out = _path(path, "path")
    extra = None if attestation is None else _path(attestation, "attestation")
    if extra is not None and not sign:
        raise ConfigError(ATTESTATION_UNSIGNED, hint=ATTESTATION_UNSIGNED_HINT)
    check_report_targets(out, sign=sign, attestation=extra)
    resolved = resolve_settings(settings, config)
    return _ReportTarget(
        out=out,
        attestation=extra,
        signing=signing_from_settings(resolved) if sign else None,
        limits=render_limits(resolved),
        url=_store_url(store, resolved),
        settings=resolved,
    )


def write_report(
    evaluation: Evaluation | str,
    path: PathLike,
    *,
    store: str | Path | None = None,
    sign: bool = True,
    model: str | None = None,
    templates: PathLike | None = None,
    attestation: PathLike | None = None,
    config: PathLike | None = None,
    settings: Settings | None = None,
) -> ReportResult:
    """Write the PDF report of a recorded evaluation, and record that it was written.

    The report is rendered from the audit store's copy of the record (never a re-evaluation),
    signed (PAdES) with its in-toto attestation beside it unless ``sign=False``, and a
    ``report`` entry is appended to the log. ``governance report`` is this function.

    Parameters
    ----------
    evaluation
        An :class:`Evaluation` that was recorded, an evaluation id, or ``"latest"``.
    path
        The PDF to write (its folder must exist).
    store, config, settings
        As for :func:`check`.
    sign
        Sign the report and write its attestation.
    model
        With ``"latest"``: the latest evaluation of this model.
    templates
        A template folder overriding the default theme.
    attestation
        Where to write the attestation; default beside the PDF (``NAME.intoto.json``).

    Returns
    -------
    ReportResult
        The files written, their digests and the signer.

    Raises
    ------
    InputError
        A dry run's evaluation, a path that cannot be written, a missing key, an unknown
        evaluation; nothing is written then.
    """
    from governance.audit import AuditStore
    from governance.extras import require
    from governance.reports import write_report as record_report
    from governance.results import Evaluation

    require("report")
    if isinstance(evaluation, Evaluation):
        if not evaluation.recorded:
            raise InputError(
                NOT_RECORDED.format(id=evaluation.evaluation_id), hint=NOT_RECORDED_HINT
            )
        evaluation_id = evaluation.evaluation_id
    else:
        evaluation_id = str(evaluation)
    target = _report_target(path, attestation, sign, store, config, settings)
    out, extra = target.out, target.attestation
    with AuditStore.open(target.url, create=False) as opened:
        return record_report(
            opened,
            evaluation_id,
            out,
            signing=target.signing,
            templates=None if templates is None else _path(templates, "templates"),
            model=model,
            attestation=extra,
            limits=target.limits,
            approval_settings=target.settings,
        )


def write_monitoring_report(
    baseline: str,
    path: PathLike,
    *,
    since: str | None = None,
    until: str | None = None,
    store: str | Path | None = None,
    sign: bool = True,
    model: str | None = None,
    templates: PathLike | None = None,
    attestation: PathLike | None = None,
    config: PathLike | None = None,
    settings: Settings | None = None,
) -> ReportResult:
    """Write the post-market monitoring report of a baseline's windows, and record it.

    The report (``docs/report.md``) shows the windows ``governance monitor`` recorded against
    the gate evaluation ``baseline`` between ``since`` and ``until``; it is signed and attested
    like :func:`write_report`. ``governance report --monitoring`` is this function.

    Parameters
    ----------
    baseline
        The gate evaluation's id, or ``"latest"`` (the newest gate evaluation with windows).
    path
        The PDF to write (its folder must exist).
    since, until
        The period (ISO 8601 dates or times): windows starting at or after ``since`` and
        ending at or before ``until``; open when omitted.
    store, config, settings, sign, model, templates, attestation
        As for :func:`write_report`.

    Returns
    -------
    ReportResult
        The files written, their digests and the signer.

    Raises
    ------
    InputError
        An unknown baseline, a window given as baseline, a period without windows, a path
        that cannot be written, a missing key; nothing is written then.
    """
    from governance.audit import AuditStore
    from governance.extras import require
    from governance.reports import write_monitoring_report as record_report

    require("report")
    target = _report_target(path, attestation, sign, store, config, settings)
    out, extra = target.out, target.attestation
    with AuditStore.open(target.url, create=False) as opened:
        return record_report(
            opened,
            str(baseline),
            out,
            signing=target.signing,
            since=since,
            until=until,
            model=model,
            templates=None if templates is None else _path(templates, "templates"),
            attestation=extra,
            limits=target.limits,
        )


def write_vsa(
    evaluation: Evaluation | str,
    path: PathLike,
    *,
    image: str | None = None,
    model: str | None = None,
    store: str | Path | None = None,
    config: PathLike | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Write the signed SLSA VSA of a recorded evaluation (``governance vsa``).

    The statement is built from the audit store's hash-checked copy of the record, as
    :func:`check` with ``vsa`` builds it, so a VSA naming a container image can be issued once
    the image is built (docs/deploy-gate.md). Nothing is appended to the store.

    Parameters
    ----------
    evaluation
        An :class:`Evaluation` that was recorded, an evaluation id, or ``"latest"``.
    path
        The DSSE envelope to write; the Sigstore bundle goes beside it (``NAME.sigstore.json``).
    image
        A container image serving the model, ``NAME@sha256:HEX``, as a second subject.
    model
        With ``"latest"``: the latest evaluation of this model.
    store, config, settings
        As for :func:`check`; the signing key comes from the settings.

    Returns
    -------
    dict
        The in-toto statement written.

    Raises
    ------
    InputError
        A bad image digest, a path that cannot be written, no signing key, an unknown
        evaluation, an evaluation without a model file; nothing is written then.
    """
    from governance.audit import AuditStore
    from governance.deploy.issue import plan_vsa
    from governance.deploy.issue import write_vsa as write
    from governance.deploy.vsa import model_subject, parse_image_digest
    from governance.results import Evaluation

    if isinstance(evaluation, Evaluation):
        if not evaluation.recorded:
            raise InputError(
                NOT_RECORDED.format(id=evaluation.evaluation_id), hint=NOT_RECORDED_HINT
            )
        evaluation = evaluation.evaluation_id
    resolved = resolve_settings(settings, config)
    digest = None if image is None else parse_image_digest(image, "image")
    plan = plan_vsa(_path(path, "path"), resolved, image=digest)
    with AuditStore.open(_store_url(store, resolved), create=False) as opened:
        record = opened.get_evaluation(str(evaluation), model=model)
    model_subject(record)  # no model file: refused before anything is written
    return write(record, plan)


def write_document(
    model: str,
    path: PathLike,
    *,
    version: str | None = None,
    store: str | Path | None = None,
    sign: bool = True,
    templates: PathLike | None = None,
    attestation: PathLike | None = None,
    config: PathLike | None = None,
    settings: Settings | None = None,
) -> ReportResult:
    """Write a model version's EU AI Act Annex IV technical documentation, and record it.

    Rendered from the audit store alone (docs/annex-iv.md), signed and attested like
    :func:`write_report`. ``governance document`` is this function.

    Parameters
    ----------
    model
        The model's name.
    path
        The PDF to write (its folder must exist).
    version
        The version; default the one evaluated last.
    store, config, settings, sign, templates, attestation
        As for :func:`write_report`.

    Returns
    -------
    ReportResult
        The files written, their digests and the signer.

    Raises
    ------
    InputError
        An unknown model or version, a path that cannot be written, a missing key; nothing
        is written then.
    """
    from governance.audit import AuditStore
    from governance.document.write import write_document as record_document
    from governance.extras import require

    require("report")
    target = _report_target(path, attestation, sign, store, config, settings)
    resolved = resolve_settings(settings, config)
    with AuditStore.open(target.url, create=False) as opened:
        return record_document(
            opened,
            str(model),
            target.out,
            settings=resolved,
            version=version,
            signing=target.signing,
            templates=None if templates is None else _path(templates, "templates"),
            attestation=target.attestation,
            limits=target.limits,
        )


def approve(
    evaluation: str | None,
    *,
    role: str,
    key: PathLike,
    comment: str | None = None,
    waiver: str | None = None,
    store: str | Path | None = None,
    config: PathLike | None = None,
    settings: Settings | None = None,
) -> Approval:
    """Sign and record one approval of a stored evaluation (or of a waiver, by its digest).

    ``governance approve`` is this function; see
    :func:`governance.approvals.approve` for what is checked before anything is written.

    Parameters
    ----------
    evaluation
        The evaluation id (``None`` with ``waiver``).
    role
        The role approved in (a role of the ``approvers`` or ``approval_roles`` settings).
    key
        The approver's private key file; its passphrase, if any, is
        ``GOVERNANCE_SIGNING_PASSPHRASE``.
    comment
        Kept with the approval.
    waiver
        A waiver's digest, to approve it instead of an evaluation.
    store, config, settings
        As for :func:`check`.

    Returns
    -------
    Approval
        The recorded approval.

    Raises
    ------
    InputError
        Bad input (an unknown evaluation or role, a key not allowed the role, the owner
        approving, a repeated approval): nothing is recorded.
    """
    from governance.approvals import approve as record_approval
    from governance.audit import AuditStore

    resolved = resolve_settings(settings, config)
    passphrase = resolved.signing_passphrase
    with AuditStore.open(_store_url(store, resolved), create=False) as opened:
        return record_approval(
            opened,
            evaluation,
            role=role,
            key=_path(key, "key"),
            comment=comment,
            waiver=waiver,
            settings=resolved,
            passphrase=None if passphrase is None else passphrase.encode("utf-8"),
        )


def approval_status(
    evaluation: str,
    *,
    store: str | Path | None = None,
    config: PathLike | None = None,
    settings: Settings | None = None,
) -> ApprovalStatus:
    """An evaluation's approvals, each verified, and the roles its risk tier still misses.

    ``governance approvals verify`` is this function.

    Returns
    -------
    ApprovalStatus
        ``complete`` when every signature verifies and every required role approved.
    """
    from governance.approvals import approval_status as status_of
    from governance.audit import AuditStore

    resolved = resolve_settings(settings, config)
    with AuditStore.open(_store_url(store, resolved), create=False) as opened:
        return status_of(opened, evaluation, resolved)
