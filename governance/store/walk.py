"""Walking the log in order, entry by entry, to say what is wrong with it (if anything).

Used by :meth:`AuditStore.verify` over the whole log, and by checkpointing to extend a verified
prefix to the current head. The checks of an entry by itself (its hash, kind, time, canonical
payload) are separate from the checks in order (no gap, each link, checkpoints), so a large log's
entries can be checked in worker processes while the links are followed here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from governance.canonical import is_canonical
from governance.store.chain import (
    GENESIS_HASH,
    HASH_PATTERN,
    KIND_PATTERN,
    TIME_PATTERN,
    entry_hash,
)
from governance.store.records import CheckpointKey

if TYPE_CHECKING:
    from cryptography import x509

__all__ = [
    "ChainWalker",
    "StoredRow",
    "first_own_problem",
    "is_canonical",
    "own_problem",
    "row_hash",
]


class ChainWalker:
    """Checks rows of ``audit_log`` given in ``seq`` order, starting at any verified point.

    Parameters
    ----------
    entries
        How many entries before the first row fed are already verified.
    head_hash
        The hash of the last of them (``None`` for an empty prefix).
    store_id
        The hash of entry 1, if already known.
    trust_roots
        Certificates that every checkpoint entry must be signed by (or by a certificate one of
        them issued). Without them, every checkpoint must be signed by the same key as the
        first one.
    """

    def __init__(
        self,
        entries: int = 0,
        head_hash: str | None = None,
        store_id: str | None = None,
        *,
        trust_roots: Sequence[x509.Certificate] = (),
    ) -> None:
        self.entries = entries
        self.head_hash = head_hash
        self.store_id = store_id
        self.trust_roots = tuple(trust_roots)
        self.checkpoints = 0
        self.keys: list[CheckpointKey] = []
        """The keys that signed checkpoints, each with its first checkpoint entry."""

    def feed(self, row: Any) -> str | None:
        """Check the next row; return the problem, or ``None`` and advance."""
        return self.feed_checked(row, own_problem(row))

    def feed_checked(self, row: Any, own: str | None) -> str | None:
        """As :meth:`feed`, given :func:`own_problem` of the row (computed in a worker).

        Problems are reported in the order :meth:`feed` finds them: a gap, a broken link, the
        row's own problem, then a checkpoint that does not match.
        """
        expected = self.entries + 1
        if row.seq != expected:
            return f"entry {expected} is missing (the next stored entry is {row.seq})"
        problem = _link_problem(row, self.head_hash or GENESIS_HASH) or own
        if problem is None and row.kind == "checkpoint":
            problem = self._checkpoint_problem(row)
        if problem is not None:
            return problem
        if expected == 1:
            self.store_id = row.entry_hash
        self.entries = expected
        self.head_hash = row.entry_hash
        return None

    def _checkpoint_problem(self, row: Any) -> str | None:
        """A checkpoint in the log must state the log just before it, and be validly signed."""
        from governance.store.checkpoint import signature_problem

        seq = row.seq
        payload = json.loads(row.payload)
        expected = {"size": seq - 1, "head_hash": row.prev_hash, "store_id": self.store_id}
        if seq == 1:
            expected["store_id"] = None
        for field, value in expected.items():
            if payload.get(field) != value:
                return (
                    f"entry {seq} is a checkpoint whose {field} does not match the log before "
                    "it (the log was rewritten after it was signed)"
                )
        problem = signature_problem(payload)
        if problem is not None:
            return f"entry {seq} is a checkpoint that does not verify: {problem}"
        problem = self.key_problem(payload, seq, f"entry {seq} is a checkpoint")
        if problem is not None:
            return problem
        self.checkpoints += 1
        return None

    def key_problem(self, checkpoint: Any, seq: int, what: str) -> str | None:
        """Whether checkpoint entry ``seq`` may be signed by its key; remember the key if so.

        With trust roots, the key must be trusted; without, it must be the first checkpoint's.
        ``what`` starts the message (``entry 7 is a checkpoint``).
        """
        from governance.store.checkpoint import certificate_of, is_trusted, key_of

        key, certificate = key_of(checkpoint, seq), certificate_of(checkpoint)
        if key is None or certificate is None:
            return f"{what} whose certificate cannot be read"
        if self.trust_roots:
            if not is_trusted(certificate, self.trust_roots):
                return (
                    f"{what} signed by {key}, which is not a trusted certificate (not a "
                    "--trust-root, nor issued by one)"
                )
        elif self.keys and self.keys[0].fingerprint != key.fingerprint:
            first = self.keys[0]
            return (
                f"{what} signed by a different key ({key.fingerprint}) than the first "
                f"checkpoint, entry {first.seq} ({first.fingerprint}): pass --trust-root to "
                "accept a rotated key"
            )
        if all(known.fingerprint != key.fingerprint for known in self.keys):
            self.keys.append(key)
        return None


def row_hash(row: Any) -> str:
    """Recompute the hash of a stored row from its fields."""
    return entry_hash(row.seq, row.kind, row.created_at, row.payload, row.prev_hash)


def _link_problem(row: Any, prev_hash: str) -> str | None:
    """Whether the row links to the entry before it."""
    if row.prev_hash == prev_hash:
        return None
    seq = row.seq
    if seq == 1:
        return "entry 1 does not start the chain: its prev_hash is not 64 zeros"
    return (
        f"entry {seq} does not link to entry {seq - 1}: its prev_hash is not that entry's "
        "hash (one of the two was altered or replaced)"
    )


def own_problem(row: Any) -> str | None:
    """What is wrong with one stored entry by itself: its hash, kind, time or payload form."""
    seq = row.seq
    if not HASH_PATTERN.fullmatch(row.entry_hash or ""):
        return f"entry {seq} has a malformed hash"
    if row_hash(row) != row.entry_hash:
        return f"entry {seq} was altered: its hash does not match its contents"
    if not KIND_PATTERN.fullmatch(row.kind) or not TIME_PATTERN.fullmatch(row.created_at):
        return f"entry {seq} has a malformed kind or time"
    if not is_canonical(row.payload):
        return f"entry {seq} payload is not canonical JSON"
    return None


@dataclass(frozen=True)
class StoredRow:
    """A row of ``audit_log`` as plain values (what worker processes receive)."""

    seq: int
    kind: str
    created_at: str
    payload: str
    prev_hash: str
    entry_hash: str


def first_own_problem(rows: list[tuple[Any, ...]]) -> tuple[int, str] | None:
    """The first row of a batch with a problem of its own, as ``(index, problem)``.

    Run in worker processes by a parallel verify; ``rows`` are ``audit_log`` rows as tuples in
    column order.
    """
    for index, values in enumerate(rows):
        problem = own_problem(StoredRow(*values))
        if problem is not None:
            return index, problem
    return None
