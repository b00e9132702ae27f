"""The audit store: an append-only, sha256 hash-chained log with rebuildable projections."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from sqlalchemy import Connection, Row, delete, func, select

from governance.canonical import (
    Canonical,
    CanonicalJSONError,
    canonical_json,
    sha256_hex,
)
from governance.errors import SigningError, StoreError, VerificationFailed
from governance.store.bulk import insert_rows
from governance.store.chain import GENESIS_HASH, KIND_PATTERN, entry_hash, format_time, parse_time
from governance.store.engine import StoreEngine, open_engine
from governance.store.migrate import upgrade
from governance.store.projections import (
    ProjectionError,
    ProjectorRegistry,
    default_projectors,
)
from governance.store.provenance import INGEST_KIND
from governance.store.records import ChainReport, Entry, EvaluationSummary
from governance.store.tables import audit_log, evaluations
from governance.store.walk import ChainWalker, row_hash

if TYPE_CHECKING:
    from cryptography import x509

    from governance.keys import SigningConfig
    from governance.store.checkpoint import CheckpointCheck
    from governance.store.lineage_queries import LineageQueries
    from governance.store.projection_check import EventOrigin, ProjectionReport, VerifiedLineage

__all__ = ["AuditStore"]

BATCH = 500
LOG_COLUMNS = ("seq", "kind", "created_at", "payload", "prev_hash", "entry_hash")
PARALLEL_MIN = 100_000
"""Verify a log with more entries than this in worker processes."""
PARALLEL_BATCH = 2_000
MAX_WORKERS = 4

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
EMPTY_LOG = "audit store {url} is empty: there is nothing to checkpoint"
CHECKPOINT_TAMPERED = "refusing to checkpoint audit store {url}: {problem}"
CHECKPOINT_KEY_REFUSED = "refusing to checkpoint audit store {url}: {problem}"
CHECKPOINT_KEY_HINT = "see docs/checkpoints.md, key rotation"
TRIGGERS_RESTORED = (
    "audit store {url}: the append-only triggers of audit_log were missing or altered: "
    "{names} re-created, recorded as entry {seq}"
)
TRIGGERS_NOT_RESTORED = (
    "audit store {url}: the append-only triggers of audit_log are missing or altered ({names}) "
    "and cannot be re-created: {reason}"
)
TRIGGERS_HINT = "re-create them as the owner of the audit_log table (docs/audit-store.md)"

logger = logging.getLogger("governance.store")


class AuditStore:
    """An append-only, hash-chained audit log (SQLite or PostgreSQL).

    Open one with :meth:`open`; use it as a context manager to close it.
    """

    def __init__(self, engine: StoreEngine, projectors: ProjectorRegistry) -> None:
        self._engine = engine
        self._projectors = projectors
        self._closed = False
        self._triggers_restored: Entry | None = None

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
        store = cls(engine, projectors if projectors is not None else default_projectors())
        try:
            with engine.write("open") as conn:
                if upgrade(conn, engine.masked_url, create=create):
                    store._rebuild(conn)
                store._restore_triggers(conn)
        except BaseException:
            engine.dispose()
            raise
        if store._triggers_restored is not None:
            names = ", ".join(store._triggers_restored.payload["triggers"])
            seq = store._triggers_restored.seq
            logger.warning(TRIGGERS_RESTORED.format(url=store.url, names=names, seq=seq))
        return store

    def _restore_triggers(self, conn: Connection) -> None:
        """Re-create missing or altered append-only triggers, and record that in the log."""
        from sqlalchemy.exc import SQLAlchemyError

        from governance.store.engine import db_reason
        from governance.store.triggers import RESTORED_KIND, restore_triggers, trigger_problems

        problems = trigger_problems(conn, self.backend)
        if not problems:
            return
        names = [found.name for found in problems]
        try:
            restore_triggers(conn, self.backend, names)
        except SQLAlchemyError as exc:
            raise StoreError(
                TRIGGERS_NOT_RESTORED.format(
                    url=self.url, names=", ".join(names), reason=db_reason(exc, self._engine.secret)
                ),
                hint=TRIGGERS_HINT,
            ) from None
        record = {"triggers": names, "problems": [found.problem for found in problems]}
        (self._triggers_restored,) = self._append_locked(
            conn, [(RESTORED_KIND, canonical_json(record))]
        )

    @property
    def triggers_restored(self) -> Entry | None:
        """The entry recording append-only triggers re-created when this store was opened.

        Opening a store whose ``audit_log`` triggers are missing, replaced or disabled
        re-creates them and appends an entry of kind ``store.triggers_restored`` naming them
        (``triggers``) and what was wrong (``problems``); ``None`` if they were in place.
        """
        return self._triggers_restored

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

    def append_many(
        self, items: Sequence[tuple[str, Mapping[str, Any] | Canonical]]
    ) -> list[Entry]:
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
            return self._append_locked(conn, prepared, [_value(payload) for _, payload in items])

    def append_events(
        self,
        events: Sequence[Mapping[str, Any] | Canonical],
        *,
        receipt: Mapping[str, Any] | None = None,
    ) -> list[Entry | None]:
        """Append OpenLineage events not recorded yet, in one transaction: all or none.

        An event counts as recorded when an ``openlineage.event`` entry with the same canonical
        JSON is in the log (its sha256 is the dedupe key), so appending the same event twice
        stores it once. Validate events first (:func:`governance.lineage.validate.parse_event`):
        an invalid one is refused here and then nothing is stored.

        Parameters
        ----------
        events
            OpenLineage RunEvents, JobEvents or DatasetEvents as JSON objects (or
            :class:`~governance.canonical.Canonical` ones, whose text is reused).
        receipt
            Who delivered the events (``{"via": "api", "key": {...}}``): if given and an event
            is stored, a ``lineage.ingest`` entry with it, the stored events' seqs
            (``events``: ``[[first, last], ...]``) and counts (``stored``, ``duplicates``) is
            appended in the same transaction, after the events
            (:mod:`governance.store.provenance`).

        Returns
        -------
        list of Entry or None
            For each event, its new entry, or ``None`` if it was already recorded (or appears
            earlier in ``events``).

        Raises
        ------
        StoreError
            If an event is not JSON or not a valid OpenLineage event, or the database fails.
        """
        return self.append_event_groups([(events, receipt)])[0]

    def append_event_groups(
        self,
        groups: Sequence[tuple[Sequence[Mapping[str, Any] | Canonical], Mapping[str, Any] | None]],
    ) -> list[list[Entry | None]]:
        """Append several deliveries of events, each with its receipt, in one transaction.

        As :meth:`append_events` for each ``(events, receipt)`` in turn (an event recorded by an
        earlier group counts as recorded); all are stored, or none. Groups with equal receipts
        share one ``lineage.ingest`` entry, appended after all the events.

        Returns
        -------
        list of list of Entry or None
            Per group, per event, its new entry or ``None``.
        """
        from governance.store.lineage_projection import EVENT_KIND, known_event_hashes

        self._check_open()
        prepared = [
            [_prepare(index, EVENT_KIND, event) for index, event in enumerate(events)]
            for events, _ in groups
        ]
        digests = [[sha256_hex(text) for _, text in items] for items in prepared]
        with self._engine.write("append to") as conn:
            seen = known_event_hashes(conn, [d for group in digests for d in group])
            next_seq = _head(conn)[0] + 1
            items: list[tuple[str, str]] = []
            payloads: list[Mapping[str, Any]] = []
            placed: list[list[int | None]] = []  # per group, per event: index into items
            receipts: dict[str, tuple[Mapping[str, Any], list[int], list[int]]] = {}
            for (events, receipt), group, group_digests in zip(
                groups, prepared, digests, strict=True
            ):
                where: list[int | None] = []
                seqs: list[int] = []
                for position, (item, digest) in enumerate(zip(group, group_digests, strict=True)):
                    if digest in seen:
                        where.append(None)
                        continue
                    seen.add(digest)
                    where.append(len(items))
                    seqs.append(next_seq + len(items))
                    items.append(item)
                    payloads.append(_value(events[position]))
                placed.append(where)
                if receipt is not None:
                    _, stored_seqs, duplicates = receipts.setdefault(
                        canonical_json(receipt), (receipt, [], [])
                    )
                    stored_seqs.extend(seqs)
                    duplicates.append(len(group) - len(seqs))
            for receipt, stored_seqs, duplicates in receipts.values():
                if stored_seqs:  # one receipt per deliverer and transaction, after the events
                    note = {
                        **receipt,
                        "events": seq_ranges(stored_seqs),
                        "stored": len(stored_seqs),
                        "duplicates": sum(duplicates),
                    }
                    items.append(_prepare(len(items), INGEST_KIND, note))
                    payloads.append(note)
            stored = self._append_locked(conn, items, payloads) if items else []
        return [[None if i is None else stored[i] for i in where] for where in placed]

    def _append_locked(
        self,
        conn: Connection,
        prepared: Sequence[tuple[str, str]],
        payloads: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[Entry]:
        """Append canonical ``(kind, text)`` items inside the serialised write transaction.

        ``payloads`` are the objects the texts were made from, handed to the projectors as
        they are (equal as JSON to reading the texts back, without the cost of it).
        """
        seq, prev_hash = _head(conn)
        created_at = datetime.now(UTC)
        stamp = format_time(created_at)
        entries: list[Entry] = []
        rows: list[tuple[int, str, str, str, str, str]] = []
        for kind, text in prepared:
            seq += 1
            digest = entry_hash(seq, kind, stamp, text, prev_hash)
            entries.append(Entry(seq, kind, created_at, text, prev_hash, digest))
            rows.append((seq, kind, stamp, text, prev_hash, digest))
            prev_hash = digest
        insert_rows(conn, audit_log, rows, columns=LOG_COLUMNS)
        self._project(conn, entries, replay=False, payloads=payloads)
        return entries

    def rebuild_projections(self) -> int:
        """Clear every projection table and replay the log into it, in one transaction.

        Returns
        -------
        int
            How many entries were replayed.
        """
        self._check_open()
        with self._engine.write("rebuild the projections of") as conn:
            return self._rebuild(conn)

    def analyze(self) -> None:
        """Refresh the query planner's statistics of the projection tables.

        Graph queries are planned from them; after a large ingest (PostgreSQL's autovacuum
        may not have run yet) stale statistics make the planner scan whole tables.
        ``governance lineage ingest`` calls this after storing many events.
        """
        self._check_open()
        with self._engine.write("analyze") as conn:
            for table in self._projectors.tables:
                conn.exec_driver_sql(f"ANALYZE {table.name}")

    def _rebuild(self, conn: Connection) -> int:
        self._reset_projectors()
        try:
            return self._replay(conn)
        except BaseException:
            self._reset_projectors()  # what they remembered is rolled back
            raise

    def _reset_projectors(self) -> None:
        for projector in self._projectors.projectors:
            reset = getattr(projector, "reset", None)
            if reset is not None:
                reset()

    def _replay(self, conn: Connection) -> int:
        replayed = 0
        kinds = self._projectors.kinds
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
            self._project(conn, [_entry(row) for row in rows], replay=True)
            replayed += len(rows)
            if len(rows) < BATCH:
                return replayed
            last = rows[-1].seq

    def _project(
        self,
        conn: Connection,
        entries: Sequence[Entry],
        *,
        replay: bool,
        payloads: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Project a batch of entries; a refused entry is a StoreError naming it."""
        first_seq = entries[0].seq if entries else 0
        try:
            self._projectors.project(conn, entries, payloads)
        except ProjectionError as exc:
            refused = exc.entry or entries[0]
            where = refused.seq if replay else refused.seq - first_seq
            raise StoreError(
                REFUSED.format(url=self.url, index=where, kind=refused.kind, reason=exc)
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

    def verify(
        self,
        *,
        workers: int | Literal["auto"] = 1,
        trust_roots: Sequence[x509.Certificate] = (),
    ) -> ChainReport:
        """Recompute the whole chain from the stored fields, and check the append-only triggers.

        Detects an edited payload, time, kind or hash, a deleted entry (a gap in ``seq``),
        reordered entries, and a broken link; and checks every ``checkpoint`` entry in the log:
        it must state the log just before it, carry a valid signature, and be signed by a
        trusted key: one of ``trust_roots`` (or a certificate one of them issued) if given,
        else the key of the log's first checkpoint. Truncation of the newest entries, or a
        history rewritten with every hash recomputed and the checkpoints dropped (or all
        re-signed, without ``trust_roots``), is only detected against a checkpoint kept
        elsewhere (:meth:`check_checkpoint`) or the first checkpoint's key fingerprint
        (``checkpoint_keys[0]``) recorded elsewhere.

        The triggers that refuse ``UPDATE`` and ``DELETE`` of ``audit_log`` must be in place
        and enabled, exactly as governance creates them (``ChainReport.triggers``).

        Parameters
        ----------
        workers
            Processes that check entries' hashes and forms in parallel (the links are followed
            in order either way); ``"auto"``: one per CPU (at most 4) for a log of more than
            100,000 entries, else none. Workers are started with ``spawn``, so a script that
            asks for them must guard its entry point (``if __name__ == "__main__":``).
        trust_roots
            ``cryptography`` certificates: every checkpoint entry must be signed by one of
            them or by a certificate one of them issued (any of them: keys may rotate).

        Returns
        -------
        ChainReport
            On failure, ``entries`` and ``head_hash`` describe the intact prefix of the log.
        """
        from governance.store.triggers import trigger_problems

        self._check_open()
        with self._engine.read("verify") as conn:
            count = _workers(conn, 0) if workers == "auto" else workers
            walker, problem = _walk(conn, ChainWalker(trust_roots=trust_roots), workers=count)
            triggers = trigger_problems(conn, self.backend)
        return _report(walker, problem, tuple(found.problem for found in triggers))

    def check_projections(self) -> ProjectionReport:
        """Compare every query table with what the log implies.

        The log is replayed, each entry's hash checked, into a scratch database, and each
        projection table (evaluations, findings, reports, lineage) is compared with it row by
        row: an edited, deleted or inserted row is found, by table and key.

        Returns
        -------
        ProjectionReport
            ``ok`` when every table matches; else what differs, a few rows per table.
        """
        from governance.store.projection_check import check_projections

        self._check_open()
        fresh = ProjectorRegistry(tuple(_fresh(p) for p in self._projectors.projectors))
        return check_projections(self._engine, fresh, url=self.url)

    @contextmanager
    def verified_lineage(
        self, *, accept: Callable[[EventOrigin], bool] | None = None
    ) -> Iterator[VerifiedLineage]:
        """Lineage queries over tables rebuilt from the log's hash-checked events.

        What a decision reads (the gate's lineage checks): never the store's own lineage tables,
        which anyone who can write the database could edit. Costs one replay of every
        ``openlineage.event`` entry.

        Parameters
        ----------
        accept
            Only the events it accepts are projected: it sees each event with who delivered
            it and when it was recorded (:class:`EventOrigin`).

        Yields
        ------
        VerifiedLineage
            ``lineage`` (a :class:`LineageQueries`) and ``head()``, valid inside the block.

        Raises
        ------
        VerificationFailed
            If an event entry does not match its hash or cannot be projected.
        """
        from governance.store.projection_check import verified_lineage

        self._check_open()
        with verified_lineage(self._engine, url=self.url, accept=accept) as verified:
            yield verified

    # -- checkpoints -----------------------------------------------------------------------

    def create_checkpoint(
        self,
        signing: SigningConfig,
        *,
        workers: int | Literal["auto"] = 1,
        trust_roots: Sequence[x509.Certificate] = (),
    ) -> dict[str, Any]:
        """Verify the log, then sign its size and head hash and append that as an entry.

        The whole chain is verified first (a checkpoint of a tampered log would vouch for
        it); entries appended meanwhile are checked too, in the write transaction that appends
        the checkpoint, so the checkpoint covers exactly the entries before it: it is entry
        ``size + 1``. Its key must pass the check :meth:`verify` makes of checkpoint entries:
        without ``trust_roots``, it must be the key of the log's first checkpoint (a new key
        would make every later verify fail); with them, every checkpoint's key, the new one's
        included, must be trusted (key rotation).

        Parameters
        ----------
        signing
            The key and certificate (``governance.reporting.load_signing_config``).
        workers
            As for :meth:`verify`.
        trust_roots
            As for :meth:`verify`.

        Returns
        -------
        dict
            The signed checkpoint (see :mod:`governance.store.checkpoint`): ``type``,
            ``version``, ``store_id``, ``size``, ``head_hash``, ``time``,
            ``signature_algorithm``, ``signature``, ``certificate``, ``signer``, ``dev_key``.

        Raises
        ------
        VerificationFailed
            If the log does not verify.
        StoreError
            If the log is empty.
        SigningError
            If the key cannot sign, or is not the key the log's checkpoints must have.
        """
        from governance.store.checkpoint import CHECKPOINT_KIND, sign_checkpoint

        self._check_open()
        with self._engine.read("verify") as conn:
            count = _workers(conn, 0) if workers == "auto" else workers
            walker, problem = _walk(conn, ChainWalker(trust_roots=trust_roots), workers=count)
        with self._engine.write("checkpoint") as conn:
            if problem is None:
                walker, problem = _walk(conn, walker)
            if problem is not None:
                raise VerificationFailed(
                    CHECKPOINT_TAMPERED.format(url=self.url, problem=problem),
                    hint=TAMPERED_HINT,
                )
            if walker.entries == 0 or walker.store_id is None or walker.head_hash is None:
                raise StoreError(EMPTY_LOG.format(url=self.url))
            checkpoint = sign_checkpoint(
                store_id=walker.store_id,
                size=walker.entries,
                head_hash=walker.head_hash,
                time=format_time(datetime.now(UTC)),
                signing=signing,
            )
            seq = walker.entries + 1
            problem = walker.key_problem(checkpoint, seq, f"the new checkpoint (entry {seq}) is")
            if problem is not None:
                raise SigningError(
                    CHECKPOINT_KEY_REFUSED.format(url=self.url, problem=problem),
                    hint=CHECKPOINT_KEY_HINT,
                )
            self._append_locked(conn, [(CHECKPOINT_KIND, canonical_json(checkpoint))])
        return checkpoint

    def latest_checkpoint(self) -> dict[str, Any] | None:
        """Return the most recent checkpoint recorded in the log, or ``None``.

        Returns
        -------
        dict or None
            The checkpoint as :meth:`create_checkpoint` returned it.

        Raises
        ------
        VerificationFailed
            If its log entry no longer matches its hash.
        """
        from governance.store.checkpoint import CHECKPOINT_KIND

        self._check_open()
        with self._engine.read("read") as conn:
            row = conn.execute(
                select(audit_log)
                .where(audit_log.c.kind == CHECKPOINT_KIND)
                .order_by(audit_log.c.seq.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        if row_hash(row) != row.entry_hash:
            raise VerificationFailed(
                TAMPERED_ENTRY.format(seq=row.seq, url=self.url), hint=TAMPERED_HINT
            )
        return _entry(row).payload

    def check_checkpoint(
        self, checkpoint: Mapping[str, Any], *, trust_roots: Sequence[Any] = ()
    ) -> CheckpointCheck:
        """Compare a checkpoint (kept outside the store) with the log.

        The checkpoint's signature must verify; entry 1 must have the checkpoint's
        ``store_id`` as hash (else it is another store's, or the history was replaced); the log
        must still have ``size`` entries (else its end was cut off); and entry ``size`` must
        still have hash ``head_hash`` (else the history up to it was rewritten). Run
        :meth:`verify` as well: it proves the entries are linked up to the head.

        Parameters
        ----------
        checkpoint
            A checkpoint (``governance.store.checkpoint.load_checkpoint``).
        trust_roots
            ``cryptography`` certificates; if given, the checkpoint must be signed by one of
            them or by a certificate one of them issued.

        Returns
        -------
        CheckpointCheck
            Whether it holds, and if not, why.
        """
        from governance.store.checkpoint import CheckpointCheck, key_of, signature_problem

        self._check_open()
        size = int(checkpoint["size"])
        problem = signature_problem(checkpoint, trust_roots)
        if problem is None:
            with self._engine.read("read") as conn:
                rows = {
                    row.seq: row
                    for row in conn.execute(select(audit_log).where(audit_log.c.seq.in_([1, size])))
                }
                count = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
            problem = _checkpoint_problem(checkpoint, rows, count)
        key = key_of(checkpoint)
        return CheckpointCheck(
            ok=problem is None,
            size=size,
            head_hash=str(checkpoint["head_hash"]),
            time=str(checkpoint["time"]),
            signer=str(checkpoint.get("signer", "")),
            problem=problem,
            fingerprint=key.fingerprint if key is not None else "",
        )

    # -- lineage ---------------------------------------------------------------------------

    @property
    def lineage(self) -> LineageQueries:
        """Queries over the lineage projections (:class:`LineageQueries`)."""
        from governance.store.lineage_queries import LineageQueries

        self._check_open()
        return LineageQueries(self._engine)

    def get_evaluation(self, ref: str, *, model: str | None = None) -> dict[str, Any]:
        """Return a stored evaluation record exactly as it was appended.

        The record is read from its log entry, whose hash is checked. ``latest`` is found in
        the log itself (the newest ``evaluation`` entry), not in the ``evaluations`` table,
        so an edited or deleted row cannot make an older evaluation the latest.

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
            If there is no such evaluation, or the ``evaluations`` table points elsewhere.
        VerificationFailed
            If its log entry no longer matches its hash.
        """
        self._check_open()
        if ref == "latest":
            return self._latest_evaluation(model)
        query = select(evaluations.c.entry_seq).where(evaluations.c.evaluation_id == ref)
        if model is not None:
            query = query.where(evaluations.c.model_name == model)
        with self._engine.read("read") as conn:
            seq = conn.execute(query).scalar_one_or_none()
            row = None
            if seq is not None:
                row = conn.execute(select(audit_log).where(audit_log.c.seq == seq)).first()
        if seq is None:
            described = f"{ref} " + (f"of model {model} " if model is not None else "")
            raise StoreError(NO_EVALUATION.format(ref=described, url=self.url))
        if row is None or row.kind != "evaluation":
            raise StoreError(
                OUT_OF_STEP.format(url=self.url, seq=seq, ref="an evaluation"),
                hint=OUT_OF_STEP_HINT,
            )
        record = self._checked_payload(row)
        named = record.get("model")
        if record.get("evaluation_id") != ref or (
            model is not None and (not isinstance(named, dict) or named.get("name") != model)
        ):
            raise StoreError(
                OUT_OF_STEP.format(url=self.url, seq=seq, ref=f"evaluation {ref}"),
                hint=OUT_OF_STEP_HINT,
            )
        return record

    def _latest_evaluation(self, model: str | None) -> dict[str, Any]:
        """The newest ``evaluation`` entry of the log (of ``model``), hash-checked."""
        last: int | None = None
        while True:
            query = select(audit_log).where(audit_log.c.kind == "evaluation")
            if last is not None:
                query = query.where(audit_log.c.seq < last)
            with self._engine.read("read") as conn:
                rows = conn.execute(query.order_by(audit_log.c.seq.desc()).limit(BATCH)).all()
            for row in rows:
                record = self._checked_payload(row)
                named = record.get("model")
                if model is None or (isinstance(named, dict) and named.get("name") == model):
                    return record
            if len(rows) < BATCH:
                described = f"of model {model} " if model is not None else ""
                raise StoreError(NO_EVALUATION.format(ref=described, url=self.url))
            last = rows[-1].seq

    def _checked_payload(self, row: Row[Any]) -> dict[str, Any]:
        if row_hash(row) != row.entry_hash:
            raise VerificationFailed(
                TAMPERED_ENTRY.format(seq=row.seq, url=self.url), hint=TAMPERED_HINT
            )
        return _entry(row).payload

    def evaluations(
        self, *, model: str | None = None, limit: int | None = None
    ) -> list[EvaluationSummary]:
        """List stored evaluations, most recently appended first.

        The ``evaluations`` table finds them; what each summary says (verdict, exit code,
        model, times) is read from the evaluation's log entry, whose hash is checked.

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

        Raises
        ------
        VerificationFailed
            If an evaluation's log entry no longer matches its hash.
        StoreError
            If the ``evaluations`` table points at an entry that is not that evaluation.
        """
        self._check_open()
        query = (
            select(evaluations.c.evaluation_id, audit_log)
            .join(audit_log, audit_log.c.seq == evaluations.c.entry_seq)
            .order_by(evaluations.c.entry_seq.desc())
        )
        if model is not None:
            query = query.where(evaluations.c.model_name == model)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.read("read") as conn:
            rows = conn.execute(query).all()
        summaries = []
        for row in rows:
            record = self._checked_payload(row) if row.kind == "evaluation" else {}
            summary = _summary(record, row.seq)
            if (
                summary is None
                or summary.evaluation_id != row.evaluation_id
                or (model is not None and summary.model_name != model)
            ):
                raise StoreError(
                    OUT_OF_STEP.format(
                        url=self.url, seq=row.seq, ref=f"evaluation {row.evaluation_id}"
                    ),
                    hint=OUT_OF_STEP_HINT,
                )
            summaries.append(summary)
        return summaries

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(CLOSED.format(url=self.url))


def _summary(record: Mapping[str, Any], seq: int) -> EvaluationSummary | None:
    """An evaluation's summary from its record, or None if the record lacks a field."""
    try:
        model = record["model"]
        return EvaluationSummary(
            evaluation_id=str(record["evaluation_id"]),
            model_name=str(model["name"]),
            model_version=None if model.get("version") is None else str(model["version"]),
            verdict=str(record["verdict"]),
            exit_code=int(record["exit_code"]),
            started_at=parse_time(record["started_at"]),
            finished_at=parse_time(record["finished_at"]),
            entry_seq=seq,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _fresh(projector: Any) -> Any:
    """A copy of a projector that remembers nothing (a replay must not reuse its state)."""
    import copy

    fresh = copy.deepcopy(projector)
    reset = getattr(fresh, "reset", None)
    if reset is not None:
        reset()
    return fresh


def seq_ranges(seqs: Sequence[int]) -> list[list[int]]:
    """``[[first, last], ...]``: ascending ``seqs`` as runs of consecutive numbers."""
    ranges: list[list[int]] = []
    for seq in seqs:
        if ranges and ranges[-1][1] + 1 == seq:
            ranges[-1][1] = seq
        else:
            ranges.append([seq, seq])
    return ranges


def _value(payload: Mapping[str, Any] | Canonical) -> Mapping[str, Any]:
    return payload.value if isinstance(payload, Canonical) else payload


def _head(conn: Connection) -> tuple[int, str]:
    head = conn.execute(
        select(audit_log.c.seq, audit_log.c.entry_hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    return (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)


def _prepare(index: int, kind: str, payload: Mapping[str, Any] | Canonical) -> tuple[str, str]:
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind):
        raise StoreError(BAD_KIND.format(kind=kind))
    if isinstance(payload, Canonical):
        return kind, payload.text
    if not isinstance(payload, Mapping):
        raise StoreError(BAD_PAYLOAD.format(index=index, kind=kind, type=type(payload).__name__))
    try:
        return kind, canonical_json(payload)
    except CanonicalJSONError as exc:
        raise StoreError(NOT_CANONICAL.format(index=index, kind=kind, reason=exc)) from None
    except RecursionError:
        reason = "it is nested too deeply or contains itself"
        raise StoreError(NOT_CANONICAL.format(index=index, kind=kind, reason=reason)) from None


def _entry(row: Row[Any]) -> Entry:
    return Entry(
        seq=row.seq,
        kind=row.kind,
        created_at=parse_time(row.created_at),
        payload_json=row.payload,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def _walk(
    conn: Connection, walker: ChainWalker, *, workers: int = 1
) -> tuple[ChainWalker, str | None]:
    """Feed every entry after the walker's position to it; stop at the first problem.

    With several ``workers``, each entry's own checks (hash, form) run in worker processes, a
    batch at a time, while the entries are followed in order here.
    """
    result = conn.execute(
        select(audit_log).where(audit_log.c.seq > walker.entries).order_by(audit_log.c.seq),
        execution_options={"yield_per": BATCH},
    )
    try:
        if workers > 1:
            return walker, _walk_in_parallel(result, walker, workers)
        for row in result:
            problem = walker.feed(row)
            if problem is not None:
                return walker, problem
        return walker, None
    finally:
        result.close()


def _walk_in_parallel(result: Any, walker: ChainWalker, workers: int) -> str | None:
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    from governance.store.walk import first_own_problem

    def settle(rows: list[Any], checked: Future[tuple[int, str] | None]) -> str | None:
        found = checked.result()
        bad_index, bad = found if found is not None else (-1, None)
        for index, row in enumerate(rows):
            problem = walker.feed_checked(row, bad if index == bad_index else None)
            if problem is not None:
                return problem
        return None

    # spawn, not fork: the parent holds open database connections.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: deque[tuple[list[Any], Future[tuple[int, str] | None]]] = deque()
        try:
            for rows in result.partitions(PARALLEL_BATCH):
                pending.append((rows, pool.submit(first_own_problem, [tuple(r) for r in rows])))
                if len(pending) > 2 * workers:
                    problem = settle(*pending.popleft())
                    if problem is not None:
                        return problem
            while pending:
                problem = settle(*pending.popleft())
                if problem is not None:
                    return problem
            return None
        finally:
            for _, future in pending:
                future.cancel()


def _workers(conn: Connection, since: int) -> int:
    """Worker processes for checking the entries after ``since``: 1 for small logs."""
    import os

    size = conn.execute(select(func.max(audit_log.c.seq))).scalar_one_or_none() or 0
    if size - since < PARALLEL_MIN:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS))


def _report(
    walker: ChainWalker, problem: str | None, triggers: tuple[str, ...] = ()
) -> ChainReport:
    return ChainReport(
        ok=problem is None and not triggers,
        entries=walker.entries,
        head_hash=walker.head_hash,
        first_bad_seq=None if problem is None else walker.entries + 1,
        problem=problem if problem is not None or not triggers else triggers[0],
        checkpoints=walker.checkpoints,
        checkpoint_keys=tuple(walker.keys),
        triggers=triggers,
    )


def _checkpoint_problem(
    checkpoint: Mapping[str, Any], rows: Mapping[int, Any], count: int
) -> str | None:
    size = int(checkpoint["size"])
    first = rows.get(1)
    if first is None or first.entry_hash != checkpoint["store_id"]:
        return (
            "entry 1 of the log is not the one the checkpoint names (store_id): this is another "
            "store, or its whole history was replaced"
        )
    last = rows.get(size)
    if last is None:
        return (
            f"the log has {count} entries, the checkpoint covers {size}: entries were removed "
            "from the log (its end cut off)"
        )
    if last.entry_hash != checkpoint["head_hash"]:
        return (
            f"entry {size} no longer has the hash the checkpoint signed: the history up to it "
            "was rewritten"
        )
    return None
