"""The ASGI application of ``governance serve``.

FastAPI (on Starlette) was chosen over bare Starlette for one reason: the OpenAPI document is
generated from the same route declarations and models that serve the requests, so it cannot
drift from them, and schemathesis tests the server against it. Handlers that return large
answers build plain dicts (no per-request model validation); the tests check the answers
against the document instead.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from governance._version import __version__
from governance.errors import GovernanceError
from governance.escapes import visible
from governance.resources import resource_dir
from governance.serve.config import ServeConfig
from governance.serve.errors import (
    INTERNAL_ERROR,
    ApiError,
    BodyTooLarge,
    error_body,
    library_failure,
    log_rejection,
    server_failure,
)
from governance.serve.ingest_path import IngestFastPath
from governance.serve.intake import GroupCommitter
from governance.serve.state import ServerState

__all__ = ["create_app"]

STATIC = resource_dir("governance.serve", "static", what="the web view's styles")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
HOST_REFUSED = (
    "this server does not answer to the Host {host!r}: only to localhost, 127.0.0.1, [::1] "
    "and the names given with governance serve --allowed-host"
)
HTML_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes, before the app reads them.

    A ``Content-Length`` above the limit is answered 413 at once; a body sent in chunks is
    counted as it is read and refused (:class:`BodyTooLarge`) when it passes the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            status = 413 if declared.isdigit() else 400
            message = (
                BodyTooLarge(self.limit).message
                if status == 413
                else "Content-Length is not a number"
            )
            log_rejection(scope, status, message)
            await JSONResponse(error_body(status, message), status_code=status)(
                scope, receive, send
            )
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)


class HostCheck:
    """Answer only requests addressed to this server: a loopback name or a configured one.

    A web page can have its own name resolve to 127.0.0.1 (DNS rebinding) and then read and
    post to a server on loopback as if it were its own origin; its requests still carry its
    name in ``Host``, so they are refused here, before anything else runs.
    """

    def __init__(self, app: ASGIApp, config: ServeConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host")
        if self.config.answers_to(host):
            await self.app(scope, receive, send)
            return
        message = HOST_REFUSED.format(host=host or "")
        log_rejection(scope, 400, message)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await JSONResponse(error_body(400, message), status_code=400)(scope, receive, send)


class SecurityHeaders:
    """Add headers that keep browsers from sniffing, framing or leaking referrers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.encode(), value.encode()))
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    headers.append((b"content-security-policy", HTML_POLICY.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1")).strip()
    return None


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _error_response(request: Request, status: int, message: str, headers: Any = None) -> Response:
    log_rejection(request.scope, status, message)
    if _wants_html(request):
        from governance.serve.web import error_page

        return error_page(request, status, message, headers=headers)
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path, in :data:`METHODS` order.

    Each method is tried against the app's routes as the router would (FastAPI nests included
    routers, so a route's ``methods`` cannot be read off the top level); a mount serving static
    files allows what :class:`StaticFiles` does.
    """
    top = request.scope.get("app_root_path", request.scope.get("root_path", ""))
    allowed: list[str] = []
    for method in METHODS:
        scope = {**request.scope, "method": method, "root_path": top}  # as before any mount
        for route in request.app.router.routes:
            if isinstance(route, Mount):
                if isinstance(route.app, StaticFiles) and method in ("GET", "HEAD"):
                    match, _ = route.matches(scope)
                else:
                    continue
            else:
                match, _ = route.matches(scope)
            if match == Match.FULL:
                allowed.append(method)
                break
    return allowed


def _install_handlers(app: FastAPI) -> None:
    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _error_response(request, exc.status, exc.message, exc.headers or None)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for error in exc.errors()[:3]:
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "query")
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        return _error_response(request, 400, "; ".join(problems) or "invalid request")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = str(exc.detail) if exc.detail else "error"
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            message = f"no such page or endpoint: {visible(request.url.path)}"
        if exc.status_code == 405:  # Starlette names only the first matching route's methods
            headers["Allow"] = ", ".join(_allowed_methods(request))
            message = f"{request.method} is not allowed here (allowed: {headers['Allow']})"
        return _error_response(request, exc.status_code, message, headers or None)

    async def governance_error(request: Request, exc: Exception) -> Response:
        """Every library error, answered with the status its class carries."""
        assert isinstance(exc, GovernanceError)
        failure = library_failure(request.scope, exc)
        return _error_response(request, failure.status, failure.message)

    async def unexpected(request: Request, exc: Exception) -> Response:
        failure = server_failure(
            request.scope,
            f"{type(exc).__name__}",
            status=500,
            template=INTERNAL_ERROR,
            exc_info=exc,
        )
        return _error_response(request, failure.status, failure.message)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(GovernanceError, governance_error)
    app.add_exception_handler(Exception, unexpected)


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The generated document, with 400 (not FastAPI's 422) and bearer security declared."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        document = get_openapi(
            title="governance serve",
            version=__version__,
            description=(
                "Marquez-compatible OpenLineage API over a tamper-evident audit store, and "
                "governance's evaluations, findings, reports and audit log. Errors are "
                '`{"code": <status>, "message": <reason>}`.'
            ),
            routes=app.routes,
        )
        components = document.setdefault("components", {})
        components.setdefault("securitySchemes", {})["bearerAuth"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "an API key from `governance serve keys add`",
        }
        schemas = components.get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for path, operations in document.get("paths", {}).items():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    parameter["schema"] = _not_null(parameter.get("schema", {}))
                responses = operation.get("responses", {})
                responses.pop("422", None)
                if path != "/api/v1/health":
                    operation["security"] = [{"bearerAuth": []}]
        app.openapi_schema = document
        return document

    return build


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf [X, null]`` -> ``X``: a query parameter is absent, never null."""
    options = schema.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or {"type": "null"} not in options:
        return schema
    (kept,) = [option for option in options if option != {"type": "null"}]
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return {**kept, **rest}


def create_app(config: ServeConfig) -> FastAPI:
    """Build the application; the store is opened when it starts and closed when it stops.

    Parameters
    ----------
    config
        What to serve and how.

    Returns
    -------
    FastAPI
        An ASGI application (wrap nothing else around it: it carries its size limit).
    """
    from governance.serve import api, api_marquez, monitoring, web

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from governance.audit import AuditStore

        store = AuditStore.open(config.store_url)
        # Everything loaded so far lives as long as the server: keep it out of the collector's
        # full passes, which otherwise stall large answers (tens of ms each).
        gc.collect()
        gc.freeze()
        committer = GroupCommitter(store)
        await committer.start()
        app.state.governance = ServerState(config=config, store=store, committer=committer)
        try:
            yield
        finally:
            await committer.stop()
            store.close()

    app = FastAPI(
        title="governance serve",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    _install_handlers(app)
    app.include_router(api.router)
    app.include_router(api_marquez.router)
    app.include_router(monitoring.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(IngestFastPath)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=config.max_body)
    app.add_middleware(HostCheck, config=config)  # outermost: nothing runs for another Host
    return app
