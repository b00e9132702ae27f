"""Ingest OpenLineage events from any producer into the audit store.

Sources are files, folders (every ``*.json``, ``*.jsonl`` and ``*.ndjson`` below them, in name
order) or standard input. A file holds one event, a JSON array of events, or JSON lines (one event
per line); ``.jsonl`` and ``.ndjson`` files are always read as JSON lines. Each event is validated
(:func:`governance.lineage.validate.parse_event`), checked against the size limit, and appended as
an ``openlineage.event`` entry unless the same event (same canonical JSON) is already recorded.

Without ``strict``, valid events are stored in batches (each batch one transaction, each event
whole) and invalid ones reported, one per line; an interrupted ingest can simply be run again.
With ``strict``, every event is checked first and the events are stored in one transaction only
if none was rejected: all or nothing.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from governance._version import __version__
from governance.canonical import Canonical, CanonicalJSONError, canonical_json
from governance.errors import LineageError
from governance.lineage.provenance import INGEST_KIND
from governance.lineage.validate import (
    MAX_EVENT_BYTES,
    EventRejected,
    ValidatedEvent,
    parse_event,
)
from governance.paths import portable_name, project_root

if TYPE_CHECKING:
    from governance.store.log import AuditLog

NOTHING_STORED = "{count} of {read} events rejected: nothing was stored"
NOTHING_NEW = (
    "{count} of {read} events rejected: nothing new was stored (the valid ones were already "
    "recorded)"
)
SOME_STORED = "{count} of {read} events rejected (the valid ones were stored)"
SOME_STORED_HINT = "--strict stores nothing unless every event is valid"

__all__ = [
    "BATCH_SIZE",
    "INGEST_KIND",
    "IngestReport",
    "Rejection",
    "SourceEvent",
    "ingest",
    "read_events",
    "receipt_name",
]

BATCH_SIZE = 10_000
ANALYZE_AFTER = 10_000
"""Refresh the planner's statistics after storing this many events (graph queries need them)."""
STDIN = "-"
STDIN_NAME = "<stdin>"
SUFFIXES = (".json", ".jsonl", ".ndjson")
LINE_SUFFIXES = (".jsonl", ".ndjson")

NO_SOURCE = "no such file or folder"
NO_EVENT_FILES = "no *.json, *.jsonl or *.ndjson files in this folder"
NO_EVENTS = "no events in {sources}"
TOO_DEEP = "malformed JSON: nested too deeply"
TOO_BIG = "the event is {size} bytes as canonical JSON, more than the limit of {limit}{largest}"
ASSUMED_UTC = "eventTime has no time zone: read as UTC (--assume-utc)"


@dataclass(frozen=True)
class SourceEvent:
    """One event read from a source, or the reason it could not be read."""

    source: str
    line: int
    column: int | None
    value: Any = None
    error: str | None = None
    canonical: Canonical | None = None
    """The value with its canonical text, when it was read from a JSON line."""

    @property
    def location(self) -> str:
        """``source:line`` or ``source:line:column``."""
        where = f"{self.source}:{self.line}"
        return where if self.column is None else f"{where}:{self.column}"


@dataclass(frozen=True)
class Rejection:
    """An event that was not stored, and why."""

    source: str
    line: int
    column: int | None
    reason: str

    @property
    def location(self) -> str:
        """``source:line`` or ``source:line:column``."""
        where = f"{self.source}:{self.line}"
        return where if self.column is None else f"{where}:{self.column}"

    def as_dict(self) -> dict[str, Any]:
        """The rejection as JSON-ready values."""
        return {
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
        }


@dataclass
class IngestReport:
    """What an ingest did."""

    strict: bool
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    assumed_utc: list[str] = field(default_factory=list)
    """Locations of events whose time zone was assumed."""
    sources: list[dict[str, str]] = field(default_factory=list)
    first_seq: int | None = None
    last_seq: int | None = None
    ranges: list[list[int]] = field(default_factory=list)
    """The stored events' seqs, ``[[first, last], ...]``."""

    @property
    def ok(self) -> bool:
        """Whether every event was stored or already recorded."""
        return not self.rejected

    def failure(self) -> LineageError | None:
        """The error an ingest with rejected events ends with (exit 2), or None if none was.

        With ``strict``, or when every event was rejected, nothing was stored; otherwise the
        valid ones were stored, or were already recorded.
        """
        if not self.rejected:
            return None
        count = len(self.rejected)
        if self.strict or count == self.read:
            return LineageError(NOTHING_STORED.format(count=count, read=self.read))
        if not self.stored:
            return LineageError(NOTHING_NEW.format(count=count, read=self.read))
        return LineageError(SOME_STORED.format(count=count, read=self.read), hint=SOME_STORED_HINT)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "strict": self.strict,
            "read": self.read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": [item.as_dict() for item in self.rejected],
            "assumed_utc": list(self.assumed_utc),
            "sources": list(self.sources),
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
        }


