"""Appends from several processes are serialised into one gapless, intact chain."""

from __future__ import annotations

import multiprocessing

import pytest

from governance.audit import AuditStore

WORKERS = 8
APPENDS = 500


def _worker(url: str, worker: int, start: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    start.wait(30)
    with AuditStore.open(url) as store:
        for i in range(APPENDS):
            store.append("note", {"worker": worker, "i": i})


@pytest.mark.slow
def test_eight_processes_append_500_entries_each_to_one_fresh_store(store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_worker, args=(store_url, n, start)) for n in range(WORKERS)]
    for process in workers:
        process.start()
    start.set()
    for process in workers:
        process.join(300)
    assert [p.exitcode for p in workers] == [0] * WORKERS

    with AuditStore.open(store_url, create=False) as store:
        report = store.verify()
        assert report.ok, report.problem
        assert report.entries == WORKERS * APPENDS
        entries = list(store.entries())
    assert [e.seq for e in entries] == list(range(1, WORKERS * APPENDS + 1))
    for worker in range(WORKERS):
        mine = [e.payload["i"] for e in entries if e.payload["worker"] == worker]
        assert mine == list(range(APPENDS))  # none lost, none duplicated, in order
    assert len({e.entry_hash for e in entries}) == WORKERS * APPENDS
