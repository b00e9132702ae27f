"""A monitored model's windows (``governance monitor``), for the API and the trend page.

``GET /api/v1/models/{name}/monitoring`` lists the windows recorded against the model's
baselines, oldest first. The windows are read from the log's entries, each hash-checked as the
monitor checks them (never from a query table); a window recorded again because its rows
changed (a late batch of outcomes) replaces the one it ``supersedes``, which is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from governance.serve.api import F, State, read_route
from governance.serve.errors import ApiError
from governance.serve.state import ServerState

__all__ = ["MonitoringAnswer", "monitored_windows", "router"]

router = APIRouter(prefix="/api/v1")

NO_MODEL = "no evaluation of model {name} in the audit store"
NO_BASELINE = "no evaluation {baseline} of model {name} in the audit store"


class WindowFinding(BaseModel):
    """One rule's finding in a window."""

    policy: str
    rule_id: str
    title: str | None
    severity: str | None
    outcome: str
    measured: float | None
    threshold: dict[str, float | None] | None = Field(
        description="the rule's bounds: min and max (null: none); null for a CEL assertion"
    )
    blocking: bool


class MonitoredWindow(BaseModel):
    """One monitored window: its bounds, rows, verdict and findings."""

    evaluation_id: str
    baseline: str = Field(description="the gate evaluation the window is monitored against")
    window_start: str = Field(json_schema_extra={"format": "date-time"})
    window_end: str = Field(json_schema_extra={"format": "date-time"})
    rows: int
    rows_with_outcome: int
    verdict: str
    supersedes: str | None = Field(
        description="the window's earlier record, replaced because its rows changed"
    )
    findings: list[WindowFinding]


class MonitoringAnswer(BaseModel):
    """The model's monitored windows, oldest first; superseded records are left out."""

    model: str
    baseline: str | None = Field(description="the baseline asked for (null: every baseline)")
    windows: list[MonitoredWindow]


def _finding(finding: dict[str, Any]) -> dict[str, Any]:
    threshold = finding.get("threshold")
    measured = finding.get("measured")
    return {
        "policy": str(finding.get("policy") or ""),
        "rule_id": str(finding.get("rule_id") or ""),
        "title": finding.get("title"),
        "severity": finding.get("severity"),
        "outcome": str(finding.get("outcome") or ""),
        "measured": None
        if isinstance(measured, bool) or not isinstance(measured, int | float)
        else measured,
        "threshold": threshold if isinstance(threshold, dict) else None,
        "blocking": bool(finding.get("blocking")),
    }


def _window(record: dict[str, Any]) -> dict[str, Any]:
    part = record["monitoring"]
    return {
        "evaluation_id": record["evaluation_id"],
        "baseline": part["baseline"],
        "window_start": part["window_start"],
        "window_end": part["window_end"],
        "rows": part["rows"],
        "rows_with_outcome": part["rows_with_outcome"],
        "verdict": record["verdict"],
        "supersedes": part.get("supersedes"),
        "findings": [_finding(f) for f in record.get("findings") or []],
    }


def monitored_windows(
    state: ServerState, name: str, baseline: str | None = None
) -> list[dict[str, Any]]:
    """The windows of model ``name`` (of one ``baseline`` if given), oldest first.

    Raises ApiError 404 when the model (or the baseline, among its evaluations) is unknown;
    a tampered entry raises VerificationFailed (answered 409 by the app).
    """
    from governance.monitor.run import EVALUATION_KIND, checked

    store = state.store
    known: set[str] = set()
    latest: dict[tuple[str, str], dict[str, Any]] = {}  # (baseline, key) -> its latest record
    replaced: set[str] = set()
    for entry in store.entries(kind=EVALUATION_KIND):
        record = checked(store, entry)
        if (record.get("model") or {}).get("name") != name:
            continue
        known.add(str(record.get("evaluation_id")))
        part = record.get("monitoring")
        if not isinstance(part, dict):
            continue
        if baseline is not None and part.get("baseline") != baseline:
            continue
        latest[(str(part.get("baseline")), str(part.get("key")))] = record
        if part.get("supersedes"):
            replaced.add(str(part["supersedes"]))
    if not known:
        raise ApiError(404, NO_MODEL.format(name=name))
    if baseline is not None and baseline not in known:
        raise ApiError(404, NO_BASELINE.format(baseline=baseline, name=name))
    windows = [
        _window(record) for record in latest.values() if record["evaluation_id"] not in replaced
    ]
    windows.sort(key=lambda w: (w["window_start"], w["window_end"], w["baseline"]))
    return windows


def _read(path: str, tag: str, summary: str, answer: Any, *errors: int) -> Callable[[F], F]:
    return read_route(router, path, tag, summary, answer, *errors)


Baseline = Annotated[
    str | None,
    Query(
        max_length=64,
        description="only the windows monitored against this gate evaluation",
    ),
]


@_read(
    "/models/{name}/monitoring",
    "Governance",
    "A monitored model's windows (governance monitor), oldest first",
    MonitoringAnswer,
    404,
    409,
)
def get_monitoring(state: State, name: str, baseline: Baseline = None) -> JSONResponse:
    """Each window's bounds, rows, verdict and findings; superseded records are left out."""
    windows = monitored_windows(state, name, baseline or None)
    return JSONResponse({"model": name, "baseline": baseline or None, "windows": windows})
