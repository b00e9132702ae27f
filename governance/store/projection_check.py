"""The query tables checked against the log, and decisions read from the log itself.

The projections (``evaluations``, ``findings``, ``reports``, the lineage tables) are derived
data: anyone who can write the database can change them without touching the hash chain. So
nothing decides on them as they are:

- :func:`check_projections` replays the log, entry by entry with each entry's hash checked, into
  a scratch database and compares every projection table with the stored one, row by row
  (``governance audit verify``);
- :func:`verified_lineage` gives lineage queries over tables rebuilt from the hash-checked
  ``openlineage.event`` entries, which is what the gate's lineage checks read.

The scratch database is a SQLite file in a temporary folder, removed afterwards, whatever the
store's backend.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, create_engine, event, select
from sqlalchemy.pool import ConnectionPoolEntry

from governance.errors import VerificationFailed
from governance.escapes import visible
from governance.store.bulk import insert_rows
from governance.store.engine import StoreEngine
from governance.store.projections import ProjectionError, ProjectorRegistry
from governance.store.records import Entry
from governance.store.tables import audit_log, metadata
from governance.store.walk import row_hash

if TYPE_CHECKING:
    from governance.store.lineage_queries import LineageQueries

__all__ = [
    "ProjectionReport",
    "TableDifference",
    "VerifiedLineage",
    "check_projections",
    "verified_lineage",
]

BATCH = 500
EXAMPLES = 3
LOG_COLUMNS = ("seq", "kind", "created_at", "payload", "prev_hash", "entry_hash")

TAMPERED_ENTRY = "audit entry {seq} in {url} does not match its hash"
TAMPERED_HINT = "run `governance audit verify` to check the whole log"
NOT_PROJECTABLE = "audit entry {seq} ({kind}) of {url} cannot be projected: {reason}"


@dataclass(frozen=True)
class TableDifference:
    """How one stored projection table differs from what the log implies.

    Attributes
    ----------
    table
        The table's name.
    changed
        Rows whose key the log implies but whose values differ.
    missing
        Rows the log implies that the table lacks.
    extra
        Rows in the table that the log does not imply.
    examples
        A few of them, described in words (values escaped onto one line).
    """

    table: str
    changed: int
    missing: int
    extra: int
    examples: tuple[str, ...]

    def describe(self) -> str:
        """One line: what differs, with examples."""
        parts = [
            f"{count} {what}"
            for count, what in (
                (self.changed, "changed"),
                (self.missing, "missing"),
                (self.extra, "not from the log"),
            )
            if count
        ]
        rows = self.changed + self.missing + self.extra
        noun = "row differs" if rows == 1 else "rows differ"
        return (
            f"{self.table}: {rows} {noun} from what the log implies ({', '.join(parts)}): "
            + "; ".join(self.examples)
        )


@dataclass(frozen=True)
class ProjectionReport:
    """The result of :func:`check_projections`.

    Attributes
    ----------
    ok
        Whether every projection table holds exactly what the log implies.
    entries
        How many log entries were replayed.
    rows
        How many stored rows were compared.
    tables
        The tables compared.
    differences
        One per table that differs.
    problem
        What stopped the replay (an entry that does not match its hash or cannot be
        projected), or ``None``.
    """

    ok: bool
    entries: int
    rows: int
    tables: tuple[str, ...]
    differences: tuple[TableDifference, ...] = ()
    problem: str | None = None

    def describe(self) -> str:
        """One line per problem found, or a line saying the tables match."""
        if self.problem is not None:
            return self.problem
        if self.ok:
            return (
                f"{len(self.tables)} query tables ({self.rows} rows) match the "
                f"{self.entries} log entries they are built from"
            )
        return "\n".join(item.describe() for item in self.differences)


@dataclass(frozen=True)
class VerifiedLineage:
    """Lineage queries over tables rebuilt from hash-checked log entries.

    Has the two members :func:`governance.lineage.snapshot.load_snapshot` reads: ``lineage``
    and ``head()``.
    """

    lineage: LineageQueries
    head_entry: Entry | None
    events: int
    """How many ``openlineage.event`` entries were replayed."""

    def head(self) -> Entry | None:
        """The last entry of the store's log when it was replayed."""
        return self.head_entry


