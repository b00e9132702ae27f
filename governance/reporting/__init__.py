"""Compliance reports: render an evaluation record to a signed PDF, and verify one.

Importing this package is cheap: WeasyPrint, pyHanko, Jinja2 and cryptography are imported
inside the functions that need them, so ``governance --help`` stays fast.
"""

from governance.keys import (
    SigningConfig,
    init_dev_keys,
    is_dev_certificate,
    load_pkcs12_config,
    load_signing_config,
)
from governance.reporting.issue import ReportResult, attestation_path, render_pdf
from governance.reporting.render import SignerInfo, render_html
from governance.reporting.verify import ReportVerification, verify_report

__all__ = [
    "ReportResult",
    "ReportVerification",
    "SignerInfo",
    "SigningConfig",
    "attestation_path",
    "init_dev_keys",
    "is_dev_certificate",
    "load_pkcs12_config",
    "load_signing_config",
    "render_html",
    "render_pdf",
    "verify_report",
]
