"""Compliance reports: render an evaluation record to a signed PDF, and verify one.

Importing this package is cheap: its names are imported on first use, and WeasyPrint,
pyHanko, Jinja2 and cryptography inside the functions that need them, so ``governance
--help`` and a ``check`` without ``--report`` (which only needs the output formats) stay fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_LAZY = {
    "ReportResult": "governance.reporting.issue",
    "ReportVerification": "governance.reporting.verify",
    "SignerInfo": "governance.reporting.render",
    "SigningConfig": "governance.keys",
    "attestation_path": "governance.reporting.issue",
    "init_dev_keys": "governance.keys",
    "is_dev_certificate": "governance.keys",
    "load_pkcs12_config": "governance.keys",
    "load_signing_config": "governance.keys",
    "render_html": "governance.reporting.render",
    "render_pdf": "governance.reporting.issue",
    "verify_report": "governance.reporting.verify",
}

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'governance.reporting' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
