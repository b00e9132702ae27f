"""Write the report of a stored evaluation, and record that it was written.

Both ``governance report`` and ``governance check --report`` go through :func:`write_report`:
the report is rendered from the audit store's copy of the record, never from a re-evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.errors import SigningError

if TYPE_CHECKING:
    from governance.audit import AuditStore
    from governance.config import Settings
    from governance.reporting import ReportResult, SigningConfig
    from governance.reporting.sandbox import RenderLimits

REPORT_KIND = "report"
NO_SIGNING_KEY = "no signing key configured for the {purpose}"
NO_SIGNING_KEY_HINT = (
    "run `governance keys init` and set GOVERNANCE_SIGNING_KEY and GOVERNANCE_SIGNING_CERT "
    "(or GOVERNANCE_SIGNING_PKCS12), or pass --signing-key/--signing-cert"
)
NO_SIGN_HINT = ", or --no-sign"
KEY_WITHOUT_CERT = "a signing key is configured but not its certificate"
KEY_WITHOUT_CERT_HINT = "pass --signing-cert FILE or set GOVERNANCE_SIGNING_CERT"
CERT_WITHOUT_KEY = "a signing certificate is configured but not its key"
CERT_WITHOUT_KEY_HINT = "pass --signing-key FILE or set GOVERNANCE_SIGNING_KEY"
KEY_AND_PKCS12 = "give either a key and certificate or a PKCS#12 file, not both"


def render_limits(settings: Settings) -> RenderLimits:
    """The limits of rendering a report the settings give (``report_max_seconds``).

    Parameters
    ----------
    settings
        Resolved settings (:func:`governance.config.load_settings`).

    Returns
    -------
    RenderLimits
        The default limits with the configured time budget (checked when the settings
        loaded).
    """
    from governance.reporting.sandbox import RenderLimits

    return RenderLimits(max_seconds=settings.report_max_seconds)


def signing_from_settings(
    settings: Settings, *, purpose: str = "report", can_skip: bool = True
) -> SigningConfig:
    """The signing configuration the resolved settings describe.

    Uses ``signing_pkcs12`` or ``signing_key`` + ``signing_cert``, with ``signing_chain``,
    ``signing_passphrase`` (environment only) and ``tsa_url``. The key material is loaded and
    checked.

    Parameters
    ----------
    settings
        Resolved settings (:func:`governance.config.load_settings`).
    purpose
        What is signed, as the missing-key error names it (``report``, ``checkpoint``).
    can_skip
        Whether the command has ``--no-sign`` (the missing-key hint then suggests it).

    Returns
    -------
    SigningConfig
        The checked configuration.

    Raises
    ------
    SigningError
        If no key is configured, both kinds are, or the key material is unusable (missing
        file, wrong passphrase, expired certificate...).
    """
    from governance.reporting import load_pkcs12_config, load_signing_config

    key, cert, bundle = settings.signing_key, settings.signing_cert, settings.signing_pkcs12
    chain, tsa_url = settings.signing_chain, settings.tsa_url
    secret = settings.signing_passphrase
    passphrase = secret.encode("utf-8") if secret else None
    if bundle and (key or cert):
        raise SigningError(KEY_AND_PKCS12, path=bundle)
    if bundle:
        return load_pkcs12_config(bundle, passphrase=passphrase, chain=chain, tsa_url=tsa_url)
    if key and not cert:
        raise SigningError(KEY_WITHOUT_CERT, path=key, hint=KEY_WITHOUT_CERT_HINT)
    if cert and not key:
        raise SigningError(CERT_WITHOUT_KEY, path=cert, hint=CERT_WITHOUT_KEY_HINT)
    if not key or not cert:
        hint = NO_SIGNING_KEY_HINT + (NO_SIGN_HINT if can_skip else "")
        raise SigningError(NO_SIGNING_KEY.format(purpose=purpose), hint=hint)
    return load_signing_config(key, cert, chain=chain, passphrase=passphrase, tsa_url=tsa_url)


def check_report_targets(report: Path, *, sign: bool, attestation: Path | None = None) -> None:
    """Refuse a report PDF, or its attestation when signed, that cannot be written.

    The attestation is ``attestation`` if given, else the file beside the report.

    Raises
    ------
    ConfigError
        A directory, a file used as a folder, a missing or unwritable folder.
    """
    from governance.reporting.formats.output import check_writable

    check_writable(report)
    if sign:
        from governance.reporting.issue import attestation_path

        check_writable(attestation if attestation is not None else attestation_path(report))


def latest_checkpoint(store: AuditStore) -> dict[str, Any] | None:
    """The store's latest signed checkpoint, or ``None`` (also for a store without them)."""
    method = getattr(store, "latest_checkpoint", None)
    if method is None:
        return None
    checkpoint = method()
    return dict(checkpoint) if checkpoint else None


