"""The read-only web view for auditors: server-rendered HTML (Jinja2), no JavaScript needed.

Pages: models and their evaluation history, a monitored model's trend per rule, one evaluation
with its findings and evidence, the lineage graph around a node (SVG and tables), the audit log
with its integrity status, and report downloads. Every page reads the store through the same
queries as the API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from governance.errors import ConfigError, InputError, LineageError, VerificationFailed
from governance.record import EvaluationRecord, read_record
from governance.resources import resource_dir
from governance.serve.api import Seq, evaluated_models, evaluation_record, resolve_node
from governance.serve.downloads import report_response
from governance.serve.errors import ApiError
from governance.serve.graph_svg import MAX_DRAWN_NODES, layout, render_svg
from governance.serve.state import ServerState, require_web, server_state
from governance.store.chain import format_time
from governance.store.checkpoint import key_of

__all__ = ["error_page", "router"]

TEMPLATES = resource_dir("governance.serve", "templates", what="the web view's templates")
PAGE = 100
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

State = Annotated[ServerState, Depends(server_state)]
Index = Annotated[int, PathParameter(ge=0, le=2**31)]
router = APIRouter(dependencies=[Depends(require_web)], include_in_schema=False)

OUTCOME_MARKS = {
    "pass": "✔ pass",
    "fail": "✖ fail",
    "error": "⚠ error",
    "insufficient": "◌ insufficient",
    "waived": "⚑ waived",
    "skipped": "– skipped",
}
VERDICT_MARKS = {"passed": "✔ passed", "failed": "✖ failed"}


def _render(
    request: Request, template: str, http_status: int = 200, **context: Any
) -> HTMLResponse:
    state: ServerState | None = getattr(request.app.state, "governance", None)
    # Error pages (shown before a key is checked too) do not say where the store is.
    shown_url = state.store.url if state and http_status < 400 else ""
    page = _env.get_template(template).render(
        request_path=request.url.path,
        store_url=shown_url,
        keys_required=bool(state and state.config.keys),
        outcome_mark=lambda outcome: OUTCOME_MARKS.get(str(outcome), str(outcome)),
        verdict_mark=lambda verdict: VERDICT_MARKS.get(str(verdict), str(verdict)),
        **context,
    )
    return HTMLResponse(page, status_code=http_status)


def error_page(request: Request, status: int, message: str, *, headers: Any = None) -> Response:
    """An error as an HTML page (for browsers)."""
    response = _render(request, "error.html", status, status=status, message=message)
    if headers:
        response.headers.update(headers)
    return response


def _time(value: Any) -> str:
    return format_time(value) if hasattr(value, "tzinfo") else str(value)


@router.get("/", response_class=HTMLResponse)
def models_page(request: Request, state: State) -> HTMLResponse:
    """Every evaluated model with its latest verdict (of an evaluation under the required set)."""
    models = [
        {"name": name, "count": count, "latest": latest}
        for name, count, latest in evaluated_models(state)
    ]
    required = state.config.required_policies
    return _render(request, "models.html", models=models, time=_time, required=bool(required))


@router.get("/inventory", response_class=HTMLResponse)
def inventory_page(request: Request, state: State) -> HTMLResponse:
    """Every model version: verdict under the required policies, waivers, monitoring, registry."""
    from governance.serve.api import inventory_rows

    rows, today = inventory_rows(state)
    required = state.config.required_policies
    return _render(request, "inventory.html", rows=rows, today=today, required=bool(required))


@router.get("/models/{name}", response_class=HTMLResponse)
def model_page(request: Request, state: State, name: str) -> HTMLResponse:
    """The evaluation history of one model, newest first."""
    evaluations = state.store.evaluations(model=name)
    if not evaluations:
        raise ApiError(404, f"no evaluation of model {name} in the audit store")
    required = state.config.required_policies
    rows = [{"item": item, "missing": item.missing(required)} for item in evaluations]
    return _render(request, "model.html", name=name, rows=rows, required=bool(required), time=_time)


@router.get("/models/{name}/trend", response_class=HTMLResponse)
def trend_page(
    request: Request,
    state: State,
    name: str,
    baseline: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """A monitored model's windows: per rule a trend chart, then the windows table."""
    from governance.serve.monitoring import monitored_windows
    from governance.serve.trend_svg import render_trend, rule_trends

    windows = monitored_windows(state, name, baseline or None)
    rules = rule_trends(windows)
    for index, rule in enumerate(rules):
        rule["svg"] = render_trend(index, rule)
        rule["threshold_text"] = _threshold(rule)
        rule["failed"] = sum(1 for point in rule["points"] if point.outcome in ("fail", "error"))
    for window in windows:
        window["failing"] = [
            f"{f['policy']}/{f['rule_id']}"
            for f in window["findings"]
            if f["outcome"] in ("fail", "error")
        ]
    return _render(
        request,
        "trend.html",
        name=name,
        baseline=baseline or None,
        windows=windows,
        rules=rules,
        baselines=sorted({window["baseline"] for window in windows}),
    )


