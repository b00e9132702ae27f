"""The log refuses edits, and verify() finds the ones made behind its back."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from governance.audit import AuditStore
from governance.store.chain import entry_hash
from tests.store.conftest import raw_execute


@pytest.fixture
def filled(store: AuditStore) -> AuditStore:
    store.append_many([("note", {"i": i}) for i in range(1, 6)])
    assert store.verify().ok
    return store


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET payload = '{\"i\":99}' WHERE seq = 2",
        "UPDATE audit_log SET seq = 100 WHERE seq = 5",
        "DELETE FROM audit_log WHERE seq = 5",
        "DELETE FROM audit_log",
    ],
)
def test_update_and_delete_refused_through_sqlalchemy(
    filled: AuditStore, store_url: str, statement: str
) -> None:
    engine = create_engine(store_url)
    try:
        with pytest.raises(DBAPIError, match="audit_log is append-only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
    assert filled.verify().entries == 5


@pytest.mark.postgres
def test_truncate_refused_on_postgresql(postgres_url: str) -> None:
    with AuditStore.open(postgres_url) as store:
        store.append("note", {})
    engine = create_engine(postgres_url)
    try:
        with pytest.raises(DBAPIError, match="audit_log is append-only"), engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE audit_log CASCADE")
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET kind = 'x'", "DELETE FROM audit_log WHERE seq = 1"],
)
def test_update_and_delete_refused_through_raw_sqlite3(tmp_path, statement: str) -> None:
    path = tmp_path / "audit.db"
    with AuditStore.open(f"sqlite:///{path}") as store:
        store.append("note", {"i": 1})
    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="audit_log is append-only"):
            conn.execute(statement)
    finally:
        conn.close()


def test_edited_payload_is_named(filled: AuditStore, store_url: str) -> None:
    raw_execute(
        store_url,
        "UPDATE audit_log SET payload = '{\"i\":30}' WHERE seq = 3",
        bypass_triggers=True,
    )
    report = filled.verify()
    assert not report.ok
    assert report.first_bad_seq == 3
    assert report.problem == "entry 3 was altered: its hash does not match its contents"
    assert report.entries == 2
    assert report.head_hash == next(filled.entries(since_seq=1)).entry_hash


def test_edited_payload_with_recomputed_hash_breaks_the_next_link(
    filled: AuditStore, store_url: str
) -> None:
    third = next(filled.entries(since_seq=2))
    forged = entry_hash(3, "note", third.created_at_text, '{"i":30}', third.prev_hash)
    raw_execute(
        store_url,
        f"UPDATE audit_log SET payload = '{{\"i\":30}}', entry_hash = '{forged}' WHERE seq = 3",
        bypass_triggers=True,
    )
    report = filled.verify()
    assert report.first_bad_seq == 4
    assert report.problem is not None
    assert report.problem.startswith("entry 4 does not link to entry 3")


def test_edited_hash_is_named(filled: AuditStore, store_url: str) -> None:
    raw_execute(
        store_url,
        f"UPDATE audit_log SET entry_hash = '{'f' * 64}' WHERE seq = 4",
        bypass_triggers=True,
    )
    report = filled.verify()
    assert (report.ok, report.first_bad_seq) == (False, 4)


def test_edited_time_is_named(filled: AuditStore, store_url: str) -> None:
    raw_execute(
        store_url,
        "UPDATE audit_log SET created_at = '2000-01-01T00:00:00.000000Z' WHERE seq = 1",
        bypass_triggers=True,
    )
    report = filled.verify()
    assert (report.ok, report.first_bad_seq, report.entries, report.head_hash) == (
        False,
        1,
        0,
        None,
    )


def test_deleted_entry_is_named(filled: AuditStore, store_url: str) -> None:
    raw_execute(store_url, "DELETE FROM audit_log WHERE seq = 2", bypass_triggers=True)
    report = filled.verify()
    assert not report.ok
    assert report.first_bad_seq == 2
    assert report.problem == "entry 2 is missing (the next stored entry is 3)"
    assert report.entries == 1


def test_deleted_first_entry_is_named(filled: AuditStore, store_url: str) -> None:
    raw_execute(store_url, "DELETE FROM audit_log WHERE seq = 1", bypass_triggers=True)
    report = filled.verify()
    assert (report.first_bad_seq, report.entries, report.head_hash) == (1, 0, None)


def test_swapped_entries_are_named(filled: AuditStore, store_url: str) -> None:
    raw_execute(
        store_url,
        "UPDATE audit_log SET seq = 1000 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 1000",
        bypass_triggers=True,
    )
    report = filled.verify()
    assert not report.ok
    assert report.first_bad_seq == 2


def test_entries_renumbered_to_hide_a_deletion_are_named(
    filled: AuditStore, store_url: str
) -> None:
    raw_execute(
        store_url,
        "DELETE FROM audit_log WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = 5",
        bypass_triggers=True,
    )
    report = filled.verify()
    assert (report.ok, report.first_bad_seq) == (False, 3)


def test_non_canonical_payload_is_named(store: AuditStore, store_url: str) -> None:
    store.append("note", {"a": 1})
    (entry,) = store.entries()
    loose = '{"a": 1}'
    forged = entry_hash(1, "note", entry.created_at_text, loose, entry.prev_hash)
    raw_execute(
        store_url,
        f"UPDATE audit_log SET payload = '{loose}', entry_hash = '{forged}' WHERE seq = 1",
        bypass_triggers=True,
    )
    report = store.verify()
    assert report.problem == "entry 1 payload is not canonical JSON"


def test_truncated_tail_matches_no_earlier_checkpoint(filled: AuditStore, store_url: str) -> None:
    checkpoint = filled.verify()
    raw_execute(store_url, "DELETE FROM audit_log WHERE seq = 5", bypass_triggers=True)
    report = filled.verify()
    assert report.ok  # a shorter chain is still a valid chain ...
    assert (report.entries, report.head_hash) != (checkpoint.entries, checkpoint.head_hash)


@pytest.mark.parametrize(
    "statements",
    [
        [],
        ["UPDATE audit_log SET payload = '{\"i\":30}' WHERE seq = 3"],
        ["DELETE FROM audit_log WHERE seq = 4"],
        ["UPDATE audit_log SET prev_hash = 'x' WHERE seq = 5"],
    ],
)
def test_verify_in_worker_processes_reports_the_same(
    filled: AuditStore, store_url: str, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from governance.store import verification

    if statements:
        raw_execute(store_url, *statements, bypass_triggers=True)
    monkeypatch.setattr(verification, "PARALLEL_BATCH", 2)  # several batches, several in flight
    assert filled.verify(workers=2) == filled.verify(workers=1)


def test_rebuild_verified_replays_nothing_from_a_tampered_log(
    filled: AuditStore, store_url: str
) -> None:
    """Verify-before-rebuild is the library's (`audit rebuild` only prints its answer)."""
    report, replayed = filled.rebuild_verified(workers=1)
    assert report.ok and replayed is not None
    raw_execute(
        store_url, "UPDATE audit_log SET payload = '{\"i\":30}' WHERE seq = 3", bypass_triggers=True
    )
    report, replayed = filled.rebuild_verified(workers=1)
    assert not report.ok and report.first_bad_seq == 3
    assert replayed is None