def ingest(
    store: AuditLog | Callable[[], AuditLog],
    sources: Sequence[str | Path],
    *,
    strict: bool = False,
    assume_utc: bool = False,
    stdin: IO[bytes] | None = None,
    batch_size: int = BATCH_SIZE,
    on_event: Callable[[str, Rejection | str | None], None] | None = None,
) -> IngestReport:
    """Validate the events of ``sources`` and append the new ones to ``store``.

    Parameters
    ----------
    store
        The open audit store, or a function that opens it: called only once there is a valid
        event to store, so an ingest that stores nothing creates no store.
    sources
        Files, folders, or ``-`` for standard input.
    strict
        Store nothing unless every event is valid.
    assume_utc
        Accept an ``eventTime`` without a time zone, read as UTC (and reported).
    stdin
        The binary stream ``-`` reads (standard input by default).
    batch_size
        Events per transaction without ``strict``.
    on_event
        Called as each event is judged: ``(location, Rejection)`` for a rejected event,
        ``(location, message)`` for a warning, ``(location, None)`` for a good one.

    Returns
    -------
    IngestReport
        Counts, rejections and the log entries written. A ``lineage.ingest`` entry records
        the ingest itself (sources with their sha256, counts, options) unless nothing was
        written: no event was valid, or ``strict`` refused them all.

    Raises
    ------
    LineageError
        If a source does not exist, a folder holds no event files, or the sources hold no
        event at all (nothing is stored).
    StoreError
        If the store fails; the batches committed before stay stored.
    """
    report = IngestReport(strict=strict)
    files = [_expand(Path(s)) if str(s) != STDIN else [STDIN] for s in sources]
    target = _Target(store)
    pending: list[Canonical] = []
    valid = 0
    with _collector_paused():
        for group in files:
            for source in group:
                for item in read_events(source, stdin=stdin, digests=report.sources):
                    report.read += 1
                    event = _judge(item, assume_utc, report, on_event)
                    if event is None:
                        continue
                    valid += 1
                    pending.append(event)
                    if not strict and len(pending) >= batch_size:
                        _store(target.store(), pending, report)
                        pending = []
        if report.read == 0:
            names = ", ".join(STDIN_NAME if str(s) == STDIN else str(s) for s in sources)
            raise LineageError(NO_EVENTS.format(sources=names))
        if valid == 0 or (strict and report.rejected):
            return report
        if pending:
            _store(target.store(), pending, report)
    opened = target.store()
    if report.stored >= ANALYZE_AFTER:
        opened.analyze()
    opened.append(
        INGEST_KIND,
        {
            "via": "cli",
            "events": report.ranges,
            "tool": {"name": "governance", "version": __version__},
            "sources": report.sources,
            "read": report.read,
            "stored": report.stored,
            "duplicates": report.duplicates,
            "rejected": len(report.rejected),
            "assumed_utc": len(report.assumed_utc),
            "options": {"strict": strict, "assume_utc": assume_utc},
            "first_seq": report.first_seq,
            "last_seq": report.last_seq,
        },
    )
    return report


