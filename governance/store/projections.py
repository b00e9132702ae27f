"""Projections: query tables kept in step with the log, in the same transaction as each append.

A projector reads the entries of the kinds it handles and writes rows of the tables it owns.
Projections are disposable: :meth:`AuditStore.rebuild_projections` clears every owned table and
replays the log through the projectors. The store knows no projector of its own: the ones a
store runs are passed in when it is opened, as a :class:`ProjectorRegistry` (the application
lists the defaults in one place, :func:`governance.audit.default_projectors`; no registration by
import side effect). To add one, write a class with the :class:`Projector` shape, add its tables
in a new migration, and list it there.

Projectors receive entries in batches (every entry of one append, or up to 500 entries of a
rebuild), in log order, so they can write many rows per statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, Table

from governance.store.records import Entry

__all__ = ["Item", "ProjectionError", "Projector", "ProjectorRegistry"]

Item = tuple[Entry, Mapping[str, Any]]


class ProjectionError(ValueError):
    """A payload does not have the shape its projector needs; nothing is appended.

    Parameters
    ----------
    message
        What is wrong.
    entry
        The entry refused, when the projector handles a batch.
    """

    def __init__(self, message: str, entry: Entry | None = None) -> None:
        super().__init__(message)
        self.entry = entry


class Projector(Protocol):
    """Keeps some query tables in step with the log entries of some kinds."""

    @property
    def kinds(self) -> tuple[str, ...]:
        """The entry kinds this projector reads."""
        ...

    @property
    def tables(self) -> tuple[Table, ...]:
        """The tables it owns, in the order they are cleared (children before parents)."""
        ...

    def project_many(self, conn: Connection, items: Sequence[Item]) -> None:
        """Write the rows of some entries, given in log order.

        Raise :class:`ProjectionError` naming the entry to refuse it, and so the whole append.
        """
        ...


@dataclass(frozen=True)
class ProjectorRegistry:
    """The projectors a store runs, looked up by entry kind."""

    projectors: tuple[Projector, ...] = ()
    _by_kind: Mapping[str, tuple[Projector, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_kind: dict[str, tuple[Projector, ...]] = {}
        for projector in self.projectors:
            for kind in projector.kinds:
                by_kind[kind] = (*by_kind.get(kind, ()), projector)
        object.__setattr__(self, "_by_kind", by_kind)

    def for_kind(self, kind: str) -> tuple[Projector, ...]:
        """Return the projectors of entries of ``kind``, in registration order."""
        return self._by_kind.get(kind, ())

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind some projector reads."""
        return tuple(self._by_kind)

    @property
    def tables(self) -> tuple[Table, ...]:
        """Every projection table, in the order they are cleared."""
        ordered: dict[str, Table] = {}
        for projector in self.projectors:
            for table in projector.tables:
                ordered.setdefault(table.name, table)
        return tuple(ordered.values())

    def project(
        self,
        conn: Connection,
        entries: Sequence[Entry],
        payloads: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Hand each projector its entries of this batch, in log order.

        Parameters
        ----------
        conn
            A connection in the transaction that appends (or replays) the entries.
        entries
            Log entries, in order.
        payloads
            The entries' payloads when the caller already has them (else they are parsed).

        Raises
        ------
        ProjectionError
            Naming the entry a projector refused.
        """
        batches: dict[int, tuple[Projector, list[Item]]] = {}
        for index, entry in enumerate(entries):
            projectors = self.for_kind(entry.kind)
            if not projectors:
                continue
            payload = entry.payload if payloads is None else payloads[index]
            for projector in projectors:
                batches.setdefault(id(projector), (projector, []))[1].append((entry, payload))
        for projector, items in batches.values():
            try:
                projector.project_many(conn, items)
            except ProjectionError as exc:
                raise ProjectionError(str(exc), exc.entry or items[0][0]) from None

    def fresh(self) -> ProjectorRegistry:
        """A copy whose projectors remember nothing (a replay must not reuse their state)."""
        import copy

        projectors = []
        for projector in self.projectors:
            fresh = copy.deepcopy(projector)
            reset = getattr(fresh, "reset", None)
            if reset is not None:
                reset()
            projectors.append(fresh)
        return ProjectorRegistry(tuple(projectors))

    def with_projector(self, projector: Projector) -> ProjectorRegistry:
        """Return a new registry with ``projector`` added last."""
        return ProjectorRegistry((*self.projectors, projector))
