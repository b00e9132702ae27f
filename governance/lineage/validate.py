"""Validation of OpenLineage events from any producer: RunEvent, DatasetEvent and JobEvent.

The checks are the ones a store needs to trust an event, not a full JSON-schema validation:
required fields, a UUID ``runId``, an RFC 3339 ``eventTime`` with a time zone, a known
``eventType``, and names within the store's limits. Facets are not interpreted here: any facet,
known or not, is kept verbatim; it only has to be a JSON object. Standard library only, so the
store's projector can use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

__all__ = [
    "EVENT_TYPES",
    "MAX_EVENT_BYTES",
    "MAX_NAMESPACE_BYTES",
    "MAX_NAME_BYTES",
    "TERMINAL_EVENT_TYPES",
    "DatasetRef",
    "EventRejected",
    "ParsedEvent",
    "ValidatedEvent",
    "parse_event",
    "parse_event_time",
    "parse_time_option",
]

EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
TERMINAL_EVENT_TYPES = frozenset({"COMPLETE", "ABORT", "FAIL"})
MAX_EVENT_BYTES = 4 * 1024 * 1024
"""Largest event accepted, as canonical JSON in UTF-8 (4 MiB)."""
MAX_NESTING = 64
"""Deepest nesting of objects and arrays accepted in an event (the spec's examples reach 8)."""
MAX_NAMESPACE_BYTES = 255
MAX_NAME_BYTES = 1024

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})?"
)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S*")
_NO_FACETS: Mapping[str, Any] = MappingProxyType({})
_UTC_ZONES = frozenset({"Z", "z", "+00:00"})
OUT_OF_RANGE = "out of range: {value!r} is not between 0001-01-01 and 9999-12-31 in UTC"
INGEST_ASSUME_UTC = "ingest with --assume-utc"
"""How ``governance lineage ingest`` reads a time without a zone as UTC (the default hint)."""


