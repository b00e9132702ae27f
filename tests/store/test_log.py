"""Appending, reading and verifying the hash chain, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest

from governance.audit import AuditStore
from governance.canonical import canonical_json
from governance.errors import StoreError
from governance.store import Entry
from governance.store.chain import GENESIS_HASH, entry_hash


def test_append_then_verify_round_trip(store: AuditStore) -> None:
    assert store.head() is None
    assert store.verify().ok
    assert store.verify().entries == 0

    first = store.append("evaluation.note", {"b": [1, 2.5, "é"], "a": {"z": None, "y": True}})
    second = store.append("note", {"eventType": "START"})

    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash
    assert first.payload_json == '{"a":{"y":true,"z":null},"b":[1,2.5,"é"]}'
    assert first.payload == {"a": {"z": None, "y": True}, "b": [1, 2.5, "é"]}
    assert first.entry_hash == entry_hash(
        1, "evaluation.note", first.created_at_text, first.payload_json, GENESIS_HASH
    )
    assert first.hash_matches()
    assert abs(datetime.now(UTC) - first.created_at) < timedelta(minutes=1)

    report = store.verify()
    assert report.ok
    assert report.entries == 2
    assert report.head_hash == second.entry_hash
    assert report.first_bad_seq is None
    assert report.problem is None
    assert store.head() == second
    assert list(store.entries()) == [first, second]


def test_payload_is_not_modified_and_entry_payload_is_a_copy(store: AuditStore) -> None:
    payload = {"list": [3, 1], "nested": {"k": 1}}
    entry = store.append("note", payload)
    assert payload == {"list": [3, 1], "nested": {"k": 1}}
    entry.payload["list"].append(99)
    assert entry.payload == payload


def test_entries_filters_by_kind_since_and_limit(store: AuditStore) -> None:
    kinds = ["a", "b"] * 6
    store.append_many([(kind, {"i": i}) for i, kind in enumerate(kinds)])

    assert [e.seq for e in store.entries(kind="a")] == [1, 3, 5, 7, 9, 11]
    assert [e.seq for e in store.entries(since_seq=9)] == [10, 11, 12]
    assert [e.seq for e in store.entries(limit=2)] == [1, 2]
    assert [e.seq for e in store.entries(kind="b", since_seq=4, limit=2)] == [6, 8]
    assert list(store.entries(limit=0)) == []


def test_entries_pages_through_more_than_one_batch(store: AuditStore) -> None:
    store.append_many([("note", {"i": i}) for i in range(1203)])
    seqs = [entry.seq for entry in store.entries()]
    assert seqs == list(range(1, 1204))
    assert [e.seq for e in store.entries(since_seq=600, limit=700)] == list(range(601, 1204))
    assert store.verify().entries == 1203


def test_append_many_is_one_gapless_chain(store: AuditStore) -> None:
    store.append("note", {"i": 0})
    entries = store.append_many([("note", {"i": i}) for i in range(1, 5)])
    assert [e.seq for e in entries] == [2, 3, 4, 5]
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    assert store.append_many([]) == []
    assert store.verify().entries == 5


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_append_many_is_atomic_when_a_payload_is_not_json(store: AuditStore, bad: float) -> None:
    store.append("note", {"before": True})
    items = [("note", {"i": 1}), ("note", {"value": bad}), ("note", {"i": 3})]
    with pytest.raises(StoreError, match=r"entry 1 \(note\) payload cannot be stored: NaN and Inf"):
        store.append_many(items)
    assert [e.payload for e in store.entries()] == [{"before": True}]
    assert store.verify().ok


def test_append_many_is_atomic_when_a_projection_refuses(store: AuditStore, evaluation) -> None:
    bad_record = evaluation("e-bad")
    del bad_record["verdict"]
    items = [("note", {"i": 1}), ("evaluation", evaluation("e-good")), ("evaluation", bad_record)]
    with pytest.raises(
        StoreError, match="entry 2 \\(evaluation\\): evaluation record field verdict"
    ):
        store.append_many(items)
    assert store.head() is None
    assert store.evaluations() == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({1: "x"}, "object keys must be strings"),
        ({"when": datetime(2026, 1, 1, tzinfo=UTC)}, "datetime is not a JSON type"),
        ({"text": "\ud800"}, "text is not valid Unicode"),
    ],
)
def test_append_rejects_payloads_that_are_not_json(store: AuditStore, payload, message) -> None:
    with pytest.raises(StoreError, match=message):
        store.append("note", payload)
    assert store.head() is None


@pytest.mark.parametrize("kind", ["", "Evaluation", "has space", "x" * 65, "line\nbreak", ".dot"])
def test_append_rejects_bad_kinds(store: AuditStore, kind: str) -> None:
    with pytest.raises(StoreError, match="invalid audit entry kind"):
        store.append(kind, {})


def test_append_rejects_a_payload_that_is_not_an_object(store: AuditStore) -> None:
    with pytest.raises(StoreError, match="payload must be a JSON object, not list"):
        store.append("note", [1, 2])  # type: ignore[arg-type]


def test_payload_round_trips_exactly(store: AuditStore) -> None:
    payload = {
        "floats": [0.1, 1e-7, 1e21, 123456789.125, -0.0, 5e-324, 1.7976931348623157e308],
        "ints": [0, -1, 2**53 + 1, 10**30],
        "text": 'quote " backslash \\ newline \n tab \t nul \x00 emoji 😀 ü',
        "empty": {"list": [], "obj": {}},
    }
    entry = store.append("note", payload)
    (stored,) = store.entries()
    assert stored.payload_json == canonical_json(payload)
    assert stored.payload["ints"] == payload["ints"]
    assert stored.payload["floats"][:4] == payload["floats"][:4]
    assert stored.payload["text"] == payload["text"]
    assert stored == entry
    assert store.verify().ok


def test_head_reflects_appends_from_another_store_object(store_url: str) -> None:
    with AuditStore.open(store_url) as one, AuditStore.open(store_url) as two:
        one.append("note", {"by": "one"})
        two.append("note", {"by": "two"})
        head = one.head()
        assert isinstance(head, Entry)
        assert head.seq == 2
        assert head.payload == {"by": "two"}
        assert one.verify().ok


def test_closed_store_refuses_use(store_url: str) -> None:
    store = AuditStore.open(store_url)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.append("note", {})
