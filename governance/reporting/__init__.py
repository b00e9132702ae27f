"""Compliance reports: render an evaluation record to a signed PDF, and verify one.

Importing this package is cheap: WeasyPrint, pyHanko, Jinja2 and cryptography are imported
inside the functions that need them, so ``governance --help`` stays fast.
"""

from governance.reporting.keys import (
    SigningConfig,
    init_dev_keys,
    is_dev_certificate,
    load_signing_config,
)
from governance.reporting.render import (
    ReportResult,
    SignerInfo,
    render_html,
    render_pdf,
)
from governance.reporting.verify import ReportVerification, verify_report

__all__ = [
    "ReportResult",
    "ReportVerification",
    "SignerInfo",
    "SigningConfig",
    "init_dev_keys",
    "is_dev_certificate",
    "load_signing_config",
    "render_html",
    "render_pdf",
    "verify_report",
]
