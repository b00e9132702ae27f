"""The values the store hands out: log entries and chain reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from governance.store.chain import entry_hash, format_time

__all__ = ["ChainReport", "CheckpointKey", "Entry"]


@dataclass(frozen=True)
class Entry:
    """One entry of the audit log.

    Attributes
    ----------
    seq
        Position in the log, from 1, without gaps.
    kind
        What the entry records (a kind of the package that appends it).
    created_at
        When it was appended (UTC).
    payload_json
        The payload as stored: canonical JSON text.
    prev_hash
        ``entry_hash`` of the previous entry; 64 zeros for the first.
    entry_hash
        sha256 of this entry's fields (see :func:`governance.store.chain.entry_hash`).
    """

    seq: int
    kind: str
    created_at: datetime
    payload_json: str
    prev_hash: str
    entry_hash: str

    @property
    def payload(self) -> dict[str, Any]:
        """The payload as a new dict (changing it does not change the entry)."""
        value: dict[str, Any] = json.loads(self.payload_json)
        return value

    @property
    def created_at_text(self) -> str:
        """``created_at`` exactly as it is hashed: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
        return format_time(self.created_at)

    def hash_matches(self) -> bool:
        """Whether ``entry_hash`` is the hash of this entry's fields."""
        computed = entry_hash(
            self.seq, self.kind, self.created_at_text, self.payload_json, self.prev_hash
        )
        return computed == self.entry_hash


@dataclass(frozen=True)
class CheckpointKey:
    """A key that signed a checkpoint.

    Attributes
    ----------
    seq
        The checkpoint's entry in the log; in :attr:`ChainReport.checkpoint_keys`, the first
        checkpoint entry signed with this key (0 for a checkpoint file).
    signer
        The subject of its certificate (RFC 4514).
    fingerprint
        ``sha256:`` and the hex sha256 of the key (the certificate's SubjectPublicKeyInfo, DER):
        it tells apart two keys whose certificates have the same subject.
    """

    seq: int
    signer: str
    fingerprint: str

    def __str__(self) -> str:
        return f"{self.signer} (key {self.fingerprint})"


@dataclass(frozen=True)
class ChainReport:
    """The result of :meth:`AuditStore.verify`.

    Attributes
    ----------
    ok
        Whether every entry is intact and linked to the one before it.
    entries
        How many entries were read.
    head_hash
        The hash of the last entry read, or ``None`` for an empty log.
    first_bad_seq
        The first entry found wrong (or missing), or ``None`` if ``ok``.
    problem
        What is wrong with it, in one line, or ``None`` if ``ok``.
    checkpoints
        How many checkpoint entries in the log were checked (signature, statement and key).
    checkpoint_keys
        The keys that signed them, each with its first checkpoint, in log order: the first is
        the key of the log's first checkpoint, which signs every later one unless trust roots
        were given (an auditor records its fingerprint out of band).
    triggers
        What is wrong with the append-only triggers of ``audit_log`` (missing, altered or
        disabled), one line each; then ``ok`` is false, ``problem`` is the first of them if
        the chain is intact, and ``first_bad_seq`` is ``None``.
    """

    ok: bool
    entries: int
    head_hash: str | None
    first_bad_seq: int | None
    problem: str | None
    checkpoints: int = 0
    checkpoint_keys: tuple[CheckpointKey, ...] = ()
    triggers: tuple[str, ...] = ()