class EventRejected(ValueError):
    """An event cannot be stored; ``field`` names the offending field (dotted), if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.reason = message
        self.field = field


# Named tuples rather than frozen dataclasses: an event makes several, and they are built in a
# fifth of the time.


class DatasetRef(NamedTuple):
    """A dataset as an event names it, with the facets the event gives it."""

    namespace: str
    name: str
    facets: Mapping[str, Any] = _NO_FACETS
    io_facets: Mapping[str, Any] = _NO_FACETS
    """``inputFacets`` of an input, ``outputFacets`` of an output."""


class ParsedEvent(NamedTuple):
    """The parts of a valid event the store projects; the event itself is stored verbatim."""

    event_class: str
    """``run``, ``job`` or ``dataset``."""
    event_type: str | None
    event_time: str
    """UTC, fixed width: ``2026-11-27T14:00:00.123456Z``."""
    time_assumed_utc: bool
    run_id: str | None = None
    """Lower case."""
    job: tuple[str, str] | None = None
    inputs: tuple[DatasetRef, ...] = ()
    outputs: tuple[DatasetRef, ...] = ()
    dataset: DatasetRef | None = None
    run_facets: Mapping[str, Any] = _NO_FACETS
    job_facets: Mapping[str, Any] = _NO_FACETS
    parent_run_id: str | None = None


class ValidatedEvent(dict[str, Any]):
    """An event (a plain dict, equal to the original) that carries its :class:`ParsedEvent`.

    Ingest validates every event before storing it; handing the store this instead of the
    plain dict saves the projector validating it a second time.
    """

    parsed: ParsedEvent
    floats: bool = True
    """Whether the event may hold a float (``False`` if its decoder saw none)."""

    @classmethod
    def of(
        cls, event: Mapping[str, Any], parsed: ParsedEvent, *, floats: bool = True
    ) -> ValidatedEvent:
        """Wrap ``event`` (shallow copy) with the result of :func:`parse_event` on it."""
        validated = cls(event)
        validated.parsed = parsed
        if not floats:
            validated.floats = False
        return validated


def nesting_problem(value: Any, limit: int, *, text: str | None = None) -> str | None:
    """Why ``value`` nests objects and arrays more than ``limit`` levels deep, or None.

    Counted without recursion, so the answer does not depend on Python's stack. ``text``, the
    JSON ``value`` was decoded from, lets a value with few brackets in all skip the count.
    """
    if text is not None and text.count("{") + text.count("[") <= limit:
        return None
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return f"nested too deeply: more than {limit} levels of objects and arrays"
        stack.extend((child, depth + 1) for child in children)
    return None


def parse_event(
    event: Any,
    *,
    assume_utc: bool = False,
    assume_utc_hint: str | None = INGEST_ASSUME_UTC,
    text: str | None = None,
) -> ParsedEvent:
    """Validate one OpenLineage event and return what the store projects from it.

    The kind is told by its fields, as the spec's ``oneOf`` does: ``run`` makes a RunEvent,
    else ``job`` a JobEvent, else ``dataset`` a DatasetEvent.

    Parameters
    ----------
    event
        The decoded JSON value.
    assume_utc
        Read an ``eventTime`` without a time zone as UTC (the result says so) instead of
        rejecting it.
    assume_utc_hint
        How the caller can have such a time read as UTC, named in the rejection; None when
        it cannot.
    text
        The JSON text ``event`` was decoded from, if at hand (it speeds up the nesting check).

    Returns
    -------
    ParsedEvent
        The validated parts.

    Raises
    ------
    EventRejected
        Naming the field and what is wrong with it.
    """
    if not isinstance(event, Mapping):
        raise EventRejected(f"an event must be a JSON object, not {_json_type(event)}")
    too_deep = nesting_problem(event, MAX_NESTING, text=text)
    if too_deep is not None:
        raise EventRejected(too_deep)
    event_time, assumed = parse_event_time(
        _string(event, "eventTime"), assume_utc=assume_utc, assume_utc_hint=assume_utc_hint
    )
    _uri(event, "producer")
    _uri(event, "schemaURL")
    if "run" in event:
        return _run_event(event, event_time, assumed)
    if "job" in event:
        job, job_facets = _job(event["job"])
        return ParsedEvent(
            event_class="job",
            event_type=None,
            event_time=event_time,
            time_assumed_utc=assumed,
            job=job,
            job_facets=job_facets,
            inputs=_datasets(event, "inputs", "inputFacets"),
            outputs=_datasets(event, "outputs", "outputFacets"),
        )
    if "dataset" in event:
        return ParsedEvent(
            event_class="dataset",
            event_type=None,
            event_time=event_time,
            time_assumed_utc=assumed,
            dataset=_dataset(event["dataset"], "dataset", None, None),
        )
    raise EventRejected(
        "not an OpenLineage event: a RunEvent needs run and job, a JobEvent job, "
        "a DatasetEvent dataset"
    )


def parse_event_time(
    value: str, *, assume_utc: bool = False, assume_utc_hint: str | None = INGEST_ASSUME_UTC
) -> tuple[str, bool]:
    """Read an RFC 3339 ``eventTime`` and return it in UTC, fixed width.

    Parameters
    ----------
    value
        For example ``2026-11-27T14:00:00.123+01:00``; up to 9 fractional digits (beyond 6
        they are dropped).
    assume_utc
        Accept a time without a zone, read as UTC.
    assume_utc_hint
        How the caller can have a time without a zone read as UTC (``ingest with
        --assume-utc``), named in the rejection; None when it cannot (a query's time bound).

    Returns
    -------
    tuple of (str, bool)
        ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, and whether the zone was assumed.

    Raises
    ------
    EventRejected
        If the time is malformed, outside years 1-9999 once converted to UTC, or has no
        zone and ``assume_utc`` is false.
    """
    match = _TIME.fullmatch(value)
    if match is None:
        raise EventRejected(
            f"{value!r} is not an RFC 3339 date-time such as 2026-11-27T14:00:00.123Z",
            "eventTime",
        )
    clock = match["time"]
    if "." in clock:
        whole, fraction = clock.split(".")
        clock = f"{whole}.{fraction[:6]}"
    zone = match["zone"]
    assumed = zone is None
    if assumed and not assume_utc:
        remedy = f", or {assume_utc_hint} to read it as UTC" if assume_utc_hint else ""
        raise EventRejected(f"{value!r} has no time zone (add Z or an offset{remedy})", "eventTime")
    utc = zone is None or zone in _UTC_ZONES
    try:
        # Read without a zone when it is UTC already: the same instant, and no conversion.
        moment = datetime.fromisoformat(f"{match['date']}T{clock}{'' if utc else zone}")
    except ValueError as exc:
        raise EventRejected(f"{value!r} is not a valid date-time: {exc}", "eventTime") from None
    if not utc:
        try:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00:00+14:00 is a day before year 1 in UTC
            raise EventRejected(OUT_OF_RANGE.format(value=value), "eventTime") from None
    return moment.isoformat(timespec="microseconds") + "Z", assumed


def _run_event(event: Mapping[str, Any], event_time: str, assumed: bool) -> ParsedEvent:
    event_type = event.get("eventType")
    if event_type is not None and event_type not in EVENT_TYPES:
        raise EventRejected(
            f"{event_type!r} is not one of {', '.join(EVENT_TYPES)}",
            "eventType",
        )
    run = event["run"]
    if not isinstance(run, Mapping):
        raise EventRejected(f"must be an object, not {_json_type(run)}", "run")
    if "job" not in event:
        raise EventRejected("is missing (a RunEvent needs run and job)", "job")
    run_id = _run_id(run.get("runId"), "run.runId")
    run_facets = _facets(run, "run")
    job, job_facets = _job(event["job"])
    return ParsedEvent(
        event_class="run",
        event_type=event_type,
        event_time=event_time,
        time_assumed_utc=assumed,
        run_id=run_id,
        job=job,
        inputs=_datasets(event, "inputs", "inputFacets"),
        outputs=_datasets(event, "outputs", "outputFacets"),
        run_facets=run_facets,
        job_facets=job_facets,
        parent_run_id=_parent_run_id(run_facets),
    )


def _parent_run_id(run_facets: Mapping[str, Any]) -> str | None:
    parent = run_facets.get("parent")
    if not isinstance(parent, Mapping):
        return None
    run = parent.get("run")
    run_id = run.get("runId") if isinstance(run, Mapping) else None
    if isinstance(run_id, str) and _UUID.fullmatch(run_id):
        return run_id.lower()
    return None


def _run_id(value: Any, where: str) -> str:
    if value is None:
        raise EventRejected("is missing", where)
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise EventRejected(f"{value!r} is not a UUID", where)
    return value.lower()


def _job(job: Any) -> tuple[tuple[str, str], Mapping[str, Any]]:
    if not isinstance(job, Mapping):
        raise EventRejected(f"must be an object, not {_json_type(job)}", "job")
    namespace = _name(job, "namespace", "job", MAX_NAMESPACE_BYTES)
    name = _name(job, "name", "job", MAX_NAME_BYTES)
    return (namespace, name), _facets(job, "job")


# The field names of errors are written only when there is an error: on the common path, the
# dotted names of a large event's datasets cost more than checking them.


def _datasets(event: Mapping[str, Any], key: str, io_key: str) -> tuple[DatasetRef, ...]:
    items = event.get(key)
    if items is None:
        return ()
    if type(items) is not list and (not isinstance(items, Sequence) or isinstance(items, str)):
        raise EventRejected(f"must be an array, not {_json_type(items)}", key)
    return tuple([_dataset(item, key, index, io_key) for index, item in enumerate(items)])


def _dataset(item: Any, key: str, index: int | None, io_key: str | None) -> DatasetRef:
    """A dataset at ``event[key][index]`` (``index`` None: ``event[key]``)."""
    if type(item) is not dict and not isinstance(item, Mapping):
        raise EventRejected(f"must be an object, not {_json_type(item)}", _at(key, index))
    # Both checked wherever they appear (an output's inputFacets are kept, but must be facets).
    inputs = _facets(item, key, index, "inputFacets")
    outputs = _facets(item, key, index, "outputFacets")
    namespace = item.get("namespace")
    if type(namespace) is not str or not 0 < len(namespace) <= MAX_NAMESPACE_BYTES // 4:
        namespace = _name(item, "namespace", _at(key, index), MAX_NAMESPACE_BYTES)
    name = item.get("name")
    if type(name) is not str or not 0 < len(name) <= MAX_NAME_BYTES // 4:
        name = _name(item, "name", _at(key, index), MAX_NAME_BYTES)
    return DatasetRef(
        namespace=namespace,
        name=name,
        facets=_facets(item, key, index),
        io_facets=inputs if io_key == "inputFacets" else outputs if io_key else _NO_FACETS,
    )


def _at(key: str, index: int | None) -> str:
    return key if index is None else f"{key}[{index}]"


def _facets(
    holder: Mapping[str, Any], key: str, index: int | None = None, facets_key: str = "facets"
) -> Mapping[str, Any]:
    """The facets ``holder[facets_key]`` of ``event[key][index]`` (or of ``event[key]``)."""
    facets = holder.get(facets_key)
    if facets is None:
        return _NO_FACETS
    if type(facets) is not dict and not isinstance(facets, Mapping):
        where = f"{_at(key, index)}.{facets_key}"
        raise EventRejected(f"must be an object, not {_json_type(facets)}", where)
    for name, facet in facets.items():
        if type(facet) is not dict and not isinstance(facet, Mapping):
            where = f"{_at(key, index)}.{facets_key}"
            raise EventRejected(f"a facet must be an object, not {_json_type(facet)}", where)
        if not name or (len(name) * 4 > MAX_NAMESPACE_BYTES and len(name.encode()) > 255):
            where = f"{_at(key, index)}.{facets_key}"
            raise EventRejected(f"facet name {name!r} must be 1-255 bytes long", where)
    return facets


def _name(holder: Mapping[str, Any], key: str, where: str, limit: int) -> str:
    value = holder.get(key)
    if value is None:
        raise EventRejected("is missing", f"{where}.{key}")
    if not isinstance(value, str) or not value:
        raise EventRejected("must be a non-empty string", f"{where}.{key}")
    if len(value) * 4 > limit and len(value.encode("utf-8")) > limit:
        raise EventRejected(f"is longer than {limit} bytes", f"{where}.{key}")
    return value


def _string(holder: Mapping[str, Any], key: str) -> str:
    value = holder.get(key)
    if value is None:
        raise EventRejected("is missing", key)
    if not isinstance(value, str):
        raise EventRejected(f"must be a string, not {_json_type(value)}", key)
    return value


def _uri(holder: Mapping[str, Any], key: str) -> str:
    value = _string(holder, key)
    if not _URI.fullmatch(value):
        raise EventRejected(f"{value!r} is not a URI", key)
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "an array"
    return type(value).__name__


def parse_time_option(value: str, *, end_of_day: bool = False) -> str:
    """Read a time given on the command line (``--since``, ``--until``, ``--as-of``).

    Parameters
    ----------
    value
        An RFC 3339 date-time with a zone (``2026-11-27T14:00:00Z``), or a date
        (``2026-11-27``), read as the start of that day in UTC, or its end with ``end_of_day``.
    end_of_day
        Read a date as its last microsecond (for inclusive upper bounds).

    Returns
    -------
    str
        UTC, fixed width, as the store writes times.

    Raises
    ------
    ValueError
        If the value is neither, or a date-time has no time zone.
    """
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a valid date: {exc}") from None
        return f"{value}T23:59:59.999999Z" if end_of_day else f"{value}T00:00:00.000000Z"
    match = _TIME.fullmatch(value)
    if match is not None and match["zone"] is None:
        raise ValueError(f"{value!r} has no time zone (add Z or an offset)")
    try:
        return parse_event_time(value)[0]
    except EventRejected as exc:
        raise ValueError(exc.reason) from None
