"""Projections: query tables kept in step with the log, in the same transaction as each append.

A projector reads the entries of the kinds it handles and writes rows of the tables it owns.
Projections are disposable: :meth:`AuditStore.rebuild_projections` clears every owned table and
replays the log through the projectors. The projectors a store runs are listed explicitly in
:func:`default_projectors` (no registration by import side effect); to add one, write a class
with the :class:`Projector` shape, add its tables in a new migration, and list it there.

Projectors receive entries in batches (every entry of one append, or up to 500 entries of a
rebuild), in log order, so they can write many rows per statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, Table, insert, select

from governance.store.chain import format_time, parse_time
from governance.store.records import Entry
from governance.store.tables import evaluations, findings, reports

__all__ = [
    "EvaluationProjector",
    "ProjectionError",
    "Projector",
    "ProjectorRegistry",
    "ReportProjector",
    "default_projectors",
]

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

    def with_projector(self, projector: Projector) -> ProjectorRegistry:
        """Return a new registry with ``projector`` added last."""
        return ProjectorRegistry((*self.projectors, projector))


def default_projectors() -> ProjectorRegistry:
    """Return the projectors every store runs: evaluations, reports and lineage."""
    from governance.store.lineage_projection import LineageProjector

    return ProjectorRegistry((EvaluationProjector(), ReportProjector(), LineageProjector()))


class EvaluationProjector:
    """Projects ``evaluation`` entries (docs/evaluation-record.md) into evaluations/findings."""

    kinds: tuple[str, ...] = ("evaluation",)
    tables: tuple[Table, ...] = (findings, evaluations)

    def project_many(self, conn: Connection, items: Sequence[Item]) -> None:
        """Project each entry in turn."""
        for entry, payload in items:
            try:
                self.project(conn, entry, payload)
            except ProjectionError as exc:
                raise ProjectionError(str(exc), entry) from None

    def project(self, conn: Connection, entry: Entry, payload: Mapping[str, Any]) -> None:
        """Insert one ``evaluations`` row and one ``findings`` row per finding."""
        evaluation_id = _text(payload, "evaluation_id", limit=64)
        model = payload.get("model")
        if not isinstance(model, Mapping):
            raise ProjectionError("evaluation record field model must be an object")
        row = {
            "evaluation_id": evaluation_id,
            "model_name": _text(model, "name", where="model.name"),
            "model_version": _optional_text(model, "version", where="model.version"),
            "verdict": _text(payload, "verdict", limit=16),
            "exit_code": _integer(payload, "exit_code"),
            "started_at": _time(payload, "started_at"),
            "finished_at": _time(payload, "finished_at"),
            "entry_seq": entry.seq,
        }
        rows = [_finding(evaluation_id, index, item) for index, item in _findings(payload)]
        known = conn.execute(
            select(evaluations.c.entry_seq).where(evaluations.c.evaluation_id == evaluation_id)
        ).scalar_one_or_none()
        if known is not None:
            raise ProjectionError(
                f"evaluation {evaluation_id} is already recorded (audit entry {known})"
            )
        conn.execute(insert(evaluations), [row])
        if rows:
            conn.execute(insert(findings), rows)


class ReportProjector:
    """Projects ``report`` entries (a report written for an evaluation) into ``reports``."""

    kinds: tuple[str, ...] = ("report",)
    tables: tuple[Table, ...] = (reports,)

    def project_many(self, conn: Connection, items: Sequence[Item]) -> None:
        """Insert one ``reports`` row per entry."""
        rows = []
        for entry, payload in items:
            evaluation_id = payload.get("evaluation_id")
            path = payload.get("path")
            digest = payload.get("digest")
            if not isinstance(evaluation_id, str) or not isinstance(path, str):
                raise ProjectionError("a report entry needs evaluation_id and path", entry)
            rows.append(
                {
                    "entry_seq": entry.seq,
                    "evaluation_id": evaluation_id[:64],
                    "path": path,
                    "digest": digest[:80] if isinstance(digest, str) else None,
                    "signed": payload.get("signed") is True,
                }
            )
        if rows:
            conn.execute(insert(reports), rows)


def _findings(payload: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    items = payload.get("findings", [])
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise ProjectionError("evaluation record field findings must be a list")
    checked: list[tuple[int, Mapping[str, Any]]] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ProjectionError(f"evaluation record field findings[{index}] must be an object")
        checked.append((index, item))
    return checked


def _finding(evaluation_id: str, index: int, item: Mapping[str, Any]) -> dict[str, Any]:
    where = f"findings[{index}]"
    measured = item.get("measured")
    if measured is not None and (
        isinstance(measured, bool) or not isinstance(measured, int | float)
    ):
        raise ProjectionError(f"evaluation record field {where}.measured must be a number or null")
    blocking = item.get("blocking")
    if not isinstance(blocking, bool):
        raise ProjectionError(f"evaluation record field {where}.blocking must be true or false")
    return {
        "evaluation_id": evaluation_id,
        "position": index,
        "rule_id": _text(item, "rule_id", where=f"{where}.rule_id"),
        "policy": _optional_text(item, "policy", where=f"{where}.policy"),
        "severity": _optional_text(item, "severity", where=f"{where}.severity", limit=16),
        "outcome": _text(item, "outcome", where=f"{where}.outcome", limit=16),
        "measured": None if measured is None else float(measured),
        "blocking": blocking,
    }


def _text(obj: Mapping[str, Any], key: str, *, where: str | None = None, limit: int = 255) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ProjectionError(
            f"evaluation record field {where or key} must be a non-empty string "
            f"of at most {limit} characters"
        )
    return value


def _optional_text(obj: Mapping[str, Any], key: str, *, where: str, limit: int = 255) -> str | None:
    if obj.get(key) is None:
        return None
    return _text(obj, key, where=where, limit=limit)


def _integer(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProjectionError(f"evaluation record field {key} must be an integer")
    return value


def _time(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return format_time(parse_time(value))
    except ValueError:
        raise ProjectionError(
            f"evaluation record field {key} must be an ISO 8601 UTC time such as "
            "2026-11-27T14:00:00.123456Z"
        ) from None
