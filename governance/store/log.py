"""The audit store: an append-only, sha256 hash-chained log with rebuildable projections."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Row, delete, insert, select

from governance.errors import StoreError, VerificationFailed
from governance.store.canonical import CanonicalJSONError, canonical_json
from governance.store.chain import (
    GENESIS_HASH,
    HASH_PATTERN,
    KIND_PATTERN,
    TIME_PATTERN,
    entry_hash,
    format_time,
    parse_time,
)
from governance.store.engine import StoreEngine, open_engine
from governance.store.migrate import upgrade
from governance.store.projections import ProjectionError, ProjectorRegistry, default_projectors
from governance.store.records import ChainReport, Entry, EvaluationSummary
from governance.store.tables import audit_log, evaluations

__all__ = ["AuditStore"]

BATCH = 500

BAD_KIND = "invalid audit entry kind {kind!r}: use 1-64 of a-z 0-9 . _ - (starting a-z or 0-9)"
BAD_PAYLOAD = "audit entry {index} ({kind}) payload must be a JSON object, not {type}"
NOT_CANONICAL = "audit entry {index} ({kind}) payload cannot be stored: {reason}"
REFUSED = "cannot append to audit store {url}: entry {index} ({kind}): {reason}"
CLOSED = "audit store {url} is closed"
NO_EVALUATION = "no evaluation {ref}in {url}"
TAMPERED_ENTRY = "audit entry {seq} in {url} does not match its hash"
TAMPERED_HINT = "run `governance audit verify` to check the whole log"
OUT_OF_STEP = "the evaluations table of {url} points at audit entry {seq}, which is not {ref}"
OUT_OF_STEP_HINT = "rebuild the projections from the log"


class AuditStore:
    """An append-only, hash-chained audit log (SQLite or PostgreSQL).

    Open one with :meth:`open`; use it as a context manager to close it.
    """

    def __init__(self, engine: StoreEngine, projectors: ProjectorRegistry) -> None:
        self._engine = engine
        self._projectors = projectors
        self._closed = False

    @classmethod
    def open(
        cls, url: str, *, create: bool = True, projectors: ProjectorRegistry | None = None
    ) -> AuditStore:
        """Open the store at ``url``, bringing its schema up to date.

        Parameters
        ----------
        url
            ``sqlite:///path/to/audit.db`` or ``postgresql+psycopg://user:pw@host/db``.
        create
            Create a missing SQLite file (and its folders) or an empty database's schema. With
            ``False``, a missing store is an error (for commands that only read).
        projectors
            The projections to keep; :func:`default_projectors` by default.

        Returns
        -------
        AuditStore
            The open store.

        Raises
        ------
        StoreError
            If the URL is invalid or unsupported, the database is unreachable or read-only,
            there is no store and ``create`` is false, or the store's schema is newer than this
            version of governance knows. The message names the URL without its password.
        """
        engine = open_engine(url, create=create)
        try:
            with engine.write("open") as conn:
                upgrade(conn, engine.masked_url, create=create)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, projectors if projectors is not None else default_projectors())

    @property
    def url(self) -> str:
        """The store URL, with any password masked."""
        return self._engine.masked_url

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.backend

    def close(self) -> None:
        """Close the store's connections; the store cannot be used afterwards."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AuditStore({self.url!r})"

    # -- writing ---------------------------------------------------------------------------

    def append(self, kind: str, payload: Mapping[str, Any]) -> Entry:
        """Append one entry and update the projections, atomically.

        Parameters
        ----------
        kind
            What the entry records, such as ``evaluation`` or ``openlineage.event``.
        payload
            A JSON object; it is stored as canonical JSON and not modified.

        Returns
        -------
        Entry
            The stored entry.

        Raises
        ------
        StoreError
            If the payload is not JSON (NaN, Infinity, non-string keys, other types), a
            projection refuses it, or the database fails.
        """
        return self.append_many([(kind, payload)])[0]

    def append_many(self, items: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Entry]:
        """Append several entries in one transaction: all are stored, or none.

        Parameters
        ----------
        items
            ``(kind, payload)`` pairs, appended in this order.

        Returns
        -------
        list of Entry
            The stored entries, in order.

        Raises
        ------
        StoreError
            As :meth:`append`, for any of the items; then nothing is stored.
        """
        self._check_open()
        prepared = [_prepare(index, kind, payload) for index, (kind, payload) in enumerate(items)]
        if not prepared:
            return []
        with self._engine.write("append to") as conn:
            head = conn.execute(
                select(audit_log.c.seq, audit_log.c.entry_hash)
                .order_by(audit_log.c.seq.desc())
                .limit(1)
            ).first()
            seq, prev_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
            created_at = datetime.now(UTC)
            stamp = format_time(created_at)
            entries: list[Entry] = []
            for kind, text in prepared:
                seq += 1
                digest = entry_hash(seq, kind, stamp, text, prev_hash)
                entries.append(Entry(seq, kind, created_at, text, prev_hash, digest))
                prev_hash = digest
            conn.execute(insert(audit_log), [_row(entry) for entry in entries])
            for index, entry in enumerate(entries):
                self._project(conn, entry, index)
        return entries

    def rebuild_projections(self) -> int:
        """Clear every projection table and replay the log into it, in one transaction.

        Returns
        -------
        int
            How many entries were replayed.
        """
        self._check_open()
        replayed = 0
        kinds = self._projectors.kinds
        with self._engine.write("rebuild the projections of") as conn:
            for table in self._projectors.tables:
                conn.execute(delete(table))
            if not kinds:
                return 0
            last = 0
            while True:
                rows = conn.execute(
                    select(audit_log)
                    .where(audit_log.c.kind.in_(kinds), audit_log.c.seq > last)
                    .order_by(audit_log.c.seq)
                    .limit(BATCH)
                ).all()
                for row in rows:
                    self._project(conn, _entry(row), None)
                replayed += len(rows)
                if len(rows) < BATCH:
                    return replayed
                last = rows[-1].seq

    def _project(self, conn: Connection, entry: Entry, index: int | None) -> None:
        projectors = self._projectors.for_kind(entry.kind)
        if not projectors:
            return
        payload = entry.payload
        for projector in projectors:
            try:
                projector.project(conn, entry, payload)
            except ProjectionError as exc:
                where = entry.seq if index is None else index
                raise StoreError(
                    REFUSED.format(url=self.url, index=where, kind=entry.kind, reason=exc)
                ) from None

    # -- reading ---------------------------------------------------------------------------

    def entries(
        self, *, kind: str | None = None, since_seq: int | None = None, limit: int | None = None
    ) -> Iterator[Entry]:
        """Iterate over the log in order, in batches (no connection is held between batches).

        Parameters
        ----------
        kind
            Only entries of this kind.
        since_seq
            Only entries after this one (``seq > since_seq``).
        limit
            At most this many entries.

        Yields
        ------
        Entry
            The entries, oldest first.
        """
        self._check_open()
        last = since_seq or 0
        remaining = limit
        while remaining is None or remaining > 0:
            size = BATCH if remaining is None else min(BATCH, remaining)
            query = select(audit_log).where(audit_log.c.seq > last)
            if kind is not None:
                query = query.where(audit_log.c.kind == kind)
            with self._engine.read("read") as conn:
                rows = conn.execute(query.order_by(audit_log.c.seq).limit(size)).all()
            for row in rows:
                yield _entry(row)
            if len(rows) < size:
                return
            last = rows[-1].seq
            if remaining is not None:
                remaining -= len(rows)

    def head(self) -> Entry | None:
        """Return the last entry, or ``None`` if the log is empty."""
        self._check_open()
        with self._engine.read("read") as conn:
            row = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).first()
        return None if row is None else _entry(row)

    def verify(self) -> ChainReport:
        """Recompute the whole chain from the stored fields.

        Detects an edited payload, time, kind or hash, a deleted entry (a gap in ``seq``),
        reordered entries, and a broken link. Truncation of the newest entries, or a history
        rewritten with every hash recomputed, is only detected by comparing ``entries`` and
        ``head_hash`` with a checkpoint taken earlier.

        Returns
        -------
        ChainReport
            On failure, ``entries`` and ``head_hash`` describe the intact prefix of the log.
        """
        self._check_open()
        checked = 0
        prev_hash = GENESIS_HASH
        with self._engine.read("verify") as conn:
            result = conn.execution_options(yield_per=BATCH).execute(
                select(audit_log).order_by(audit_log.c.seq)
            )
            for row in result:
                expected = checked + 1
                problem = (
                    f"entry {expected} is missing (the next stored entry is {row.seq})"
                    if row.seq != expected
                    else _row_problem(row, prev_hash)
                )
                if problem is not None:
                    result.close()
                    head = None if checked == 0 else prev_hash
                    return ChainReport(False, checked, head, expected, problem)
                checked += 1
                prev_hash = row.entry_hash
        return ChainReport(True, checked, None if checked == 0 else prev_hash, None, None)

    def get_evaluation(self, ref: str, *, model: str | None = None) -> dict[str, Any]:
        """Return a stored evaluation record exactly as it was appended.

        Parameters
        ----------
        ref
            An ``evaluation_id``, or ``latest`` for the most recently appended one.
        model
            Only evaluations of this model name.

        Returns
        -------
        dict
            The evaluation record (docs/evaluation-record.md).

        Raises
        ------
        StoreError
            If there is no such evaluation.
        VerificationFailed
            If its log entry no longer matches its hash.
        """
        self._check_open()
        query = select(evaluations.c.entry_seq)
        if model is not None:
            query = query.where(evaluations.c.model_name == model)
        if ref == "latest":
            query = query.order_by(evaluations.c.entry_seq.desc()).limit(1)
        else:
            query = query.where(evaluations.c.evaluation_id == ref)
        with self._engine.read("read") as conn:
            seq = conn.execute(query).scalar_one_or_none()
            row = None
            if seq is not None:
                row = conn.execute(select(audit_log).where(audit_log.c.seq == seq)).first()
        if seq is None:
            described = "" if ref == "latest" else f"{ref} "
            if model is not None:
                described += f"of model {model} "
            raise StoreError(NO_EVALUATION.format(ref=described, url=self.url))
        if row is None or row.kind != "evaluation":
            raise StoreError(
                OUT_OF_STEP.format(url=self.url, seq=seq, ref="an evaluation"),
                hint=OUT_OF_STEP_HINT,
            )
        if _row_hash(row) != row.entry_hash:
            raise VerificationFailed(
                TAMPERED_ENTRY.format(seq=seq, url=self.url), hint=TAMPERED_HINT
            )
        record = _entry(row).payload
        if ref != "latest" and record.get("evaluation_id") != ref:
            raise StoreError(
                OUT_OF_STEP.format(url=self.url, seq=seq, ref=f"evaluation {ref}"),
                hint=OUT_OF_STEP_HINT,
            )
        return record

    def evaluations(
        self, *, model: str | None = None, limit: int | None = None
    ) -> list[EvaluationSummary]:
        """List stored evaluations, most recently appended first.

        Parameters
        ----------
        model
            Only evaluations of this model name.
        limit
            At most this many.

        Returns
        -------
        list of EvaluationSummary
            One summary per evaluation.
        """
        self._check_open()
        query = select(evaluations).order_by(evaluations.c.entry_seq.desc())
        if model is not None:
            query = query.where(evaluations.c.model_name == model)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.read("read") as conn:
            rows = conn.execute(query).all()
        return [
            EvaluationSummary(
                evaluation_id=row.evaluation_id,
                model_name=row.model_name,
                model_version=row.model_version,
                verdict=row.verdict,
                exit_code=row.exit_code,
                started_at=parse_time(row.started_at),
                finished_at=parse_time(row.finished_at),
                entry_seq=row.entry_seq,
            )
            for row in rows
        ]

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(CLOSED.format(url=self.url))


