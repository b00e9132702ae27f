"""The audit store: an append-only, sha256 hash-chained log with rebuildable projections.

The store is a layer: it knows no projection of its own; the packages above pass theirs in
(:func:`governance.audit.open_store` opens a store with the application's defaults).
Importing this package is cheap: SQLAlchemy is imported on first use of :class:`AuditLog`
and the record types, and Alembic only when a store is opened. :mod:`governance.store.chain`
and :mod:`governance.store.url` use the standard library only.
See ``docs/audit-store.md``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from governance.store.url import mask_url, sqlite_url_for

if TYPE_CHECKING:
    from governance.store.log import AuditLog
    from governance.store.projections import ProjectionError, Projector, ProjectorRegistry
    from governance.store.records import ChainReport, Entry

__all__ = [
    "AuditLog",
    "ChainReport",
    "Entry",
    "ProjectionError",
    "Projector",
    "ProjectorRegistry",
    "mask_url",
    "sqlite_url_for",
]

_LAZY = {
    "AuditLog": "governance.store.log",
    "ChainReport": "governance.store.records",
    "Entry": "governance.store.records",
    "ProjectionError": "governance.store.projections",
    "Projector": "governance.store.projections",
    "ProjectorRegistry": "governance.store.projections",
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