def check_projections(
    source: StoreEngine, registry: ProjectorRegistry, *, url: str
) -> ProjectionReport:
    """Replay the log into a scratch database and compare every projection table with it.

    Parameters
    ----------
    source
        The store's engine.
    registry
        A fresh registry of the store's projectors (they must not remember anything).
    url
        The store URL, masked, for messages.

    Returns
    -------
    ProjectionReport
        ``ok`` when every table matches.
    """
    tables = registry.tables
    names = tuple(table.name for table in tables)
    with _scratch() as scratch, source.read("verify the projections of") as conn:
        try:
            entries, _ = _replay(conn, scratch, registry, url=url)
        except VerificationFailed as exc:
            return ProjectionReport(ok=False, entries=0, rows=0, tables=names, problem=str(exc))
        rows = 0
        differences = []
        with scratch.read("compare") as replayed:
            for table in tables:
                count, difference = _compare(table, conn, replayed, postgres=_is_pg(source))
                rows += count
                if difference is not None:
                    differences.append(difference)
    return ProjectionReport(
        ok=not differences,
        entries=entries,
        rows=rows,
        tables=names,
        differences=tuple(differences),
    )


@contextmanager
def verified_lineage(source: StoreEngine, *, url: str) -> Iterator[VerifiedLineage]:
    """Lineage queries over the lineage tables rebuilt from the log's events.

    Every ``openlineage.event`` entry is read, its hash checked, and projected into a scratch
    database, in one read transaction of the store; the queries read that database, never the
    store's own lineage tables.

    Parameters
    ----------
    source
        The store's engine.
    url
        The store URL, masked, for messages.

    Yields
    ------
    VerifiedLineage
        The queries, valid until the block ends.

    Raises
    ------
    VerificationFailed
        If an event entry does not match its hash, or cannot be projected.
    """
    from governance.store.lineage_projection import LineageProjector
    from governance.store.lineage_queries import LineageQueries

    registry = ProjectorRegistry((LineageProjector(),))
    with _scratch() as scratch:
        with source.read("read the lineage of") as conn:
            entries, head = _replay(conn, scratch, registry, url=url)
        yield VerifiedLineage(lineage=LineageQueries(scratch), head_entry=head, events=entries)


@contextmanager
def _scratch() -> Iterator[StoreEngine]:
    """A throwaway SQLite database with the store's tables (no triggers, no journal)."""
    with tempfile.TemporaryDirectory(prefix="governance-replay-") as folder:
        path = Path(folder) / "replay.db"
        engine = create_engine(f"sqlite:///{path}")
        event.listen(engine, "connect", _scratch_pragmas)
        try:
            metadata.create_all(engine)
            yield StoreEngine(engine=engine, backend="sqlite", masked_url="(replayed log)")
        finally:
            engine.dispose()


def _scratch_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode = OFF")
        cursor.execute("PRAGMA synchronous = OFF")
    finally:
        cursor.close()


def _replay(
    conn: Connection, scratch: StoreEngine, registry: ProjectorRegistry, *, url: str
) -> tuple[int, Entry | None]:
    """Project the log's entries of the registry's kinds into ``scratch``, checking each hash.

    Returns how many entries were replayed and the log's last entry.
    """
    head_row = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).first()
    head = None if head_row is None else _entry(head_row)
    kinds = registry.kinds
    replayed = 0
    if not kinds or head is None:
        return replayed, head
    result = conn.execute(
        select(audit_log)
        .where(audit_log.c.kind.in_(kinds), audit_log.c.seq <= head.seq)
        .order_by(audit_log.c.seq),
        execution_options={"yield_per": BATCH},
    )
    try:
        with scratch.write("replay") as target:
            for rows in result.partitions(BATCH):
                for row in rows:
                    if row_hash(row) != row.entry_hash:
                        raise VerificationFailed(
                            TAMPERED_ENTRY.format(seq=row.seq, url=url), hint=TAMPERED_HINT
                        )
                insert_rows(target, audit_log, [tuple(row) for row in rows], columns=LOG_COLUMNS)
                entries = [_entry(row) for row in rows]
                try:
                    registry.project(target, entries)
                except ProjectionError as exc:
                    refused = exc.entry or entries[0]
                    raise VerificationFailed(
                        NOT_PROJECTABLE.format(
                            seq=refused.seq, kind=refused.kind, url=url, reason=exc
                        ),
                        hint=TAMPERED_HINT,
                    ) from None
                replayed += len(rows)
    finally:
        result.close()
    return replayed, head


