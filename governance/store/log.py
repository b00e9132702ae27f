"""The audit store: an append-only, sha256 hash-chained log with rebuildable projections.

:class:`AuditLog` is a small facade: appending (:mod:`~governance.store.entries`, the
projectors it is given: :mod:`~governance.store.projections`), replay and rebuild
(:mod:`~governance.store.replay`), verification (:mod:`~governance.store.verification`,
:mod:`~governance.store.walk`) and checkpoints (:mod:`~governance.store.checkpoint`), and reads
of the log. It knows no entry kind but its own (checkpoints, restored triggers); the packages
above own their projections and their reads (:mod:`governance.audit` wires them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from sqlalchemy import Connection, Row, delete, func, literal, select

from governance.canonical import Canonical, canonical_json, sha256_hex
from governance.errors import StoreError, VerificationFailed
from governance.store.bulk import insert_rows
from governance.store.chain import entry_hash, format_time
from governance.store.checkpoint_methods import CheckpointMethods
from governance.store.engine import StoreEngine, open_engine
from governance.store.entries import head_of, prepare, row_entry, seq_ranges, value_of
from governance.store.migrate import upgrade
from governance.store.projections import ProjectionError, ProjectorRegistry
from governance.store.records import ChainReport, Entry
from governance.store.tables import audit_log
from governance.store.verification import (
    chain_report,
    walk,
    workers_for,
)
from governance.store.walk import ChainWalker, row_hash

if TYPE_CHECKING:
    from cryptography import x509

    from governance.store.replay import ProjectionReport

__all__ = ["AuditLog"]

BATCH = 500
LOG_COLUMNS = ("seq", "kind", "created_at", "payload", "prev_hash", "entry_hash")

REFUSED = "cannot append to audit store {url}: entry {index} ({kind}): {reason}"
CLOSED = "audit store {url} is closed"
TAMPERED_ENTRY = "audit entry {seq} in {url} does not match its hash"
TAMPERED_HINT = "run `governance audit verify` to check the whole log"
TRIGGERS_RESTORED = (
    "audit store {url}: the append-only triggers of audit_log were missing or altered: "
    "{names} re-created, recorded as entry {seq}"
)

logger = logging.getLogger("governance.store")


class AuditLog(CheckpointMethods):
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
    ) -> Self:
        """Open the store at ``url``, bringing its schema up to date.

        Parameters
        ----------
        url
            ``sqlite:///path/to/audit.db`` or ``postgresql+psycopg://user:pw@host/db``.
        create
            Create a missing SQLite file (and its folders) or an empty database's schema. With
            ``False``, a missing store is an error (for commands that only read).
        projectors
            The projections to keep (the store knows none of its own): the application's
            defaults are :func:`governance.audit.default_projectors`, which
            :func:`governance.audit.open_store` passes. None: none, only the log.

        Returns
        -------
        AuditLog
            The open store.

        Raises
        ------
        StoreError
            If the URL is invalid or unsupported, the database is unreachable or read-only,
            there is no store and ``create`` is false, or the store's schema is newer than this
            version of governance knows. The message names the URL without its password.
        """
        engine = open_engine(url, create=create)
        store = cls(engine, projectors if projectors is not None else ProjectorRegistry())
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
        from governance.store.triggers import RESTORED_KIND, repair_triggers

        record = repair_triggers(conn, self.backend, url=self.url, secret=self._engine.secret)
        if record is not None:
            (self._triggers_restored,) = self._append_locked(conn, [(RESTORED_KIND, record)])

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
        return f"{type(self).__name__}({self.url!r})"

    # -- writing ---------------------------------------------------------------------------

    def append(self, kind: str, payload: Mapping[str, Any]) -> Entry:
        """Append one entry and update the projections, atomically.

        Parameters
        ----------
        kind
            What the entry records: a kind of the package that appends it.
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
        prepared = [prepare(index, kind, payload) for index, (kind, payload) in enumerate(items)]
        if not prepared:
            return []
        with self._engine.write("append to") as conn:
            return self._append_locked(conn, prepared, [value_of(payload) for _, payload in items])

    def append_unique(
        self,
        kind: str,
        groups: Sequence[tuple[Sequence[Mapping[str, Any] | Canonical], Mapping[str, Any] | None]],
        *,
        known: Callable[[Connection, Sequence[str]], set[str]],
        receipt_kind: str,
    ) -> list[list[Entry | None]]:
        """Append entries of ``kind`` not recorded yet, in deliveries with receipts: all or none.

        An entry counts as recorded when ``known`` (given the sha256 of candidates' canonical
        JSON, in the write transaction) names its hash, or it appears earlier in ``groups``;
        so appending the same payload twice stores it once. Each group is ``(payloads,
        receipt)``: if ``receipt`` is given and one of its payloads is stored, an entry of
        ``receipt_kind`` with the receipt, the stored entries' seqs (``events``:
        ``[[first, last], ...]``) and counts (``stored``, ``duplicates``) is appended in the same
        transaction, after all the payloads; groups with equal receipts share one.

        Parameters
        ----------
        kind
            The kind of the payloads' entries.
        groups
            ``(payloads, receipt)`` pairs; payloads are JSON objects or
            :class:`~governance.canonical.Canonical` ones, whose text is reused.
        known
            Which of some hashes are recorded already (the projection that indexes them).
        receipt_kind
            The kind of the receipt entries.

        Returns
        -------
        list of list of Entry or None
            Per group, per payload, its new entry or ``None`` if it was already recorded.

        Raises
        ------
        StoreError
            If a payload is not JSON, a projection refuses it, or the database fails.
        """
        self._check_open()
        prepared = [
            [prepare(index, kind, payload) for index, payload in enumerate(payloads)]
            for payloads, _ in groups
        ]
        digests = [[sha256_hex(text) for _, text in items] for items in prepared]
        with self._engine.write("append to") as conn:
            seen = known(conn, [d for group in digests for d in group])
            next_seq = head_of(conn)[0] + 1
            items: list[tuple[str, str]] = []
            values: list[Mapping[str, Any]] = []
            placed: list[list[int | None]] = []  # per group, per payload: index into items
            receipts: dict[str, tuple[Mapping[str, Any], list[int], list[int]]] = {}
            for (payloads, receipt), group, group_digests in zip(
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
                    values.append(value_of(payloads[position]))
                placed.append(where)
                if receipt is not None:
                    _, stored_seqs, duplicates = receipts.setdefault(
                        canonical_json(receipt), (receipt, [], [])
                    )
                    stored_seqs.extend(seqs)
                    duplicates.append(len(group) - len(seqs))
            for receipt, stored_seqs, duplicates in receipts.values():
                if stored_seqs:  # one receipt per deliverer and transaction, after the entries
                    note = {
                        **receipt,
                        "events": seq_ranges(stored_seqs),
                        "stored": len(stored_seqs),
                        "duplicates": sum(duplicates),
                    }
                    items.append(prepare(len(items), receipt_kind, note))
                    values.append(note)
            stored = self._append_locked(conn, items, values) if items else []
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
        seq, prev_hash = head_of(conn)
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

    def rebuild_verified(
        self,
        *,
        workers: int | Literal["auto"] = "auto",
        trust_roots: Sequence[x509.Certificate] = (),
    ) -> tuple[ChainReport, int | None]:
        """Verify the whole log (:meth:`verify`), and only if it is intact rebuild the projections.

        A tampered log is not replayed: query tables rebuilt from it would vouch for it.

        Parameters
        ----------
        workers, trust_roots
            As for :meth:`verify`.

        Returns
        -------
        tuple of ChainReport and int or None
            The verification, and how many entries were replayed (``None``: not rebuilt).
        """
        report = self.verify(workers=workers, trust_roots=trust_roots)
        if not report.ok:
            return report, None
        return report, self.rebuild_projections()

    def analyze(self) -> None:
        """Refresh the query planner's statistics of the projection tables.

        Graph queries are planned from them; after a large ingest (PostgreSQL's autovacuum
        may not have run yet) stale statistics make the planner scan whole tables.
        An ingest of many entries calls this after storing them.
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
            self._project(conn, [row_entry(row) for row in rows], replay=True)
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
                yield row_entry(row)
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
        return None if row is None else row_entry(row)

    def entry_count(self) -> int:
        """How many entries the log holds."""
        self._check_open()
        with self._engine.read("read") as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())

    def ping(self) -> None:
        """Run a trivial query: a StoreUnavailable if the database cannot be reached."""
        self._check_open()
        with self._engine.read("read") as conn:
            conn.execute(select(literal(1))).scalar_one()

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
            count = workers_for(conn, 0) if workers == "auto" else workers
            walker, problem = walk(conn, ChainWalker(trust_roots=trust_roots), workers=count)
            triggers = trigger_problems(conn, self.backend)
        return chain_report(walker, problem, tuple(found.problem for found in triggers))

    def check_projections(self) -> ProjectionReport:
        """Compare every query table with what the log implies.

        The log is replayed, each entry's hash checked, into a scratch database, and each
        table of the store's projectors is compared with it row by
        row: an edited, deleted or inserted row is found, by table and key.

        Returns
        -------
        ProjectionReport
            ``ok`` when every table matches; else what differs, a few rows per table.
        """
        from governance.store.replay import check_projections

        self._check_open()
        return check_projections(self._engine, self._projectors.fresh(), url=self.url)

    # -- reading, for the packages above -------------------------------------------------

    @property
    def engine(self) -> StoreEngine:
        """The store's engine, for the queries of the packages that own projection tables.

        Their reads go through :meth:`StoreEngine.read`; nothing writes outside :meth:`append`.
        """
        self._check_open()
        return self._engine

    def checked_payload(self, row: Row[Any]) -> dict[str, Any]:
        """The payload of an ``audit_log`` row whose hash is checked.

        Raises
        ------
        VerificationFailed
            If the row no longer matches its hash.
        """
        if row_hash(row) != row.entry_hash:
            raise VerificationFailed(
                TAMPERED_ENTRY.format(seq=row.seq, url=self.url), hint=TAMPERED_HINT
            )
        return row_entry(row).payload

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(CLOSED.format(url=self.url))
