"""The ``lineage.ingest`` receipt names each file it read portably, never by the machine's path."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.lineage.ingest import ingest
from governance.lineage.provenance import INGEST_KIND, load_deliveries
from tests.store.conftest import run_event

FIRST = "01937a2e-0000-7000-8000-0000000000a1"
SECOND = "01937a2e-0000-7000-8000-0000000000a2"


def _write(path: Path, run_id: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run_event(run_id)) + "\n", encoding="utf-8")
    return path


def _receipts(store: AuditStore) -> list[dict[str, Any]]:
    return [entry.payload for entry in store.entries(kind=INGEST_KIND)]


def test_a_file_in_a_checkout_is_named_from_the_checkout_top(
    store: AuditStore, tmp_path: Path
) -> None:
    checkout = tmp_path / "home" / "someone" / "work" / "pipeline"
    (checkout / ".git").mkdir(parents=True)
    events = _write(checkout / "lineage" / "events.jsonl", FIRST)
    ingest(store, [str(events.resolve())])  # given as an absolute path
    (receipt,) = _receipts(store)
    assert receipt["sources"][0]["path"] == "lineage/events.jsonl"
    assert str(tmp_path) not in json.dumps(receipt)


def test_a_folder_outside_any_checkout_names_its_files_only(
    store: AuditStore, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    _write(folder / "a.json", FIRST)
    _write(folder / "b.jsonl", SECOND)
    ingest(store, [folder.resolve()])
    (receipt,) = _receipts(store)
    assert [item["path"] for item in receipt["sources"]] == ["a.json", "b.jsonl"]
    assert all(len(item["sha256"]) == 64 for item in receipt["sources"])


def test_the_same_file_from_two_working_directories_has_one_name(
    store: AuditStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "repo"
    (checkout / ".git").mkdir(parents=True)
    _write(checkout / "events" / "run.json", FIRST)
    monkeypatch.chdir(checkout / "events")
    ingest(store, ["run.json"])
    monkeypatch.chdir(tmp_path)
    ingest(store, ["repo/events/run.json"])
    names = [receipt["sources"][0]["path"] for receipt in _receipts(store)]
    assert names == ["events/run.json", "events/run.json"]


def test_receipts_stored_with_absolute_paths_still_verify_and_vouch(
    store: AuditStore, tmp_path: Path
) -> None:
    """A receipt written before names were portable is kept as it was, and read as before."""
    _write(tmp_path / "old.jsonl", FIRST)
    ingest(store, [tmp_path / "old.jsonl"])
    (old_receipt,) = _receipts(store)
    old = dict(old_receipt)
    old["sources"] = [{"path": "/home/someone/old.jsonl", "sha256": "0" * 64}]
    store.append(INGEST_KIND, old)  # as an older version wrote it
    _write(tmp_path / "new.jsonl", SECOND)
    ingest(store, [tmp_path / "new.jsonl"])
    assert store.verify().ok
    receipts = _receipts(store)
    assert [r["sources"][0]["path"] for r in receipts] == [
        "old.jsonl",
        "/home/someone/old.jsonl",
        "new.jsonl",
    ]
    with store.engine.read("read") as conn:
        deliveries = load_deliveries(conn)
    for receipt in receipts:
        for first, last in receipt["events"]:
            assert {deliveries.source_of(seq) for seq in range(first, last + 1)} == {"cli"}


def test_standard_input_is_named_so(store: AuditStore) -> None:
    ingest(store, ["-"], stdin=io.BytesIO(json.dumps(run_event(FIRST)).encode()))
    assert _receipts(store)[0]["sources"][0]["path"] == "<stdin>"
