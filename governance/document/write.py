"""``governance document``: a model version's Annex IV technical documentation as a signed PDF.

Rendered from the audit store alone (:mod:`governance.document.annex_iv`), laid out with the
report theme (``annex-iv.html.j2``, ``report.css``) and issued like every report
(:func:`governance.reporting.issue.issue`): PDF/A-3b, PAdES signature, in-toto attestation.
The version's latest gate evaluation is attached as ``evaluation.json``, so ``governance
verify`` checks the document as it checks a report (against the store too with ``--store``);
every gate evaluation of the version is attached as ``annex-iv-evaluations.json``, named with
its digest in the signed statement. A ``report`` entry with ``document: annex-iv`` records it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.errors import EvaluationNotFound

if TYPE_CHECKING:
    from governance.audit import AuditStore
    from governance.config import Settings
    from governance.keys import SigningConfig
    from governance.reporting import ReportResult
    from governance.reporting.sandbox import RenderLimits

__all__ = ["ANNEX_IV_TEMPLATE", "DOCUMENT_KIND", "write_document"]

ANNEX_IV_TEMPLATE = "annex-iv.html.j2"
DOCUMENT_KIND = "annex-iv"
EVALUATIONS_SUBJECT = "annex-iv-evaluations"
NO_MODEL = "no gate evaluation of model {model!r} in the audit store"
NO_MODEL_HINT = "run `governance models` to list the models the store holds"
NO_VERSION = "model {model!r} has no gate evaluation of version {version!r} (versions: {known})"


def _time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def write_document(
    store: AuditStore,
    model: str,
    out: Path,
    *,
    settings: Settings,
    version: str | None = None,
    signing: SigningConfig | None = None,
    templates: Path | None = None,
    attestation: Path | None = None,
    timestamper: Any = None,
    limits: RenderLimits | None = None,
) -> ReportResult:
    """Render the Annex IV document of ``model`` (``version``) to ``out``, and record it.

    Parameters
    ----------
    store
        The open audit store.
    model
        The model's name.
    out
        The PDF to write.
    settings
        Resolved settings (``required_policies``, approvals).
    version
        The version; default the one evaluated last.
    signing, templates, attestation, timestamper, limits
        As for :func:`governance.reports.write_report`.

    Returns
    -------
    ReportResult
        The files written, their digests, and who signed them.

    Raises
    ------
    EvaluationNotFound
        No gate evaluation of the model, or of that version: nothing is written.
    VerificationFailed
        An entry the document reads does not match its hash.
    """
    from governance.canonical import canonical_json
    from governance.document.annex_iv import annex_iv_view
    from governance.inventory.approvals import approvals_summary
    from governance.inventory.history import read_history
    from governance.reporting.attest import build_predicate, record_subjects
    from governance.reporting.attest import sha256_of as hex_of
    from governance.reporting.issue import issue, record_json
    from governance.reporting.render import SignerInfo, html_to_pdf, render_template
    from governance.reporting.sandbox import RenderBudget
    from governance.reporting.view import Attachment
    from governance.reports import _record_report, latest_checkpoint, recorded_lineage

    history = read_history(store, model=model)
    chosen = version if version is not None else history.latest_version(model)
    if chosen is None:
        raise EvaluationNotFound(NO_MODEL.format(model=model), hint=NO_MODEL_HINT)
    if (model, chosen) not in history.gates:
        known = ", ".join(history.versions_of(model))
        raise EvaluationNotFound(NO_VERSION.format(model=model, version=chosen, known=known))
    gates = history.gates[(model, chosen)]
    latest = gates[-1]
    evaluation_id = str(latest["evaluation_id"])
    view = annex_iv_view(
        history,
        model,
        chosen,
        required=settings.required_policies,
        approvals=approvals_summary(store, evaluation_id, settings),
        recorded_lineage=recorded_lineage(store, latest),
    )
    checkpoint = latest_checkpoint(store)
    record_bytes = record_json(latest)
    gates_bytes = canonical_json(list(gates)).encode("utf-8")
    attachments = [
        Attachment(
            name="evaluation.json",
            description="The version's latest gate evaluation (canonical JSON)",
            data=record_bytes,
            relationship="Source",
        ),
        Attachment(
            name=EVALUATIONS_SUBJECT + ".json",
            description="Every gate evaluation of the version, oldest first (canonical JSON list)",
            data=gates_bytes,
            relationship="Source",
        ),
    ]
    subjects = [
        *record_subjects(latest, record_bytes),
        {
            "name": EVALUATIONS_SUBJECT + ".json",
            "digest": {"sha256": hex_of(gates_bytes)},
            "annotations": {"role": EVALUATIONS_SUBJECT},
        },
    ]
    predicate = {
        **build_predicate(latest, checkpoint),
        "annexIV": {
            "model": model,
            "version": chosen,
            "previousVersion": view["previous_version"],
            "evaluations": [record["evaluation_id"] for record in gates],
            "gaps": [{"point": gap.point, "missing": gap.missing} for gap in view["gaps"]],
        },
    }
    record_digest = "sha256:" + hashlib.sha256(record_bytes).hexdigest()

    def build(carried: list[Attachment], signer: SignerInfo | None) -> bytes:
        budget = RenderBudget(limits)
        html = render_template(
            ANNEX_IV_TEMPLATE,
            {
                "doc": view,
                "model": view["model"],
                "tool": latest.get("tool") or {},
                "record_digest": record_digest,
                "signer": signer,
                "checkpoint": dict(checkpoint) if checkpoint else None,
                "attachments": [
                    {
                        "name": item.name,
                        "description": item.description,
                        "size": len(item.data),
                        "sha256": item.sha256,
                    }
                    for item in carried
                ],
            },
            templates=templates,
            budget=budget,
        )
        return html_to_pdf(
            html,
            templates=templates,
            attachments=carried,
            created=_time(latest.get("finished_at")),
            budget=budget,
        )

    result = issue(
        Path(out),
        build,
        attachments=attachments,
        subjects=subjects,
        predicate=predicate,
        signing=signing,
        attestation=attestation,
        timestamper=timestamper,
    )
    _record_report(
        store,
        evaluation_id,
        result,
        checkpoint,
        document={
            "kind": DOCUMENT_KIND,
            "model": model,
            "version": chosen,
            "evaluations": [record["evaluation_id"] for record in gates],
            "gaps": len(view["gaps"]),
        },
    )
    return result