def _prepare(index: int, kind: str, payload: Mapping[str, Any]) -> tuple[str, str]:
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind):
        raise StoreError(BAD_KIND.format(kind=kind))
    if not isinstance(payload, Mapping):
        raise StoreError(BAD_PAYLOAD.format(index=index, kind=kind, type=type(payload).__name__))
    try:
        return kind, canonical_json(payload)
    except CanonicalJSONError as exc:
        raise StoreError(NOT_CANONICAL.format(index=index, kind=kind, reason=exc)) from None
    except RecursionError:
        reason = "it is nested too deeply or contains itself"
        raise StoreError(NOT_CANONICAL.format(index=index, kind=kind, reason=reason)) from None


def _row(entry: Entry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "created_at": entry.created_at_text,
        "payload": entry.payload_json,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


def _entry(row: Row[Any]) -> Entry:
    return Entry(
        seq=row.seq,
        kind=row.kind,
        created_at=parse_time(row.created_at),
        payload_json=row.payload,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def _row_hash(row: Row[Any]) -> str:
    return entry_hash(row.seq, row.kind, row.created_at, row.payload, row.prev_hash)


def _row_problem(row: Row[Any], prev_hash: str) -> str | None:
    """Say what is wrong with one stored entry, given the hash of the entry before it."""
    seq = row.seq
    if row.prev_hash != prev_hash:
        if seq == 1:
            return "entry 1 does not start the chain: its prev_hash is not 64 zeros"
        return (
            f"entry {seq} does not link to entry {seq - 1}: its prev_hash is not that entry's "
            "hash (one of the two was altered or replaced)"
        )
    if not HASH_PATTERN.fullmatch(row.entry_hash or ""):
        return f"entry {seq} has a malformed hash"
    if _row_hash(row) != row.entry_hash:
        return f"entry {seq} was altered: its hash does not match its contents"
    if not KIND_PATTERN.fullmatch(row.kind) or not TIME_PATTERN.fullmatch(row.created_at):
        return f"entry {seq} has a malformed kind or time"
    if not _is_canonical(row.payload):
        return f"entry {seq} payload is not canonical JSON"
    return None


def _is_canonical(text: str) -> bool:
    def reject(constant: str) -> Any:
        raise ValueError(constant)

    try:
        return canonical_json(json.loads(text, parse_constant=reject)) == text
    except (ValueError, RecursionError):
        return False