class _Target:
    """The store to write to, opened on first use when given as a function."""

    def __init__(self, store: AuditLog | Callable[[], AuditLog]) -> None:
        self._given = store
        self._opened: AuditLog | None = None

    def store(self) -> AuditLog:
        if self._opened is None:
            given = self._given
            self._opened = given() if callable(given) else given
        return self._opened


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (if enabled) while events are read and stored.

    Every event of a batch stays alive until the batch is stored, so a collection finds
    nothing to free; yet each full collection walks every object of every pending event, and
    the many objects a batch allocates trigger one every two thousand events or so: a fifth of
    an ingest's time, measured. Ingest makes no reference cycles (objects are freed by their
    reference counts as before); the collector runs again as it did once the ingest ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def read_events(
    source: str | Path,
    *,
    stdin: IO[bytes] | None = None,
    digests: list[dict[str, str]] | None = None,
) -> Iterator[SourceEvent]:
    """Read the events of one file (or ``-``), each with its position.

    Parameters
    ----------
    source
        A file, or ``-`` for standard input.
    stdin
        The binary stream for ``-``.
    digests
        If given, ``{"path": ..., "sha256": ...}`` of the bytes read is appended to it: the
        file's portable name (:func:`receipt_name`), never the machine's absolute path.

    Yields
    ------
    SourceEvent
        Decoded JSON values (not yet validated), or read errors with their position.
    """
    import sys

    name = STDIN_NAME if str(source) == STDIN else str(source)
    try:
        if str(source) == STDIN:
            data = (stdin or sys.stdin.buffer).read()
        else:
            data = Path(source).read_bytes()
    except OSError as exc:
        yield SourceEvent(name, 1, None, error=f"cannot read: {exc.strerror or exc}")
        return
    if digests is not None:
        digest = hashlib.sha256(data).hexdigest()
        shown = name if str(source) == STDIN else receipt_name(source, f"sha256:{digest}")
        digests.append({"path": shown, "sha256": digest})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        yield SourceEvent(name, line, None, error="not UTF-8 text")
        return
    if not text.strip():
        return
    as_lines = name.endswith(LINE_SUFFIXES)
    if not as_lines:
        start = len(text) - len(text.lstrip())
        if text[start : start + 1] == "[":
            yield from _array(name, text, start)
            return
        try:
            value = _loads(text)
        except RecursionError:
            line, column = _position(text, start)
            yield SourceEvent(name, line, column, error=TOO_DEEP)
            return
        except ValueError as exc:  # a JSONDecodeError, or NaN/Infinity (not JSON)
            if not _first_line_parses(text):
                if isinstance(exc, json.JSONDecodeError):
                    yield SourceEvent(name, exc.lineno, exc.colno, error=_json_error(exc))
                else:
                    line, column = _position(text, start)
                    yield SourceEvent(name, line, column, error=f"malformed JSON: {exc}")
                return
        else:
            line, column = _position(text, start)
            yield SourceEvent(name, line, column, value=value)
            return
    yield from _lines(name, text)


def receipt_name(source: str | Path, digest: str) -> str:
    """What a ``lineage.ingest`` receipt calls a file it read: its portable name.

    Relative to the top of the git checkout holding it (else the working directory, when the
    file is inside it; :func:`governance.paths.portable_name`), so the receipt names no user or
    workspace folder and is the same on every machine. Receipts written before keep the path as
    given: the log is never rewritten, and they verify as they were written.
    """
    path = Path(source).resolve()
    return portable_name(path, project_root(path.parent), digest)


def _expand(path: Path) -> list[str]:
    if path.is_dir():
        found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
        if not found:
            raise LineageError(NO_EVENT_FILES, path=path)
        return found
    if not path.exists():
        raise LineageError(NO_SOURCE, path=path)
    return [str(path)]


def _judge(
    item: SourceEvent,
    assume_utc: bool,
    report: IngestReport,
    on_event: Callable[[str, Rejection | str | None], None] | None,
) -> Canonical | None:
    """Return the event if it may be stored; record a rejection (or warning) otherwise."""
    reason = item.error
    event: Canonical | None = None
    assumed = False
    if reason is None:
        try:
            parsed = parse_event(item.value, assume_utc=assume_utc)
            assumed = parsed.time_assumed_utc
            known = item.canonical
            if known is None:
                event = Canonical.of(ValidatedEvent.of(item.value, parsed))
            else:
                validated = ValidatedEvent.of(item.value, parsed, floats=known.floats)
                event = known.with_value(validated)
            reason = size_problem(item.value, event.text)
        except EventRejected as exc:
            reason = str(exc)
        except CanonicalJSONError as exc:
            reason = f"not storable as JSON: {exc}"
        except RecursionError:
            reason = "not storable as JSON: nested too deeply"
    if reason is not None:
        rejection = Rejection(item.source, item.line, item.column, reason)
        report.rejected.append(rejection)
        if on_event is not None:
            on_event(item.location, rejection)
        return None
    if assumed:
        report.assumed_utc.append(item.location)
    if on_event is not None:
        on_event(item.location, ASSUMED_UTC if assumed else None)
    return event


