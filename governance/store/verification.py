"""Following the chain: entry by entry, or with the entries' own checks in worker processes.

The links are always followed in order here; with several workers each entry's own checks
(hash, form) run in processes started with ``spawn``, a batch at a time. :func:`usable_cpus`
is how many CPUs this process may use, on every platform.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from governance.store.records import ChainReport
from governance.store.tables import audit_log
from governance.store.walk import ChainWalker

__all__ = ["chain_report", "checkpoint_problem", "usable_cpus", "walk", "workers_for"]

BATCH = 500
PARALLEL_MIN = 100_000
"""Verify a log with more entries than this in worker processes."""
PARALLEL_BATCH = 2_000
MAX_WORKERS = 4


def usable_cpus() -> int:
    """How many CPUs this process may run on.

    ``os.process_cpu_count`` (Python 3.13) where it exists; else the CPUs the process is
    allowed (``os.sched_getaffinity``, Linux only); else every CPU of the machine
    (``os.cpu_count``, e.g. macOS and Windows on 3.12); at least 1.
    """
    process_cpu_count = getattr(os, "process_cpu_count", None)
    if process_cpu_count is not None:
        return max(1, process_cpu_count() or 1)
    sched_getaffinity = getattr(os, "sched_getaffinity", None)
    if sched_getaffinity is not None:
        return max(1, len(sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def walk(
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


def workers_for(conn: Connection, since: int) -> int:
    """Worker processes for checking the entries after ``since``: 1 for small logs."""
    size = conn.execute(select(func.max(audit_log.c.seq))).scalar_one_or_none() or 0
    if size - since < PARALLEL_MIN:
        return 1
    return max(1, min(usable_cpus(), MAX_WORKERS))


def chain_report(
    walker: ChainWalker, problem: str | None, triggers: tuple[str, ...] = ()
) -> ChainReport:
    """The report of a walk: ``problem`` (or a trigger problem) and the intact prefix."""
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


def checkpoint_problem(
    checkpoint: Mapping[str, Any], rows: Mapping[int, Any], count: int
) -> str | None:
    """Why the log (entries 1 and ``size`` in ``rows``, ``count`` in all) breaks a checkpoint."""
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
