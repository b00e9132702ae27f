"""Replaying the log into a scratch database, and the query tables checked against it.

The projections are derived data: anyone who can write the database can change them without
touching the hash chain. So nothing decides on them as they are:

- :func:`check_projections` replays the log, entry by entry with each entry's hash checked, into
  a scratch database and compares every projection table with the stored one, row by row
  (``governance audit verify``);
- :func:`replay_into` and :func:`scratch_database` let a package above the store read tables
  rebuilt from hash-checked entries (a package's verified reads).

The scratch database is a SQLite file in a temporary folder, removed afterwards, whatever the
store's backend.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, event, select
from sqlalchemy.pool import ConnectionPoolEntry

from governance.errors import VerificationFailed
from governance.escapes import visible
from governance.store.bulk import insert_rows
from governance.store.engine import StoreEngine
from governance.store.entries import row_entry
from governance.store.projections import ProjectionError, ProjectorRegistry
from governance.store.records import Entry
from governance.store.tables import audit_log, metadata
from governance.store.walk import row_hash

__all__ = [
    "ProjectionReport",
    "ReplayCounts",
    "TableDifference",
    "check_projections",
    "replay_into",
    "scratch_database",
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
        """One line: what differs, with the first example."""
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
        first = self.examples[0] if self.examples else ""
        more = ", for one" if rows > 1 else ""
        counts = ", ".join(parts)
        return f"{self.table}: {rows} {noun} from what the log implies ({counts}){more}: {first}"


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
    with scratch_database(tables) as scratch, source.read("verify the projections of") as conn:
        try:
            counts, _ = replay_into(conn, scratch, registry, url=url)
        except VerificationFailed as exc:
            return ProjectionReport(ok=False, entries=0, rows=0, tables=names, problem=str(exc))
        entries = counts.kept
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
def scratch_database(tables: Iterable[Table]) -> Iterator[StoreEngine]:
    """A throwaway SQLite database with the log's table and ``tables`` (no triggers, no journal).

    Parameters
    ----------
    tables
        The projection tables to create (a registry's ``tables``).

    Yields
    ------
    StoreEngine
        The database, removed when the block ends.
    """
    with tempfile.TemporaryDirectory(prefix="governance-replay-") as folder:
        path = Path(folder) / "replay.db"
        engine = create_engine(f"sqlite:///{path}")
        event.listen(engine, "connect", _scratch_pragmas)
        try:
            metadata.create_all(engine, tables=[audit_log, *tables])
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


@dataclass
class ReplayCounts:
    """How many entries a replay projected (``kept``) and left out (``refused``)."""

    kept: int = 0
    refused: int = 0


def replay_into(
    conn: Connection,
    scratch: StoreEngine,
    registry: ProjectorRegistry,
    *,
    url: str,
    keep: Callable[[Entry, Mapping[str, Any]], bool] | None = None,
) -> tuple[ReplayCounts, Entry | None]:
    """Project the log's entries of the registry's kinds into ``scratch``, checking each hash.

    ``keep`` leaves out the entries it refuses. Returns how many entries were replayed and
    left out, and the log's last entry.
    """
    head_row = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).first()
    head = None if head_row is None else row_entry(head_row)
    kinds = registry.kinds
    counts = ReplayCounts()
    if not kinds or head is None:
        return counts, head
    result = conn.execute(
        select(audit_log)
        .where(audit_log.c.kind.in_(kinds), audit_log.c.seq <= head.seq)
        .order_by(audit_log.c.seq),
        execution_options={"yield_per": BATCH},
    )
    try:
        with scratch.write("replay") as target:
            for rows in result.partitions(BATCH):
                kept_rows = []
                entries: list[Entry] = []
                payloads: list[Mapping[str, Any]] = []
                for row in rows:
                    if row_hash(row) != row.entry_hash:
                        raise VerificationFailed(
                            TAMPERED_ENTRY.format(seq=row.seq, url=url), hint=TAMPERED_HINT
                        )
                    entry = row_entry(row)
                    payload = _payload(entry, url)
                    if keep is not None and not keep(entry, payload):
                        counts.refused += 1
                        continue
                    kept_rows.append(tuple(row))
                    entries.append(entry)
                    payloads.append(payload)
                if not entries:
                    continue
                insert_rows(target, audit_log, kept_rows, columns=LOG_COLUMNS)
                try:
                    registry.project(target, entries, payloads)
                except ProjectionError as exc:
                    refused = exc.entry or entries[0]
                    raise VerificationFailed(
                        NOT_PROJECTABLE.format(
                            seq=refused.seq, kind=refused.kind, url=url, reason=exc
                        ),
                        hint=TAMPERED_HINT,
                    ) from None
                counts.kept += len(entries)
    finally:
        result.close()
    return counts, head


def _payload(entry: Entry, url: str) -> Mapping[str, Any]:
    try:
        payload = entry.payload
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise VerificationFailed(
            NOT_PROJECTABLE.format(
                seq=entry.seq, kind=entry.kind, url=url, reason="its payload is not a JSON object"
            ),
            hint=TAMPERED_HINT,
        )
    return payload


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
