"""Posting events: the request handling of ``POST /api/v1/lineage``, and its fast path.

``POST /api/v1/lineage`` is what every OpenLineage producer calls, once per event. Routing,
dependency injection and request objects cost more per request than validating the event, so
:class:`IngestFastPath` answers that one route straight from ASGI, before the router, with the
same function the routed endpoint uses (:func:`record_events`): one behaviour, two doors. The
route stays declared in the router for the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from governance._version import __version__
from governance.canonical import Canonical
from governance.errors import GovernanceError
from governance.serve.auth import authorize
from governance.serve.errors import ApiError, error_body, library_failure, log_rejection
from governance.serve.intake import decode_body, events_from_body
from governance.serve.keys import ApiKey
from governance.serve.state import ServerState

__all__ = ["INGEST_PATH", "IngestFastPath", "parse_posted", "record_events", "store_events"]

INGEST_PATH = "/api/v1/lineage"
INLINE_VALIDATION_BYTES = 64 * 1024
"""Bodies up to this size are validated on the event loop; larger ones in a worker thread."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def parse_posted(
    state: ServerState, headers: Mapping[str, str], body: bytes, *, array_only: bool = False
) -> list[Canonical]:
    """The valid events of a posted body (see :func:`events_from_body`), or an ApiError."""
    data = decode_body(
        body,
        content_type=headers.get("content-type"),
        content_encoding=headers.get("content-encoding"),
        limit=state.config.max_body,
    )
    if array_only and data.lstrip()[:1] != b"[":
        raise ApiError(400, "a batch must be a JSON array of events")
    assume_utc = state.config.assume_utc
    if len(data) <= INLINE_VALIDATION_BYTES:
        return events_from_body(data, assume_utc=assume_utc)
    return await anyio.to_thread.run_sync(lambda: events_from_body(data, assume_utc=assume_utc))


async def store_events(
    state: ServerState,
    events: Sequence[Canonical],
    key: ApiKey | None,
    scope: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Append the events (grouped with other requests'); what was stored, as the API says.

    The log records who delivered them (a ``lineage.ingest`` receipt naming ``key``, or no key
    on a server without keys) in the same transaction. A store failure is answered 503 with a
    request id; what failed (naming the store) is logged under that id, never sent.
    """
    try:
        results = await state.committer.submit(events, receipt(key))
    except GovernanceError as exc:
        raise library_failure(scope, exc) from None
    entries = [entry.seq for entry in results if entry is not None]
    return {
        "received": len(events),
        "stored": len(entries),
        "duplicates": len(events) - len(entries),
        "entries": entries,
    }


async def record_events(
    state: ServerState,
    headers: Mapping[str, str],
    body: Callable[[], Awaitable[bytes]],
    scope: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Authorize (before reading the body), read, validate and store posted events."""
    key = authorize(state.config.keys, headers, "ingest")
    events = await parse_posted(state, headers, await body())
    return await store_events(state, events, key, scope)


def receipt(key: ApiKey | None) -> dict[str, Any]:
    """What the log records about who posted events: the API, and the key's id and name."""
    return {
        "via": "api",
        "key": None if key is None else {"id": key.id, "name": key.name},
        "tool": {"name": "governance serve", "version": __version__},
    }


class IngestFastPath:
    """Answer ``POST /api/v1/lineage`` without the router (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``POST /api/v1/lineage``; pass every other request on."""
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != INGEST_PATH
            or scope.get("app") is None
        ):
            await self.app(scope, receive, send)
            return
        state: ServerState = scope["app"].state.governance

        async def body() -> bytes:
            chunks = []
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ApiError(400, "the client disconnected before sending the body")
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    return b"".join(chunks)

        try:
            result = await record_events(state, Headers(scope=scope), body, scope)
        except ApiError as exc:
            log_rejection(scope, exc.status, exc.message)
            response = JSONResponse(
                error_body(exc.status, exc.message), exc.status, headers=exc.headers or None
            )
        else:
            response = JSONResponse(result, 201)
        await response(scope, receive, send)
