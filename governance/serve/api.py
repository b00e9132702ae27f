"""The JSON API: Marquez-compatible lineage endpoints and governance's own.

Lineage (as Marquez): ``POST /api/v1/lineage`` (one event, an array, or JSON lines; 201),
``POST /api/v1/lineage/batch`` (an array; 204; governance's own), ``GET /api/v1/lineage`` and
``GET /api/v1/events/lineage``; Marquez's catalog reads are in
:mod:`governance.serve.api_marquez`. Governance: models, evaluations, findings,
reports (PDF download), the audit log and its verification.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse, StreamingResponse

from governance.config import RequiredPolicies
from governance.errors import EvaluationNotFound, LineageError, VerificationFailed
from governance.lineage.model import Node
from governance.lineage.validate import EventRejected, parse_event_time
from governance.serve import marquez, schemas
from governance.serve.auth import authorize
from governance.serve.downloads import MAX_SEQ, report_response
from governance.serve.errors import ApiError
from governance.serve.ingest_path import parse_posted, record_events, store_events
from governance.serve.state import ServerState, require_read, server_state, state_of

__all__ = ["read_route", "resolve_node", "router"]

DATE_TIME: dict[str, Any] = {"format": "date-time"}
MAX_DEPTH = 100
MAX_LIMIT = 1000

F = TypeVar("F", bound=Callable[..., Any])
State = Annotated[ServerState, Depends(server_state)]
Limit = Annotated[int, Query(ge=0, le=MAX_LIMIT, description="results to return")]
Offset = Annotated[int, Query(ge=0, le=2**31, description="results to skip")]
Seq = Annotated[int, PathParameter(ge=1, le=MAX_SEQ, description="the report's audit entry")]

NO_SUCH_EVALUATION = "no evaluation {ref}in the audit store"
TAMPERED_EVALUATION = (
    "the audit entry of evaluation {ref} does not match its hash (run governance audit verify)"
)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": schemas.ErrorBody} for code in codes}


router = APIRouter(prefix="/api/v1")


def read_route(
    target: APIRouter, path: str, tag: str, summary: str, answer: Any, *errors: int
) -> Callable[[F], F]:
    """Declare a GET route of ``target`` that needs the read scope.

    ``answer`` documents its 200 response (a response model, or the response object itself);
    ``errors`` are the error statuses it answers besides 400, 401 and 403.
    """
    ok = {"model": answer} if isinstance(answer, type) else answer
    return target.get(
        path,
        tags=[tag],
        summary=summary,
        dependencies=[Depends(require_read)],
        responses={200: ok, **_errors(400, 401, 403, *errors)},
    )


def _read(path: str, tag: str, summary: str, answer: Any, *errors: int) -> Callable[[F], F]:
    """A GET route of this module's router that needs the read scope."""
    return read_route(router, path, tag, summary, answer, *errors)


FACETS: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": {"type": "object"},
    "propertyNames": {"minLength": 1, "maxLength": 255},
    "description": "facets by name; any facet is kept verbatim (null: none)",
}


def _named_schema(*facets: str) -> dict[str, Any]:
    """A job or dataset: namespace, name, and facets under each key of ``facets``."""
    return {
        "type": "object",
        "required": ["namespace", "name"],
        "properties": {
            "namespace": {"type": "string", "minLength": 1, "maxLength": 255},
            "name": {"type": "string", "minLength": 1, "maxLength": 1024},
            **dict.fromkeys(facets, FACETS),
        },
    }


EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "An OpenLineage RunEvent (run and job), JobEvent (job) or DatasetEvent (dataset), as "
        "governance lineage ingest validates it: eventTime with a time zone, UUID runId, "
        "known eventType; a null array or facets object counts as absent"
    ),
    "required": ["eventTime", "producer", "schemaURL"],
    "anyOf": [
        {"required": ["run", "job"]},
        {"required": ["job"], "not": {"required": ["run"]}},
        {
            "required": ["dataset"],
            "not": {"anyOf": [{"required": ["run"]}, {"required": ["job"]}]},
            "properties": {"dataset": _named_schema("facets")},
        },
    ],
    "properties": {
        "eventType": {
            "type": ["string", "null"],
            "enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER", None],
        },
        "eventTime": {"type": "string", "format": "date-time"},
        "producer": {"type": "string", "format": "uri"},
        "schemaURL": {"type": "string", "format": "uri"},
        "run": {
            "type": "object",
            "required": ["runId"],
            "properties": {"runId": {"type": "string", "format": "uuid"}, "facets": FACETS},
        },
        "job": _named_schema("facets"),
        "inputs": {"type": ["array", "null"], "items": _named_schema("facets", "inputFacets")},
        "outputs": {"type": ["array", "null"], "items": _named_schema("facets", "outputFacets")},
    },
}
INGEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [EVENT_SCHEMA, {"type": "array", "items": EVENT_SCHEMA, "minItems": 1}]
                }
            }
        },
    }
}
BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": EVENT_SCHEMA, "minItems": 1}}
        },
    }
}
INGEST_ERRORS = _errors(400, 401, 403, 413, 415, 503)


@router.post(
    "/lineage",
    tags=["Lineage"],
    summary="Record OpenLineage events",
    status_code=201,
    responses={201: {"model": schemas.IngestResult}, **INGEST_ERRORS},
    openapi_extra=INGEST_BODY,
)
async def post_lineage(request: Request) -> JSONResponse:
    """Record one event, a JSON array of events, or JSON lines (as ``gzip`` too).

    Every event is validated first; one invalid event rejects the request and nothing is
    stored. An event already recorded is stored once (counted as a duplicate). (Served by
    :class:`governance.serve.ingest_path.IngestFastPath` before the router; same function.)
    """
    result = await record_events(state_of(request), request.headers, request.body, request.scope)
    return JSONResponse(result, status_code=201)


@router.post(
    "/lineage/batch",
    tags=["Lineage"],
    summary="Record a batch of OpenLineage events (204; governance's own, not Marquez's)",
    status_code=204,
    responses=INGEST_ERRORS,
    openapi_extra=BATCH_BODY,
)
async def post_lineage_batch(request: Request) -> Response:
    """Record a JSON array of events, all or none."""
    state = state_of(request)
    key = authorize(state.config.keys, request.headers, "ingest")
    events = await parse_posted(state, request.headers, await request.body(), array_only=True)
    await store_events(state, events, key, request.scope)
    return Response(status_code=204)


def resolve_node(state: ServerState, node_id: str) -> Node:
    """The node named ``dataset:<namespace>:<name>`` or ``job:...``, or 404 / 400 (malformed)."""
    try:
        return state.store.lineage.resolve(node_id)
    except LineageError as exc:  # LineageNotFound is 404, a malformed name 400: its http_status
        raise ApiError(exc.http_status, exc.message) from None


@_read("/lineage", "Lineage", "The lineage graph around a node", schemas.LineageGraph, 404)
def get_lineage(
    state: State,
    node_id: Annotated[
        str,
        Query(
            alias="nodeId",
            min_length=1,
            max_length=4096,
            pattern=r"^(dataset|job):.+:.+$",
            description="dataset:<namespace>:<name> or job:<namespace>:<name>",
        ),
    ],
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH, description="jobs away from the node")] = 20,
) -> JSONResponse:
    """Every job and dataset within ``depth`` jobs of the node, upstream and downstream."""
    root = resolve_node(state, node_id)
    return JSONResponse(
        marquez.graph(state.store.lineage, state.store.listings.catalog, root, depth)
    )


def _time_bound(value: str | None, name: str, default: str) -> str:
    if value is None:
        return default
    try:
        return parse_event_time(value, assume_utc_hint=None)[0]
    except EventRejected as exc:
        raise ApiError(400, f"{name}: {exc.reason}") from None


@_read(
    "/events/lineage", "Lineage", "Recorded OpenLineage events, by event time", schemas.EventList
)
def get_events(
    state: State,
    before: Annotated[
        str | None, Query(description="inclusive", json_schema_extra=DATE_TIME)
    ] = None,
    after: Annotated[
        str | None, Query(description="inclusive", json_schema_extra=DATE_TIME)
    ] = None,
    sort_direction: Annotated[Literal["asc", "desc"], Query(alias="sortDirection")] = "desc",
    limit: Limit = 100,
    offset: Offset = 0,
) -> JSONResponse:
    """Events exactly as they were received, newest first unless ``sortDirection=asc``."""
    import json

    payloads, total = state.store.listings.events(
        after=_time_bound(after, "after", ""),
        before=_time_bound(before, "before", "9999"),
        descending=sort_direction == "desc",
        limit=limit,
        offset=offset,
    )
    return JSONResponse({"events": [json.loads(p) for p in payloads], "totalCount": total})


