"""The audit store: an append-only, sha256 hash-chained log with rebuildable projections.

Importing this package is cheap: SQLAlchemy is imported on first use of :class:`AuditStore`
and the record types, and Alembic only when a store is opened. :mod:`governance.store.chain`
and :mod:`governance.store.url` use the standard library only.
See ``docs/audit-store.md``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from governance.store.url import mask_url, sqlite_url_for

if TYPE_CHECKING:
    from governance.store.log import AuditStore
    from governance.store.projections import Projector, ProjectorRegistry, default_projectors
    from governance.store.records import ChainReport, Entry, EvaluationSummary

__all__ = [
    "AuditStore",
    "ChainReport",
    "Entry",
    "EvaluationSummary",
    "Projector",
    "ProjectorRegistry",
    "default_projectors",
    "mask_url",
    "sqlite_url_for",
]

_LAZY = {
    "AuditStore": "governance.store.log",
    "ChainReport": "governance.store.records",
    "Entry": "governance.store.records",
    "EvaluationSummary": "governance.store.records",
    "Projector": "governance.store.projections",
    "ProjectorRegistry": "governance.store.projections",
    "default_projectors": "governance.store.projections",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'governance.store' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
