"""Write the report of a stored evaluation, and record that it was written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from governance.errors import SigningError

if TYPE_CHECKING:
    from governance.reporting import ReportResult, SigningConfig
    from governance.store import AuditStore

REPORT_KIND = "report"


def signing_config(key: str | None, cert: str | None) -> SigningConfig:
    """The signing key pair from settings; missing or unreadable files are a SigningError."""
    from governance.reporting import load_signing_config

    if not key or not cert:
        raise SigningError(
            "no signing key configured for the report",
            hint="run `governance keys init` and set GOVERNANCE_SIGNING_KEY and "
            "GOVERNANCE_SIGNING_CERT, pass --signing-key/--signing-cert, or --no-sign",
        )
    return load_signing_config(Path(key), Path(cert))


def write_report(
    store: AuditStore,
    evaluation_id: str,
    out: Path,
    *,
    signing: SigningConfig | None,
    templates: Path | None = None,
) -> ReportResult:
    """Render the stored evaluation to a PDF (signed if ``signing``) and record the report."""
    from governance.reporting import render_pdf

    record = store.get_evaluation(evaluation_id)
    result = render_pdf(record, out, templates=templates, signing=signing)
    store.append(
        REPORT_KIND,
        {
            "evaluation_id": evaluation_id,
            "path": str(result.path),
            "digest": result.sha256,
            "signed": result.signed,
            "signer": result.signer_subject,
            "dev_key": result.dev_key,
        },
    )
    return result
