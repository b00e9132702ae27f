"""Events posted over HTTP: body checks, validation, and appends grouped across requests.

A request body holds one OpenLineage event, a JSON array of events, or JSON lines. It is read
by :func:`governance.lineage.ingest.read_events` and every event validated by
:func:`governance.lineage.validate.parse_event` and the ingest size limit, exactly as
``governance lineage ingest`` does; one invalid event rejects the whole request (400, nothing
stored). Valid events are appended with :meth:`AuditStore.append_events`, which stores an event
already recorded only once.

Appends are grouped: while one transaction commits, the events of the requests that arrive
meanwhile wait and are then appended together in the next one (group commit). Each request is
answered only once its events are committed. If a grouped append fails, each request of the
group is retried alone, so one request's failure never fails another's.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from governance.canonical import Canonical, CanonicalJSONError
from governance.errors import GovernanceError
from governance.lineage.ingest import read_events, size_problem
from governance.lineage.validate import EventRejected, ValidatedEvent, parse_event
from governance.serve.errors import ApiError

if TYPE_CHECKING:
    from governance.audit import AuditStore
    from governance.store import Entry

__all__ = ["GroupCommitter", "decode_body", "events_from_body"]

MAX_GROUP_EVENTS = 5000
JSON_TYPES = ("application/json",)

NOT_JSON_TYPE = "the body must be JSON (Content-Type: application/json), not {found}"
BAD_ENCODING = "Content-Encoding {found} is not supported (use gzip or none)"
BAD_GZIP = "the body is not valid gzip data"
NO_EVENTS = "the body holds no event"
SERVE_ASSUME_UTC = "start the server with governance serve --assume-utc"
NOT_STORABLE = "not storable as JSON: {reason}"


def _is_json_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def decode_body(
    body: bytes, *, content_type: str | None, content_encoding: str | None, limit: int
) -> bytes:
    """Check the media type and undo ``gzip`` (at most ``limit`` bytes once inflated).

    Raises
    ------
    ApiError
        415 for a non-JSON media type or an unknown encoding, 400 for broken gzip data, 413
        when the inflated body is larger than ``limit``.
    """
    if not _is_json_type(content_type):
        raise ApiError(415, NOT_JSON_TYPE.format(found=content_type or "none"))
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise ApiError(415, BAD_ENCODING.format(found=content_encoding))
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise ApiError(400, BAD_GZIP) from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise ApiError(413, f"the request body inflates to more than the limit of {limit} bytes")
    if not inflater.eof:
        raise ApiError(400, BAD_GZIP)
    return data


def events_from_body(body: bytes, *, assume_utc: bool) -> list[Canonical]:
    r"""The valid events of a body, each with its canonical JSON, or an ApiError naming a problem.

    Every event is written as canonical JSON here, as the store would write it, so a value the
    store cannot hold (a number beyond the range of a double, such as ``1e999``, which reads
    as infinity; a lone surrogate such as ``"\ud800"``) is refused as bad input naming its
    field, instead of failing the append. The store reuses the text.

    Raises
    ------
    ApiError
        400 for malformed JSON, an invalid or unstorable event or an empty body; 413 for an
        event larger than the ingest limit. Nothing is returned unless every event is valid.
    """
    try:
        return _events(body, assume_utc=assume_utc)
    except RecursionError:
        raise ApiError(400, "malformed JSON: nested too deeply") from None
    except ValueError as exc:  # read_events lets NaN/Infinity through as ValueError here
        if isinstance(exc, EventRejected):
            raise
        raise ApiError(400, f"malformed JSON: {exc}") from None


def _events(body: bytes, *, assume_utc: bool) -> list[Canonical]:
    events: list[Canonical] = []
    many = body.lstrip()[:1] == b"["
    for item in read_events("-", stdin=io.BytesIO(body)):
        where = f"line {item.line}" + ("" if item.column is None else f", column {item.column}")
        if item.error is not None:
            raise ApiError(400, f"{where}: {item.error}")
        label = f"event {len(events) + 1} ({where}): " if many or events else ""
        try:
            parsed = parse_event(
                item.value, assume_utc=assume_utc, assume_utc_hint=SERVE_ASSUME_UTC
            )
            known = item.canonical
            if known is None:
                event = Canonical.of(ValidatedEvent.of(item.value, parsed))
            else:
                event = known.with_value(ValidatedEvent.of(item.value, parsed, floats=known.floats))
        except EventRejected as exc:
            raise ApiError(400, f"{label}{exc}") from None
        except CanonicalJSONError as exc:
            raise ApiError(400, f"{label}{NOT_STORABLE.format(reason=exc)}") from None
        problem = size_problem(item.value, event.text)
        if problem is not None:
            status = 413 if problem.startswith("the event is") else 400
            raise ApiError(status, f"{label}{problem}")
        events.append(event)
    if not events:
        raise ApiError(400, NO_EVENTS)
    return events


@dataclass
class _Pending:
    events: Sequence[Mapping[str, Any] | Canonical]
    receipt: Mapping[str, Any]
    future: asyncio.Future[list[Entry | None]]


class GroupCommitter:
    """Appends the events of concurrent requests together, one transaction at a time.

    Parameters
    ----------
    store
        The open audit store.
    max_events
        Most events appended in one transaction (a request is never split).
    """

    def __init__(self, store: AuditStore, *, max_events: int = MAX_GROUP_EVENTS) -> None:
        self._store = store
        self._max_events = max_events
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the writer task on the running event loop."""
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="governance-serve-writer")

    async def stop(self) -> None:
        """Stop the writer; requests still waiting are answered with an error."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while self._queue is not None and not self._queue.empty():
            pending = self._queue.get_nowait()
            if not pending.future.done():
                pending.future.set_exception(ApiError(503, "the server is shutting down"))

    async def submit(
        self, events: Sequence[Mapping[str, Any] | Canonical], receipt: Mapping[str, Any]
    ) -> list[Entry | None]:
        """Append ``events`` (all or none) and return, per event, its entry or None if known.

        ``receipt`` says who delivered them (:meth:`AuditStore.append_events`).

        Raises
        ------
        GovernanceError
            If the store refuses the events or fails.
        """
        if self._queue is None:
            raise ApiError(503, "the server is not ready")
        future: asyncio.Future[list[Entry | None]] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(events, receipt, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            group = [await self._queue.get()]
            count = len(group[0].events)
            while not self._queue.empty() and count < self._max_events:
                item = self._queue.get_nowait()
                group.append(item)
                count += len(item.events)
            group = [item for item in group if not item.future.done()]
            if group:
                await self._append(group)

    async def _append(self, group: list[_Pending]) -> None:
        deliveries = [(item.events, item.receipt) for item in group]
        try:
            results = await anyio.to_thread.run_sync(self._store.append_event_groups, deliveries)
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0], exc)
                return
            for item in group:  # isolate the request that failed
                try:
                    alone = await anyio.to_thread.run_sync(
                        self._store.append_event_groups, [(item.events, item.receipt)]
                    )
                except Exception as single:
                    _settle(item, single)
                else:
                    _settle(item, alone[0])
            return
        for item, result in zip(group, results, strict=True):
            _settle(item, result)


def _settle(item: _Pending, outcome: list[Entry | None] | BaseException) -> None:
    if item.future.done():
        return
    if isinstance(outcome, BaseException):
        if not isinstance(outcome, GovernanceError | ApiError):
            outcome = ApiError(500, f"internal error: {type(outcome).__name__}")
        item.future.set_exception(outcome)
    else:
        item.future.set_result(outcome)
