"""The monitoring report: a period of monitored windows as a signed PDF/A-3b (EU AI Act Art. 72).

Rendered from the stored records alone: the baseline (the gate evaluation the windows continue)
is attached as ``evaluation.json``, so ``governance verify`` checks it as it checks any report
(against the audit store too with ``--store``), and the windows' records as
``monitoring-windows.json`` (a JSON list, canonical JSON), named with its digest in the signed
in-toto statement. Issued by :func:`governance.reporting.issue.issue`, like every report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.reporting.attest import EVALUATION_SUBJECT, build_predicate, record_subjects
from governance.reporting.attest import sha256_of as _hex
from governance.reporting.evidence import WINDOWS_SUBJECT
from governance.reporting.issue import ReportResult, issue, record_json
from governance.reporting.render import SignerInfo, html_to_pdf, render_template
from governance.reporting.view import Attachment

if TYPE_CHECKING:
    from governance.keys import SigningConfig
    from governance.reporting.sandbox import RenderLimits

MONITORING_TEMPLATE = "monitoring.html.j2"
WINDOWS_ATTACHMENT = WINDOWS_SUBJECT + ".json"


def windows_json(windows: Sequence[Mapping[str, Any]]) -> bytes:
    """The windows' records as attached: a canonical JSON list."""
    from governance.canonical import canonical_json

    return canonical_json(list(windows)).encode("utf-8")


def render_monitoring_pdf(
    baseline: Mapping[str, Any],
    windows: Sequence[Mapping[str, Any]],
    out: Path,
    *,
    since: str | None = None,
    until: str | None = None,
    templates: Path | None = None,
    signing: SigningConfig | None = None,
    checkpoint: Mapping[str, Any] | None = None,
    attestation: Path | None = None,
    timestamper: Any = None,
    limits: RenderLimits | None = None,
) -> ReportResult:
    """Render the monitoring report of ``windows`` (of ``baseline``) to ``out``.

    Parameters
    ----------
    baseline
        The gate evaluation the windows continue, as stored.
    windows
        The windows' records, one per window, in time order; at least one.
    since, until
        The period asked for (ISO 8601), shown on the cover; ``None`` for open ends.
    templates, signing, checkpoint, attestation, timestamper, limits
        As for :func:`governance.reporting.render_pdf`; the template folder must hold
        ``monitoring.html.j2``.

    Returns
    -------
    ReportResult
        The files written, their digests, and who signed them.
    """
    from governance.reporting.monitoring_view import monitoring_view
    from governance.reporting.sandbox import RenderBudget

    baseline_bytes = record_json(baseline)
    windows_bytes = windows_json(windows)
    view = monitoring_view(
        baseline,
        windows,
        since=since,
        until=until,
        baseline_digest="sha256:" + hashlib.sha256(baseline_bytes).hexdigest(),
    )
    attachments = [
        Attachment(
            name=EVALUATION_SUBJECT,
            description="The baseline gate evaluation the windows continue (canonical JSON)",
            data=baseline_bytes,
            relationship="Source",
        ),
        Attachment(
            name=WINDOWS_ATTACHMENT,
            description="The monitored windows' evaluation records (canonical JSON list)",
            data=windows_bytes,
            relationship="Source",
        ),
    ]
    subjects = [
        *record_subjects(baseline, baseline_bytes),
        {
            "name": WINDOWS_ATTACHMENT,
            "digest": {"sha256": _hex(windows_bytes)},
            "annotations": {"role": WINDOWS_SUBJECT},
        },
    ]
    predicate = {
        **build_predicate(baseline, checkpoint),
        "monitoring": {
            "since": since,
            "until": until,
            "verdict": view["verdict"],
            "failingWindows": view["failing"],
            "windows": [
                {
                    "id": record.get("evaluation_id"),
                    "start": record["monitoring"]["window_start"],
                    "end": record["monitoring"]["window_end"],
                    "verdict": record.get("verdict"),
                }
                for record in windows
            ],
        },
    }
    created = _time(windows[-1].get("finished_at"))

    def build(carried: list[Attachment], signer: SignerInfo | None) -> bytes:
        budget = RenderBudget(limits)
        html = render_template(
            MONITORING_TEMPLATE,
            {
                "baseline": baseline,
                "monitoring": view,
                "signer": signer,
                "attachments": [
                    {
                        "name": item.name,
                        "description": item.description,
                        "size": len(item.data),
                        "sha256": item.sha256,
                    }
                    for item in carried
                ],
                "checkpoint": dict(checkpoint) if checkpoint else None,
                "model": baseline.get("model") or {},
                "tool": windows[-1].get("tool") or baseline.get("tool") or {},
            },
            templates=templates,
            budget=budget,
        )
        return html_to_pdf(
            html, templates=templates, attachments=carried, created=created, budget=budget
        )

    return issue(
        Path(out),
        build,
        attachments=attachments,
        subjects=subjects,
        predicate=predicate,
        signing=signing,
        attestation=attestation,
        timestamper=timestamper,
    )


def _time(value: Any) -> Any:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