def _threshold(finding: dict[str, Any]) -> str:
    threshold = finding.get("threshold") or {}
    parts = []
    if isinstance(threshold, dict):
        if threshold.get("min") is not None:
            parts.append(f"≥ {threshold['min']:g}")
        if threshold.get("max") is not None:
            parts.append(f"≤ {threshold['max']:g}")
    return " and ".join(parts) or "—"


def _typed(record: dict[str, Any]) -> EvaluationRecord:
    """The stored record parsed (version 1 or 2); 409 when it is not one governance reads."""
    try:
        return read_record(record)
    except (InputError, VerificationFailed) as exc:
        raise ApiError(409, str(exc)) from None


@router.get("/evaluations/{evaluation_id}", response_class=HTMLResponse)
def evaluation_page(request: Request, state: State, evaluation_id: str) -> HTMLResponse:
    """One evaluation: verdict, policies, findings with their evidence and charts, reports."""
    from governance.reporting.charts import record_charts

    record = evaluation_record(state, evaluation_id)
    charts = record_charts(_typed(record))
    reports = state.store.reports(record["evaluation_id"])
    job = f"job:{record.get('namespace', '')}:{(record.get('model') or {}).get('name', '')}"
    job += ".governance_check"
    try:
        state.store.lineage.resolve(job)
        lineage_node: str | None = job
    except LineageError:
        lineage_node = None
    findings = []
    for index, finding in enumerate(record.get("findings") or []):
        evidence = finding.get("evidence")
        findings.append(
            {
                "index": index,
                "item": finding,
                "threshold": _threshold(finding),
                "tables": (evidence or {}).get("tables") if isinstance(evidence, dict) else None,
                "evidence_json": json.dumps(evidence, indent=2, ensure_ascii=False)
                if evidence
                else None,
                "charts": [{"title": chart.title} for chart in charts[index]],
            }
        )
    return _render(
        request,
        "evaluation.html",
        record=record,
        findings=findings,
        reports=reports,
        approvals=_approvals(state, record["evaluation_id"]),
        downloads=bool(state.config.reports_dirs),
        lineage_node=lineage_node,
    )


def _approvals(state: State, evaluation_id: str) -> dict[str, Any] | None:
    """The evaluation's approvals, verified, or ``None`` when the server checks none."""
    from governance.approvals import approval_status
    from governance.reporting.approvals_view import approvals_view

    settings = state.config.approvals
    if settings is None:
        return None
    try:
        return approvals_view(approval_status(state.store, evaluation_id, settings))
    except ConfigError as exc:  # an approver's key file gone: say so, show the rest
        return {"error": exc.message}


@router.get("/evaluations/{evaluation_id}/charts/{finding}/{chart}.svg")
def chart_image(
    request: Request, state: State, evaluation_id: str, finding: Index, chart: Index
) -> Response:
    """One SVG chart of a finding, drawn from its evidence, served as an image (sandboxed)."""
    from governance.reporting.charts import finding_charts

    record = _typed(evaluation_record(state, evaluation_id))
    try:
        item = record.findings[finding]
        drawing = finding_charts(item, fail_on=record.fail_on, strict=record.strict)[chart]
    except IndexError:
        raise ApiError(404, "no such chart") from None
    svg = drawing.draw()
    return Response(
        svg, media_type="image/svg+xml", headers={"Content-Security-Policy": SVG_POLICY}
    )


@router.get("/reports/{seq}/download")
def report_download(state: State, seq: Seq) -> StreamingResponse:
    """A recorded report's PDF (as ``/api/v1/reports/{seq}/pdf``)."""
    return report_response(state, seq)