def _entry(row: Any) -> Entry:
    from governance.store.chain import parse_time

    return Entry(
        seq=row.seq,
        kind=row.kind,
        created_at=parse_time(row.created_at),
        payload_json=row.payload,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def _is_pg(engine: StoreEngine) -> bool:
    return engine.backend == "postgresql"


def _ordered(table: Table, *, postgres: bool) -> Any:
    """Rows of ``table`` by primary key, in code point order on both backends."""
    keys = []
    for column in table.primary_key.columns:
        python_type = getattr(column.type, "python_type", None)
        keys.append(column.collate("C") if postgres and python_type is str else column)
    return select(table).order_by(*keys)


def _compare(
    table: Table, stored: Connection, replayed: Connection, *, postgres: bool
) -> tuple[int, TableDifference | None]:
    """Merge the stored and the replayed rows by key; count the stored rows and differences."""
    key_names = [column.name for column in table.primary_key.columns]
    names = [column.name for column in table.columns]
    positions = [names.index(name) for name in key_names]
    streamed = {"yield_per": BATCH}
    mine = stored.execute(_ordered(table, postgres=postgres), execution_options=streamed)
    theirs = replayed.execute(_ordered(table, postgres=False), execution_options=streamed)
    counts = {"changed": 0, "missing": 0, "extra": 0}
    examples: list[str] = []
    rows = 0

    def note(what: str, key: tuple[Any, ...], text: str) -> None:
        counts[what] += 1
        if len(examples) < EXAMPLES:
            examples.append(f"{_key_text(key_names, key)}: {text}")

    stored_rows = _rows(mine)
    replayed_rows = _rows(theirs)
    try:
        have = next(stored_rows, None)
        want = next(replayed_rows, None)
        while have is not None or want is not None:
            have_key = None if have is None else tuple(have[i] for i in positions)
            want_key = None if want is None else tuple(want[i] for i in positions)
            if want_key is None or (have_key is not None and have_key < want_key):
                assert have is not None and have_key is not None
                note("extra", have_key, "not implied by any log entry")
                rows += 1
                have = next(stored_rows, None)
            elif have_key is None or want_key < have_key:
                assert want is not None
                note("missing", want_key, "implied by the log but absent")
                want = next(replayed_rows, None)
            else:
                assert have is not None and want is not None
                if tuple(have) != tuple(want):
                    note("changed", have_key, _changes(names, have, want))
                rows += 1
                have = next(stored_rows, None)
                want = next(replayed_rows, None)
    finally:
        mine.close()
        theirs.close()
    if not any(counts.values()):
        return rows, None
    return rows, TableDifference(table.name, **counts, examples=tuple(examples))


def _rows(result: Any) -> Iterator[tuple[Any, ...]]:
    for rows in result.partitions(BATCH):
        for row in rows:
            yield tuple(row)


def _key_text(names: Sequence[str], key: tuple[Any, ...]) -> str:
    return ", ".join(f"{name} {_value(value)}" for name, value in zip(names, key, strict=True))


def _changes(names: Sequence[str], have: Sequence[Any], want: Sequence[Any]) -> str:
    changed = [
        f"{name} is {_value(mine)}, the log implies {_value(theirs)}"
        for name, mine, theirs in zip(names, have, want, strict=True)
        if mine != theirs
    ]
    return "; ".join(changed)


def _value(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return visible(text)