def size_problem(event: Mapping[str, Any], text: str | None = None) -> str | None:
    if text is None:
        try:
            text = canonical_json(event)
        except CanonicalJSONError as exc:
            return f"not storable as JSON: {exc}"
    # Cheap first: a text of n characters is n to 4n bytes.
    if len(text) * 4 <= MAX_EVENT_BYTES:
        return None
    size = len(text.encode("utf-8"))
    if size <= MAX_EVENT_BYTES:
        return None
    largest = ""
    facets = list(_facets(event))
    if facets:
        name, facet_size = max(facets, key=lambda pair: pair[1])
        largest = f" (largest facet: {name}, {facet_size} bytes)"
    return TOO_BIG.format(size=size, limit=MAX_EVENT_BYTES, largest=largest)


def _facets(event: Mapping[str, Any]) -> Iterator[tuple[str, int]]:
    holders: list[tuple[str, Any]] = [
        ("run.facets", (event.get("run") or {}).get("facets")),
        ("job.facets", (event.get("job") or {}).get("facets")),
        ("dataset.facets", (event.get("dataset") or {}).get("facets")),
    ]
    for key in ("inputs", "outputs"):
        for index, dataset in enumerate(event.get(key) or []):
            for facet_key in ("facets", "inputFacets", "outputFacets"):
                holders.append((f"{key}[{index}].{facet_key}", dataset.get(facet_key)))
    for where, facets in holders:
        if isinstance(facets, Mapping):
            for name, facet in facets.items():
                yield f"{where}.{name}", len(canonical_json(facet).encode("utf-8"))


def _store(store: AuditLog, events: list[Canonical], report: IngestReport) -> None:
    from governance.lineage.recording import append_events

    for entry in append_events(store, events):
        if entry is None:
            report.duplicates += 1
            continue
        report.stored += 1
        if report.first_seq is None:
            report.first_seq = entry.seq
        report.last_seq = entry.seq
        if report.ranges and report.ranges[-1][1] + 1 == entry.seq:
            report.ranges[-1][1] = entry.seq
        else:
            report.ranges.append([entry.seq, entry.seq])


def _reject_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not valid JSON")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


def _first_line_parses(text: str) -> bool:
    for line in text.splitlines():
        if line.strip():
            try:
                _loads(line)
            except ValueError:
                return False
            return True
    return False


def _lines(name: str, text: str) -> Iterator[SourceEvent]:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        try:
            canonical = Canonical.from_text(stripped)
        except json.JSONDecodeError as exc:
            offset = len(line) - len(line.lstrip())
            yield SourceEvent(name, number, exc.colno + offset, error=_json_error(exc))
            continue
        except CanonicalJSONError as exc:
            yield SourceEvent(name, number, None, error=f"not storable as JSON: {exc}")
            continue
        except ValueError as exc:
            yield SourceEvent(name, number, None, error=f"malformed JSON: {exc}")
            continue
        except RecursionError:
            yield SourceEvent(name, number, None, error=TOO_DEEP)
            continue
        yield SourceEvent(name, number, None, value=canonical.value, canonical=canonical)


def _array(name: str, text: str, start: int) -> Iterator[SourceEvent]:
    """The elements of a top-level JSON array, each with its position."""
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    index = _skip_space(text, start + 1)
    if text[index : index + 1] == "]":
        return
    while True:
        line, column = _position(text, index)
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            yield SourceEvent(
                name,
                exc.lineno,
                exc.colno,
                error=f"{_json_error(exc)} (the rest of the array is not read)",
            )
            return
        except ValueError as exc:
            yield SourceEvent(name, line, column, error=f"malformed JSON: {exc}")
            return
        except RecursionError:
            yield SourceEvent(
                name, line, column, error=f"{TOO_DEEP} (the rest of the array is not read)"
            )
            return
        yield SourceEvent(name, line, column, value=value)
        index = _skip_space(text, end)
        char = text[index : index + 1]
        if char == ",":
            index = _skip_space(text, index + 1)
            continue
        if char == "]" and not text[index + 1 :].strip():
            return
        line, column = _position(text, index)
        yield SourceEvent(
            name, line, column, error="malformed JSON: expected ',' or ']' after an event"
        )
        return


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def _json_error(exc: json.JSONDecodeError) -> str:
    return f"malformed JSON: {exc.msg}"
