"""The checkpoint operations of :class:`~governance.store.log.AuditLog` (docs/checkpoints.md).

Signing, loading and checking a checkpoint statement is :mod:`governance.store.checkpoint`;
this mixin runs them against the log: verify, then sign and append; read the latest; compare one
kept elsewhere with the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, func, select

from governance.canonical import canonical_json
from governance.errors import SigningError, StoreError, VerificationFailed
from governance.store.chain import format_time
from governance.store.engine import StoreEngine
from governance.store.entries import row_entry
from governance.store.records import Entry
from governance.store.tables import audit_log
from governance.store.verification import checkpoint_problem, walk, workers_for
from governance.store.walk import ChainWalker, row_hash

if TYPE_CHECKING:
    from cryptography import x509

    from governance.keys import SigningConfig
    from governance.store.checkpoint import CheckpointCheck

__all__ = ["CheckpointMethods"]

TAMPERED_ENTRY = "audit entry {seq} in {url} does not match its hash"
TAMPERED_HINT = "run `governance audit verify` to check the whole log"
EMPTY_LOG = "audit store {url} is empty: there is nothing to checkpoint"
CHECKPOINT_TAMPERED = "refusing to checkpoint audit store {url}: {problem}"
CHECKPOINT_KEY_REFUSED = "refusing to checkpoint audit store {url}: {problem}"
CHECKPOINT_KEY_HINT = "see docs/checkpoints.md, key rotation"


class CheckpointMethods:
    """Checkpoints of the log; mixed into :class:`~governance.store.log.AuditLog`."""

    _engine: StoreEngine

    @property
    def url(self) -> str:  # pragma: no cover - AuditLog's
        """The store URL, with any password masked."""
        raise NotImplementedError

    def _check_open(self) -> None:  # pragma: no cover - AuditLog's
        raise NotImplementedError

    def _append_locked(
        self,
        conn: Connection,
        prepared: Sequence[tuple[str, str]],
        payloads: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[Entry]:  # pragma: no cover - AuditLog's
        raise NotImplementedError

    def create_checkpoint(
        self,
        signing: SigningConfig,
        *,
        workers: int | Literal["auto"] = 1,
        trust_roots: Sequence[x509.Certificate] = (),
    ) -> dict[str, Any]:
        """Verify the log, then sign its size and head hash and append that as an entry.

        The whole chain is verified first (a checkpoint of a tampered log would vouch for
        it); entries appended meanwhile are checked too, in the write transaction that appends
        the checkpoint, so the checkpoint covers exactly the entries before it: it is entry
        ``size + 1``. Its key must pass the check :meth:`verify` makes of checkpoint entries:
        without ``trust_roots``, it must be the key of the log's first checkpoint (a new key
        would make every later verify fail); with them, every checkpoint's key, the new one's
        included, must be trusted (key rotation).

        Parameters
        ----------
        signing
            The key and certificate (``governance.keys.load_signing_config``).
        workers
            As for :meth:`verify`.
        trust_roots
            As for :meth:`verify`.

        Returns
        -------
        dict
            The signed checkpoint (see :mod:`governance.store.checkpoint`): ``type``,
            ``version``, ``store_id``, ``size``, ``head_hash``, ``time``,
            ``signature_algorithm``, ``signature``, ``certificate``, ``signer``, ``dev_key``.

        Raises
        ------
        VerificationFailed
            If the log does not verify.
        StoreError
            If the log is empty.
        SigningError
            If the key cannot sign, or is not the key the log's checkpoints must have.
        """
        from governance.store.checkpoint import CHECKPOINT_KIND, sign_checkpoint

        self._check_open()
        with self._engine.read("verify") as conn:
            count = workers_for(conn, 0) if workers == "auto" else workers
            walker, problem = walk(conn, ChainWalker(trust_roots=trust_roots), workers=count)
        with self._engine.write("checkpoint") as conn:
            if problem is None:
                walker, problem = walk(conn, walker)
            if problem is not None:
                raise VerificationFailed(
                    CHECKPOINT_TAMPERED.format(url=self.url, problem=problem),
                    hint=TAMPERED_HINT,
                )
            if walker.entries == 0 or walker.store_id is None or walker.head_hash is None:
                raise StoreError(EMPTY_LOG.format(url=self.url))
            checkpoint = sign_checkpoint(
                store_id=walker.store_id,
                size=walker.entries,
                head_hash=walker.head_hash,
                time=format_time(datetime.now(UTC)),
                signing=signing,
            )
            seq = walker.entries + 1
            problem = walker.key_problem(checkpoint, seq, f"the new checkpoint (entry {seq}) is")
            if problem is not None:
                raise SigningError(
                    CHECKPOINT_KEY_REFUSED.format(url=self.url, problem=problem),
                    hint=CHECKPOINT_KEY_HINT,
                )
            self._append_locked(conn, [(CHECKPOINT_KIND, canonical_json(checkpoint))])
        return checkpoint

    def latest_checkpoint(self) -> dict[str, Any] | None:
        """Return the most recent checkpoint recorded in the log, or ``None``.

        Returns
        -------
        dict or None
            The checkpoint as :meth:`create_checkpoint` returned it.

        Raises
        ------
        VerificationFailed
            If its log entry no longer matches its hash.
        """
        from governance.store.checkpoint import CHECKPOINT_KIND

        self._check_open()
        with self._engine.read("read") as conn:
            row = conn.execute(
                select(audit_log)
                .where(audit_log.c.kind == CHECKPOINT_KIND)
                .order_by(audit_log.c.seq.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        if row_hash(row) != row.entry_hash:
            raise VerificationFailed(
                TAMPERED_ENTRY.format(seq=row.seq, url=self.url), hint=TAMPERED_HINT
            )
        return row_entry(row).payload

    def check_checkpoint(
        self, checkpoint: Mapping[str, Any], *, trust_roots: Sequence[Any] = ()
    ) -> CheckpointCheck:
        """Compare a checkpoint (kept outside the store) with the log.

        The checkpoint's signature must verify; entry 1 must have the checkpoint's
        ``store_id`` as hash (else it is another store's, or the history was replaced); the log
        must still have ``size`` entries (else its end was cut off); and entry ``size`` must
        still have hash ``head_hash`` (else the history up to it was rewritten). Run
        :meth:`verify` as well: it proves the entries are linked up to the head.

        Parameters
        ----------
        checkpoint
            A checkpoint (``governance.store.checkpoint.load_checkpoint``).
        trust_roots
            ``cryptography`` certificates; if given, the checkpoint must be signed by one of
            them or by a certificate one of them issued.

        Returns
        -------
        CheckpointCheck
            Whether it holds, and if not, why.
        """
        from governance.store.checkpoint import CheckpointCheck, key_of, signature_problem

        self._check_open()
        size = int(checkpoint["size"])
        problem = signature_problem(checkpoint, trust_roots)
        if problem is None:
            with self._engine.read("read") as conn:
                rows = {
                    row.seq: row
                    for row in conn.execute(select(audit_log).where(audit_log.c.seq.in_([1, size])))
                }
                count = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
            problem = checkpoint_problem(checkpoint, rows, count)
        key = key_of(checkpoint)
        return CheckpointCheck(
            ok=problem is None,
            size=size,
            head_hash=str(checkpoint["head_hash"]),
            time=str(checkpoint["time"]),
            signer=str(checkpoint.get("signer", "")),
            problem=problem,
            fingerprint=key.fingerprint if key is not None else "",
        )
