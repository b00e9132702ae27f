"""The audit store as the application uses it: the log with every projection wired in.

:mod:`governance.store` is a layer that knows no projection of its own. This module is the one
place that lists the projections a store keeps (:func:`default_projectors`: evaluations,
reports, lineage) and opens stores with them (:func:`open_store`). Its :class:`AuditStore` is
the store's :class:`~governance.store.log.AuditLog` plus the reads of the packages that own
those tables: stored evaluations (:mod:`governance.evaluations`) and lineage
(:mod:`governance.lineage`). The gate, reports, the CLI and the server open stores here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

from governance.store.log import AuditLog
from governance.store.projections import ProjectorRegistry

if TYPE_CHECKING:
    from governance.canonical import Canonical
    from governance.evaluations.reads import EvaluationSummary, ReportRow
    from governance.lineage.listings import LineageListings
    from governance.lineage.queries import LineageQueries
    from governance.lineage.verified import EventOrigin, VerifiedLineage
    from governance.store.records import Entry

__all__ = ["AuditStore", "default_projectors", "open_store"]


def default_projectors() -> ProjectorRegistry:
    """Return the projections every store keeps: evaluations, reports and lineage."""
    from governance.evaluations.projection import EvaluationProjector, ReportProjector
    from governance.lineage.projection import LineageProjector

    return ProjectorRegistry((EvaluationProjector(), ReportProjector(), LineageProjector()))


class AuditStore(AuditLog):
    """An append-only, hash-chained audit log with the evaluation and lineage projections.

    Open one with :meth:`open` (or :func:`open_store`); use it as a context manager to close
    it. Everything of the log itself is :class:`~governance.store.log.AuditLog`'s.
    """

    @classmethod
    def open(
        cls, url: str, *, create: bool = True, projectors: ProjectorRegistry | None = None
    ) -> Self:
        """Open the store at ``url`` with :func:`default_projectors` (or ``projectors``).

        As :meth:`AuditLog.open <governance.store.log.AuditLog.open>`.
        """
        chosen = projectors if projectors is not None else default_projectors()
        return super().open(url, create=create, projectors=chosen)

    # -- lineage ---------------------------------------------------------------------------

    @property
    def lineage(self) -> LineageQueries:
        """Queries over the lineage projections (:class:`LineageQueries`)."""
        from governance.lineage.queries import LineageQueries

        return LineageQueries(self.engine)

    @property
    def listings(self) -> LineageListings:
        """Paged listings of the lineage projections (:class:`LineageListings`)."""
        from governance.lineage.listings import LineageListings

        return LineageListings(self.engine)

    def append_events(
        self,
        events: Sequence[Mapping[str, Any] | Canonical],
        *,
        receipt: Mapping[str, Any] | None = None,
    ) -> list[Entry | None]:
        """Append OpenLineage events not recorded yet, once each, with a receipt.

        See :func:`governance.lineage.recording.append_events`.
        """
        from governance.lineage.recording import append_events

        return append_events(self, events, receipt=receipt)

    def append_event_groups(
        self,
        groups: Sequence[tuple[Sequence[Mapping[str, Any] | Canonical], Mapping[str, Any] | None]],
    ) -> list[list[Entry | None]]:
        """Append several deliveries of events, each with its receipt, in one transaction.

        See :func:`governance.lineage.recording.append_event_groups`.
        """
        from governance.lineage.recording import append_event_groups

        return append_event_groups(self, groups)

    @contextmanager
    def verified_lineage(
        self, *, accept: Callable[[EventOrigin], bool] | None = None
    ) -> Iterator[VerifiedLineage]:
        """Lineage queries over tables rebuilt from the log's hash-checked events.

        See :func:`governance.lineage.verified.verified_lineage`.
        """
        from governance.lineage.verified import verified_lineage

        with verified_lineage(self, accept=accept) as verified:
            yield verified

    # -- evaluations -----------------------------------------------------------------------

    def get_evaluation(self, ref: str, *, model: str | None = None) -> dict[str, Any]:
        """Return a stored evaluation record exactly as it was appended.

        See :func:`governance.evaluations.reads.get_evaluation`.
        """
        from governance.evaluations.reads import get_evaluation

        return get_evaluation(self, ref, model=model)

    def evaluations(
        self, *, model: str | None = None, limit: int | None = None
    ) -> list[EvaluationSummary]:
        """List stored evaluations, most recently appended first.

        See :func:`governance.evaluations.reads.list_evaluations`.
        """
        from governance.evaluations.reads import list_evaluations

        return list_evaluations(self, model=model, limit=limit)

    def reports(self, evaluation_id: str | None = None) -> list[ReportRow]:
        """Recorded reports, newest first (of one evaluation, if given), hash-checked.

        See :func:`governance.evaluations.reads.list_reports`.
        """
        from governance.evaluations.reads import list_reports

        return list_reports(self, evaluation_id)


def open_store(url: str, *, create: bool = True) -> AuditStore:
    """Open the audit store at ``url`` with every projection (:meth:`AuditStore.open`).

    Parameters
    ----------
    url
        ``sqlite:///path/to/audit.db`` or ``postgresql+psycopg://user:pw@host/db``.
    create
        Create a missing store; ``False`` for commands that only read.

    Returns
    -------
    AuditStore
        The open store.
    """
    return AuditStore.open(url, create=create)