# -- governance ----------------------------------------------------------------------------


def _summary(item: Any, required: RequiredPolicies) -> dict[str, Any]:
    from governance.store.chain import format_time

    return {
        "evaluationId": item.evaluation_id,
        "model": item.model_name,
        "modelVersion": item.model_version,
        "verdict": item.verdict,
        "exitCode": item.exit_code,
        "startedAt": format_time(item.started_at),
        "finishedAt": format_time(item.finished_at),
        "entrySeq": item.entry_seq,
        "policies": list(item.policies),
        "missingRequired": list(item.missing(required)),
    }


def evaluated_models(state: ServerState) -> list[tuple[str, int, Any]]:
    """Every evaluated model by name: its number of evaluations and its latest verdict.

    The latest verdict is that of the newest evaluation that applied the required policies
    (setting ``required_policies``), None when none did; with none required, the newest's.
    """
    from governance.evaluations.reads import latest_under

    by_model: dict[str, list[Any]] = {}
    for item in state.store.evaluations():
        by_model.setdefault(item.model_name, []).append(item)
    required = state.config.required_policies
    return [
        (name, len(items), latest_under(items, required))
        for name, items in sorted(by_model.items())
    ]


@_read(
    "/models", "Governance", "Every evaluated model with its latest evaluation", schemas.ModelList
)
def get_models(state: State) -> JSONResponse:
    """Models by name; ``latest`` applied the required policies (null: no evaluation did)."""
    required = state.config.required_policies
    models = [
        {
            "name": name,
            "evaluations": count,
            "latest": None if latest is None else _summary(latest, required),
        }
        for name, count, latest in evaluated_models(state)
    ]
    return JSONResponse({"models": models})


def inventory_rows(state: ServerState) -> tuple[list[Any], Any]:
    """The inventory of the server's store under its required policies, and today's date."""
    import datetime as dt

    from governance.inventory import model_inventory

    today = dt.datetime.now(dt.UTC).date()
    rows = model_inventory(
        state.store, state.config.required_policies, settings=state.config.approvals, today=today
    )
    return rows, today


@_read(
    "/inventory",
    "Governance",
    "Every model version with its verdict, waivers, monitoring and registry link",
    schemas.Inventory,
)
def get_inventory(state: State) -> JSONResponse:
    """The model inventory (``governance models --format json``), read from verified entries."""
    import json

    from governance.inventory.export import render_inventory

    rows, today = inventory_rows(state)
    return JSONResponse(json.loads(render_inventory(rows, "json", today)))


@_read("/evaluations", "Governance", "Evaluations, newest first", schemas.EvaluationList)
def get_evaluations(
    state: State,
    model: Annotated[str, Query(max_length=255, description="only this model; empty: all")] = "",
    limit: Limit = 100,
    offset: Offset = 0,
) -> JSONResponse:
    """Evaluation summaries (``governance check`` runs)."""
    items = state.store.evaluations(model=model or None)
    return JSONResponse(
        {
            "evaluations": [
                _summary(item, state.config.required_policies)
                for item in items[offset : offset + limit]
            ],
            "totalCount": len(items),
        }
    )


def evaluation_record(state: ServerState, evaluation_id: str) -> dict[str, Any]:
    """The stored record, or 404 / 409 (its log entry no longer matches its hash).

    The answers do not name the store (the store's own messages do); any other store failure
    goes to the app's handler: 503, detail logged.
    """
    ref = "" if evaluation_id == "latest" else f"{evaluation_id} "
    try:
        return state.store.get_evaluation(evaluation_id)
    except VerificationFailed:
        raise ApiError(409, TAMPERED_EVALUATION.format(ref=evaluation_id)) from None
    except EvaluationNotFound:  # the store's message names the store: this one does not
        raise ApiError(404, NO_SUCH_EVALUATION.format(ref=ref)) from None


