"""Projections of ``evaluation`` and ``report`` entries into their query tables.

The evaluations, findings and reports tables (docs/evaluation-record.md, docs/audit-store.md).

The store runs these projectors because the application passes them in
(:func:`governance.audit.default_projectors`); the store itself knows nothing of evaluations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert, select

from governance.evaluations.tables import evaluations, findings, reports
from governance.store.chain import format_time, parse_time
from governance.store.projections import Item, ProjectionError
from governance.store.records import Entry

__all__ = ["EvaluationProjector", "ReportProjector"]


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