@router.get("/lineage", response_class=HTMLResponse)
def lineage_page(
    request: Request,
    state: State,
    node: Annotated[str, Query(max_length=4096)] = "",
    depth: Annotated[int, Query(ge=1, le=20)] = 2,
) -> HTMLResponse:
    """The graph around a node (SVG and tables), or a form to choose one."""
    namespaces = state.store.listings.namespaces()
    if not node:
        return _render(
            request, "lineage.html", node="", depth=depth, namespaces=namespaces, graph=None
        )
    try:
        root = resolve_node(state, node)
    except ApiError as exc:
        return _render(
            request,
            "lineage.html",
            exc.status,
            node=node,
            depth=depth,
            namespaces=namespaces,
            graph=None,
            problem=exc.message,
        )
    graph = state.store.lineage.traverse(root, "both", depth=depth)
    items = [(g.node.key, g.node.kind, g.node.namespace, g.node.name) for g in graph.nodes]
    edges = [(edge.source, edge.target) for edge in graph.edges]
    svg = ""
    if len(items) <= MAX_DRAWN_NODES:
        svg = render_svg(root.key, layout(root.key, items, edges), edges)
    return _render(
        request,
        "lineage.html",
        node=root.key,
        depth=depth,
        namespaces=namespaces,
        graph=graph,
        svg=svg,
        max_drawn=MAX_DRAWN_NODES,
    )


def _describe(kind: str, payload: dict[str, Any]) -> str:
    if kind == "evaluation":
        model = payload.get("model") or {}
        return f"{model.get('name')} {model.get('version') or ''}: {payload.get('verdict')}"
    if kind == "openlineage.event":
        job = payload.get("job") or {}
        if job:
            return f"{payload.get('eventType') or 'event'} {job.get('namespace')}:{job.get('name')}"
        dataset = payload.get("dataset") or {}
        return f"dataset {dataset.get('namespace')}:{dataset.get('name')}"
    if kind == "report":
        signed = "signed" if payload.get("signed") else "unsigned"
        return f"{Path(str(payload.get('path', ''))).name} ({signed})"
    if kind == "checkpoint":
        return f"checkpoint of {payload.get('size')} entries"
    return ""


def _page_number(text: str, pages: int) -> int:
    """The page asked for, 1 to ``pages``; ApiError 400 if not a number, 404 if past the last."""
    counted = f"the log has {pages} page{'s' if pages != 1 else ''} of {PAGE} entries"
    if not text.isdecimal() or int(text) < 1:
        raise ApiError(400, f"page: {text!r} is not a page number (1 to {pages}): {counted}")
    number = int(text)
    if number > pages:
        raise ApiError(404, f"page {number} is past the last page: {counted}")
    return number


@router.get("/audit/tables", response_class=HTMLResponse)
def audit_tables_page(request: Request, state: State) -> HTMLResponse:
    """The query tables rebuilt from the log and compared with the stored ones."""
    return _render(request, "audit_tables.html", tables=state.store.check_projections())


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    state: State,
    page: Annotated[str | None, Query(max_length=20, description="1 = the oldest entries")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> HTMLResponse:
    """The integrity of the whole chain, then a page of the log (the newest by default).

    Page ``n`` holds entries ``PAGE * (n - 1) + 1`` to ``PAGE * n``, so a page's link keeps
    showing the same entries as the log grows; ``after`` shows the ``PAGE`` entries after one.
    """
    if page is not None and after is not None:
        raise ApiError(400, "page and after cannot be used together")
    total = state.store.entry_count()
    pages = max(1, -(-total // PAGE))
    number: int | None = None
    if after is None:
        number = pages if page is None else _page_number(page, pages)
        start = PAGE * (number - 1)
    else:
        start = after
    report = state.store.verify()
    entries = [
        {"entry": entry, "summary": _describe(entry.kind, entry.payload)}
        for entry in state.store.entries(since_seq=start, limit=PAGE)
    ]
    checkpoint: dict[str, Any] | None = None
    try:
        checkpoint = state.store.latest_checkpoint()
    except VerificationFailed:  # a tampered checkpoint entry: verify() says so above
        checkpoint = None
    if number is None:
        older = f"/audit?after={max(start - PAGE, 0)}" if start > 0 else None
        end = start + len(entries)
        newer = f"/audit?after={end}" if end < total else None
    else:
        older = f"/audit?page={number - 1}" if number > 1 else None
        newer = f"/audit?page={number + 1}" if number < pages else None
    return _render(
        request,
        "audit.html",
        report=report,
        entries=entries,
        total=total,
        start=start,
        number=number,
        pages=pages,
        older=older,
        newer=newer,
        checkpoint=checkpoint,
        checkpoint_key=key_of(checkpoint) if checkpoint else None,
    )