RECORDED_HOPS = 3
LATE_AFTER_HOURS = 24
"""A run whose latest event was recorded more than this after its eventTime is shown as late."""
"""How many jobs upstream of the training run the report draws from the store's lineage."""


def recorded_lineage(store: AuditStore, record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The model's upstream lineage as the audit store recorded it (OpenLineage events).

    The training run is found as lineage checks find it (the manifest's ``training_run``, else
    a run that wrote the model file); the graph goes :data:`RECORDED_HOPS` jobs upstream.

    Returns
    -------
    dict or None
        ``{"found": False, "lookup"}`` when no training run is recorded; else ``found``,
        ``lookup``, ``found_by``, ``log_size``, ``training_run`` (run id, job, state, times,
        inputs, outputs), ``nodes`` and ``edges`` of the graph, and ``runs`` (the runs that
        wrote each dataset); each run says who delivered its events (``delivered_by``) and how
        long after its eventTime the latest was recorded (``recorded_after_hours``). Read from
        the log's hash-checked events (:meth:`AuditStore.verified_lineage`). ``None`` for a
        store without lineage.
    """
    if getattr(store, "verified_lineage", None) is None:
        return None
    from governance.errors import GovernanceError
    from governance.lineage.snapshot import load_snapshot

    lineage = record.get("lineage") or {}
    model = (record.get("artifacts") or {}).get("model") or {}
    try:
        with store.verified_lineage() as verified:  # the log's events, not editable tables
            snapshot = load_snapshot(
                verified,
                max_hops=RECORDED_HOPS,
                training_run=lineage.get("training_run"),
                model_path=Path(model["path"]) if model.get("path") else None,
                model_digest=model.get("digest"),
                training_datasets=[
                    (str(d.get("namespace")), str(d.get("name")))
                    for d in lineage.get("training_datasets") or []
                ],
            )
            origins = verified.origins(snapshot.run_ids())
    except GovernanceError:
        return None
    if snapshot.training_run is None or snapshot.graph is None:
        return {"found": False, "lookup": snapshot.lookup}
    run = snapshot.training_run.summary
    nodes = [
        {
            "id": item.node.key,
            "title": item.node.name,
            "detail": item.node.namespace,
            "highlight": item.node.key == f"job:{run.job}" or item.node.key == run.job,
        }
        for item in snapshot.graph.nodes
    ]

    def origin(run_id: str) -> dict[str, Any]:
        found = origins.get(run_id)
        if found is None:
            return {"delivered_by": [], "recorded_after_hours": None}
        return {
            "delivered_by": list(found.sources),
            "recorded_after_hours": round(found.delay_seconds / 3600, 1),
        }

    return {
        "found": True,
        "lookup": snapshot.lookup,
        "found_by": snapshot.found_by,
        "log_size": snapshot.log_size,
        "training_run": {**run.as_dict(), **origin(run.run_id)},
        "code": _recorded_code(snapshot.training_run.job_facets),
        "nodes": nodes,
        "edges": [{"source": e.source, "target": e.target} for e in snapshot.graph.edges],
        "runs": [
            {"dataset": dataset, **writer.as_dict(), **origin(writer.run_id)}
            for dataset, writers in snapshot.writers.items()
            for writer in writers
        ],
        "late_after_hours": LATE_AFTER_HOURS,
    }


def _recorded_code(facets: Mapping[str, Any]) -> dict[str, str] | None:
    """The training job's ``sourceCodeLocation`` as the events recorded it (or ``None``)."""
    facet = facets.get("sourceCodeLocation")
    if not isinstance(facet, Mapping):
        return None
    shown = {
        "repository": facet.get("repoUrl") or facet.get("url"),
        "path": facet.get("path"),
        "commit": facet.get("version"),
    }
    found = {key: str(value) for key, value in shown.items() if isinstance(value, str) and value}
    return found or None


def write_report(
    store: AuditStore,
    evaluation_id: str,
    out: Path,
    *,
    signing: SigningConfig | None,
    templates: Path | None = None,
    model: str | None = None,
    attestation: Path | None = None,
    timestamper: Any = None,
    limits: RenderLimits | None = None,
    approval_settings: Settings | None = None,
) -> ReportResult:
    """Render a stored evaluation to a PDF (signed and attested if ``signing``) and record it.

    Parameters
    ----------
    store
        The open audit store holding the evaluation.
    evaluation_id
        An evaluation id, or ``latest``.
    out
        The PDF to write.
    signing
        Key material; the report is unsigned (and has no attestation) when ``None``.
    templates
        A template folder; default the shipped theme
        (:func:`governance.resources.default_templates`).
    model
        With ``latest``: the latest evaluation of this model.
    attestation
        Where to write the detached attestation; default beside ``out``.
    timestamper
        A pyHanko ``TimeStamper`` overriding ``signing.tsa_url`` (tests).
    limits
        What rendering may cost (:func:`render_limits` of the settings); default limits
        when omitted.
    approval_settings
        Who may approve and which roles are required: the report shows the evaluation's
        approvals, verified, and the roles missing; no approvals section when ``None``.

    Returns
    -------
    ReportResult
        What was written.

    Raises
    ------
    StoreError
        If the store has no such evaluation.
    InputError
        If the template, output folder or key material is unusable, or the templates go past
        a limit of ``limits``; nothing is written, and nothing is recorded.
    """
    from governance.reporting import render_pdf

    record = store.get_evaluation(evaluation_id, model=model)
    checkpoint = latest_checkpoint(store)
    approvals = None
    if approval_settings is not None:
        from governance.approvals import approval_status
        from governance.reporting.approvals_view import approvals_view

        status = approval_status(store, record["evaluation_id"], approval_settings)
        approvals = approvals_view(status)
    result = render_pdf(
        record,
        out,
        templates=templates,
        signing=signing,
        checkpoint=checkpoint,
        recorded_lineage=recorded_lineage(store, record),
        approvals=approvals,
        attestation=attestation,
        timestamper=timestamper,
        limits=limits,
    )
    _record_report(store, record["evaluation_id"], result, checkpoint)
    return result


def _record_report(
    store: AuditStore,
    evaluation_id: str,
    result: ReportResult,
    checkpoint: Mapping[str, Any] | None,
    **extra: Any,
) -> None:
    """Append the ``report`` entry of a report written for ``evaluation_id``."""
    store.append(
        REPORT_KIND,
        {
            "evaluation_id": evaluation_id,
            "path": str(result.path),
            "digest": result.sha256,
            "signed": result.signed,
            "signer": result.signer_subject,
            "dev_key": result.dev_key,
            "timestamped": result.timestamped,
            "attestation": (
                {"path": str(result.attestation), "digest": result.attestation_sha256}
                if result.attestation is not None
                else None
            ),
            "checkpoint": dict(checkpoint) if checkpoint else None,
            **extra,
        },
    )


NO_WINDOWS = "no monitored window of baseline {ref} in {period}"
NO_WINDOWS_HINT = "run `governance monitor` against this baseline first, or widen --since/--until"
NO_MONITORED_GATE = "no gate evaluation{of} in {url} has monitored windows"


def monitored_baseline(store: AuditStore, ref: str, *, model: str | None = None) -> dict[str, Any]:
    """The gate evaluation ``ref`` (an id, or ``latest``: the newest that has windows).

    Raises
    ------
    EvaluationNotFound
        No such evaluation, or (``latest``) none with monitored windows.
    InputError
        ``ref`` is a monitored window, not a gate evaluation.
    """
    from governance.errors import EvaluationNotFound, InputError
    from governance.monitor.run import EVALUATION_KIND, NOT_A_GATE, checked

    if ref != "latest":
        record = store.get_evaluation(ref, model=model)
        if record.get("monitoring") is not None:
            raise InputError(NOT_A_GATE.format(ref=ref), field="baseline")
        return record
    newest = None
    for entry in store.entries(kind=EVALUATION_KIND):
        part = checked(store, entry).get("monitoring")
        if isinstance(part, dict):
            baseline = store.get_evaluation(str(part.get("baseline")))
            if model is None or (baseline.get("model") or {}).get("name") == model:
                newest = baseline
    if newest is None:
        of = f" of model {model!r}" if model else ""
        raise EvaluationNotFound(NO_MONITORED_GATE.format(of=of, url=store.url))
    return newest


def write_monitoring_report(
    store: AuditStore,
    baseline_ref: str,
    out: Path,
    *,
    signing: SigningConfig | None,
    since: str | None = None,
    until: str | None = None,
    model: str | None = None,
    templates: Path | None = None,
    attestation: Path | None = None,
    timestamper: Any = None,
    limits: RenderLimits | None = None,
) -> ReportResult:
    """Render the monitoring report of a baseline's windows in a period, and record it.

    A window is in the period when it starts at or after ``since`` and ends at or before
    ``until``; a window recorded again (late outcomes) is shown as last recorded.

    Raises
    ------
    EvaluationNotFound
        No such baseline.
    InputError
        ``baseline_ref`` is a window, a time does not parse, or the period holds no window:
        nothing is written, and nothing is recorded.
    """
    from governance.errors import InputError
    from governance.monitor.run import Ledger
    from governance.monitor.windows import iso, parse_time
    from governance.reporting.monitoring import render_monitoring_pdf
    from governance.reporting.monitoring_view import latest_windows

    start = iso(parse_time(since, "since")) if since is not None else None
    end = iso(parse_time(until, "until")) if until is not None else None
    baseline = monitored_baseline(store, baseline_ref, model=model)
    ledger = Ledger.read(store, baseline["evaluation_id"])
    chosen = [
        record
        for record in ledger.windows.values()
        if (start is None or record["monitoring"]["window_start"] >= start)
        and (end is None or record["monitoring"]["window_end"] <= end)
    ]
    windows = latest_windows(chosen)
    if not windows:
        period = f"{start or 'the start'} .. {end or 'now'}"
        raise InputError(
            NO_WINDOWS.format(ref=baseline["evaluation_id"], period=period),
            field="since" if since or until else "baseline",
            hint=NO_WINDOWS_HINT,
        )
    checkpoint = latest_checkpoint(store)
    result = render_monitoring_pdf(
        baseline,
        windows,
        out,
        since=start,
        until=end,
        templates=templates,
        signing=signing,
        checkpoint=checkpoint,
        attestation=attestation,
        timestamper=timestamper,
        limits=limits,
    )
    _record_report(
        store,
        baseline["evaluation_id"],
        result,
        checkpoint,
        monitoring={
            "since": start,
            "until": end,
            "windows": [record["evaluation_id"] for record in windows],
        },
    )
    return result