@_read(
    "/evaluations/{evaluation_id}",
    "Governance",
    "One evaluation record, exactly as recorded",
    {"content": {"application/json": {"schema": {"type": "object"}}}},
    404,
    409,
)
def get_evaluation(state: State, evaluation_id: str) -> JSONResponse:
    """The evaluation record (docs/evaluation-record.md); ``latest`` for the newest."""
    return JSONResponse(evaluation_record(state, evaluation_id))


@_read(
    "/evaluations/{evaluation_id}/findings",
    "Governance",
    "The findings of one evaluation",
    schemas.FindingList,
    404,
    409,
)
def get_findings(state: State, evaluation_id: str) -> JSONResponse:
    """Findings with their evidence, in the record's order."""
    record = evaluation_record(state, evaluation_id)
    return JSONResponse(
        {"evaluationId": record["evaluation_id"], "findings": record.get("findings") or []}
    )


def report_data(row: Any) -> dict[str, Any]:
    """A recorded report for the API."""
    return {
        "entrySeq": row.entry_seq,
        "evaluationId": row.evaluation_id,
        "fileName": Path(row.path).name,
        "digest": row.digest,
        "signed": row.signed,
        "createdAt": row.created_at,
        "download": f"/api/v1/reports/{row.entry_seq}/pdf",
    }


@_read("/reports", "Governance", "Reports recorded in the log, newest first", schemas.ReportList)
def get_reports(
    state: State,
    evaluation: Annotated[str, Query(max_length=64, description="only this one; empty: all")] = "",
) -> JSONResponse:
    """Every report written with ``governance report`` or ``check --report``."""
    return JSONResponse(
        {"reports": [report_data(row) for row in state.store.reports(evaluation or None)]}
    )


@_read(
    "/reports/{seq}/pdf",
    "Governance",
    "Download a recorded report",
    {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
    404,
    409,
)
def download_report(state: State, seq: Seq) -> StreamingResponse:
    """The PDF exactly as recorded, from a ``--reports-dir`` folder, once its sha256 matches."""
    return report_response(state, seq)


@_read(
    "/audit/verify",
    "Audit",
    "Recompute the hash chain of the whole log and check the query tables against it",
    schemas.AuditStatus,
)
def get_audit_verify(state: State) -> JSONResponse:
    """Whether every entry is intact and linked, and the query tables match the log."""
    report = state.store.verify()
    tables = state.store.check_projections() if report.ok else None
    return JSONResponse(
        {
            "ok": report.ok and tables is not None and tables.ok,
            "entries": report.entries,
            "headHash": report.head_hash,
            "firstBadSeq": report.first_bad_seq,
            "problem": report.problem,
            "checkpoints": report.checkpoints,
            "tables": None
            if tables is None
            else {
                "ok": tables.ok,
                "rows": tables.rows,
                "entries": tables.entries,
                "problem": tables.problem,
                "differences": [
                    {
                        "table": item.table,
                        "changed": item.changed,
                        "missing": item.missing,
                        "extra": item.extra,
                        "examples": list(item.examples),
                    }
                    for item in tables.differences
                ],
            },
        }
    )


@_read("/audit/log", "Audit", "A page of the audit log, oldest first", schemas.AuditLog)
def get_audit_log(
    state: State,
    after: Annotated[int, Query(ge=0, le=2**62, description="entries after this seq")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    kind: Annotated[str, Query(max_length=64, description="only this kind; empty: all")] = "",
) -> JSONResponse:
    """Entries with their hashes and payloads."""
    entries = list(state.store.entries(kind=kind or None, since_seq=after, limit=limit + 1))
    more = len(entries) > limit
    entries = entries[:limit]
    return JSONResponse(
        {
            "entries": [
                {
                    "seq": e.seq,
                    "kind": e.kind,
                    "createdAt": e.created_at_text,
                    "prevHash": e.prev_hash,
                    "entryHash": e.entry_hash,
                    "payload": e.payload,
                }
                for e in entries
            ],
            "next": entries[-1].seq if more and entries else None,
        }
    )


@router.get("/health", tags=["Audit"], summary="Liveness", responses={200: {"model": dict}})
def health(state: State) -> JSONResponse:
    """``{"status": "ok"}`` when the store answers (no key needed)."""
    state.store.ping()
    return JSONResponse({"status": "ok"})
