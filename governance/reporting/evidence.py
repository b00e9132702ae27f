"""Check what a report carries against what it claims: attestations, record, audit store.

Run by :func:`governance.reporting.verify_report` after the PAdES checks, with the certificate
of the report's (last) signer. Every mismatch is one sentence in ``problems``; nothing raises
on a hostile file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from governance.errors import GovernanceError
from governance.reporting.archive import embedded_files, pdfa_problems
from governance.reporting.attest import (
    ATTESTATION_ATTACHMENT,
    EVALUATION_SUBJECT,
    AttestationFormatError,
    open_envelope,
    sha256_of,
    subject_digests,
)
from governance.reporting.pdf_limits import error_text

if TYPE_CHECKING:
    from cryptography import x509

NO_RECORD = f"the report carries no evaluation record ({EVALUATION_SUBJECT} attachment)"
BAD_RECORD = f"the attached {EVALUATION_SUBJECT} is not a JSON object"
ATTACHMENTS_UNREADABLE = "the report's attachments cannot be read: {error}"
NO_EMBEDDED_ATTESTATION = f"the signed report carries no attestation ({ATTESTATION_ATTACHMENT})"
EMBEDDED_MALFORMED = "the embedded attestation is malformed: {error}"
EMBEDDED_NOT_SIGNED = "the embedded attestation is not signed by the report's signer"
EMBEDDED_RECORD_MISMATCH = (
    "the embedded attestation names another evaluation record (sha256 {claimed}) than the one "
    "attached (sha256 {actual})"
)
EMBEDDED_ID_MISMATCH = (
    "the embedded attestation is about evaluation {claimed}, the record is {actual}"
)
DETACHED_MALFORMED = "the attestation file is malformed: {error}"
DETACHED_UNSIGNED_REPORT = "the attestation cannot be checked: the report is not signed"
DETACHED_NOT_SIGNED = "the attestation is not signed by the report's signer"
DETACHED_WRONG_REPORT = (
    "the attestation is for another report: it names sha256 {claimed}, this file is sha256 {actual}"
)
DETACHED_NO_REPORT = "the attestation names no report PDF among its subjects"
DETACHED_RECORD_MISMATCH = (
    "the attestation names another evaluation record (sha256 {claimed}) than the one the report "
    "carries (sha256 {actual})"
)
DETACHED_PREDICATE_MISMATCH = (
    "the attestation's predicate differs from the one embedded in the report"
)
STORE_MISSING = "the audit store does not hold evaluation {id}: {error}"
STORE_RECORD_MISMATCH = (
    "the audit store's record of evaluation {id} differs from the one the report carries"
)
STORE_CHAIN_BROKEN = "the audit store's chain does not verify: {problem}"
STORE_CHECKPOINT_FAILS = "the report's audit checkpoint does not hold in the store: {problem}"
STORE_NO_ID = "the audit store cannot be checked: the report names no evaluation"
WINDOWS_SUBJECT = "monitoring-windows"
"""The role of a monitoring report's ``monitoring-windows.json`` in its statements."""
WINDOWS_MISMATCH = (
    "the {which} attestation names other monitored windows (sha256 {claimed}) than those "
    "attached (sha256 {actual})"
)
WINDOWS_NOT_STORED = "the audit store does not hold the monitored window {id} the report carries"


class _ChainReport(Protocol):
    @property
    def ok(self) -> bool: ...
    @property
    def entries(self) -> int: ...
    @property
    def problem(self) -> str | None: ...


class _CheckpointCheck(Protocol):
    @property
    def ok(self) -> bool: ...
    @property
    def problem(self) -> str | None: ...


class StoreReader(Protocol):
    """What verification needs of an audit store (:class:`governance.store.AuditStore`)."""

    def get_evaluation(self, ref: str, *, model: str | None = None) -> dict[str, Any]:
        """The stored evaluation record ``ref``."""

    def verify(self) -> _ChainReport:
        """Recompute the hash chain."""

    def check_checkpoint(self, checkpoint: Mapping[str, Any]) -> _CheckpointCheck:
        """Compare a checkpoint with the log: signature, store identity, size and head hash."""


@dataclass
class EvidenceCheck:
    """The outcome of :func:`check_evidence`."""

    problems: list[str] = field(default_factory=list)
    evaluation_id: str | None = None
    attestation_checked: bool = False
    store_checked: bool = False
    archive_problems: list[str] = field(default_factory=list)


def _check_store(
    store: StoreReader,
    record: Mapping[str, Any],
    record_bytes: bytes,
    checkpoint: Mapping[str, Any] | None,
    result: EvidenceCheck,
) -> None:
    from governance.canonical import canonical_json

    evaluation_id = str(record.get("evaluation_id") or "")
    if not evaluation_id:
        result.problems.append(STORE_NO_ID)
        return
    result.store_checked = True
    try:
        stored = store.get_evaluation(evaluation_id)
    except GovernanceError as exc:
        result.problems.append(STORE_MISSING.format(id=evaluation_id, error=exc.message))
        return
    if sha256_of(canonical_json(stored).encode("utf-8")) != sha256_of(record_bytes):
        result.problems.append(STORE_RECORD_MISMATCH.format(id=evaluation_id))
    chain = store.verify()
    if not chain.ok:
        result.problems.append(STORE_CHAIN_BROKEN.format(problem=chain.problem))
    if not checkpoint or not isinstance(checkpoint.get("size"), int):
        return
    outcome = store.check_checkpoint(checkpoint)
    if not outcome.ok:
        result.problems.append(STORE_CHECKPOINT_FAILS.format(problem=outcome.problem))


def _check_detached(
    detached: bytes,
    pdf: bytes,
    signer: x509.Certificate | None,
    record_bytes: bytes,
    embedded_predicate: Any,
    files: Mapping[str, bytes],
    result: EvidenceCheck,
) -> None:
    result.attestation_checked = True
    if signer is None:
        result.problems.append(DETACHED_UNSIGNED_REPORT)
        return
    try:
        opened = open_envelope(detached, signer)
    except AttestationFormatError as exc:
        result.problems.append(DETACHED_MALFORMED.format(error=exc))
        return
    if not opened.signed_by_key:
        result.problems.append(DETACHED_NOT_SIGNED)
    digests = subject_digests(opened.statement)
    claimed = digests.get("report")
    if claimed is None:
        result.problems.append(DETACHED_NO_REPORT)
    elif claimed != sha256_of(pdf):
        result.problems.append(DETACHED_WRONG_REPORT.format(claimed=claimed, actual=sha256_of(pdf)))
    claimed_record = digests.get("evaluation")
    if claimed_record != sha256_of(record_bytes):
        result.problems.append(
            DETACHED_RECORD_MISMATCH.format(claimed=claimed_record, actual=sha256_of(record_bytes))
        )
    if embedded_predicate is not None and opened.statement.get("predicate") != embedded_predicate:
        result.problems.append(DETACHED_PREDICATE_MISMATCH)
    _check_windows(opened.statement, files, "detached", result)


def _check_windows(
    statement: Mapping[str, Any], files: Mapping[str, bytes], which: str, result: EvidenceCheck
) -> None:
    """A monitoring report's windows: the attached file is the one the statement names."""
    claimed = subject_digests(statement).get(WINDOWS_SUBJECT)
    if claimed is None:
        return
    actual = sha256_of(files.get(WINDOWS_SUBJECT + ".json", b""))
    if claimed != actual:
        result.problems.append(WINDOWS_MISMATCH.format(which=which, claimed=claimed, actual=actual))


def _check_stored_windows(
    store: StoreReader, files: Mapping[str, bytes], result: EvidenceCheck
) -> None:
    """Each monitored window a monitoring report carries is in the store, unchanged."""
    from governance.canonical import canonical_json

    data = files.get(WINDOWS_SUBJECT + ".json")
    if data is None:
        return
    try:
        windows = json.loads(data)
    except ValueError:
        windows = None
    if not isinstance(windows, list):
        result.problems.append(f"the attached {WINDOWS_SUBJECT}.json is not a JSON list")
        return
    for window in windows:
        ref = str(window.get("evaluation_id")) if isinstance(window, dict) else "?"
        try:
            stored = store.get_evaluation(ref)
        except GovernanceError:
            stored = None
        if stored is None or canonical_json(stored) != canonical_json(window):
            result.problems.append(WINDOWS_NOT_STORED.format(id=ref))


def check_evidence(
    pdf: bytes,
    signer: x509.Certificate | None,
    *,
    detached: bytes | None = None,
    store: StoreReader | None = None,
) -> EvidenceCheck:
    """Check a report's attached record and attestations, and its place in the audit store.

    Parameters
    ----------
    pdf
        The report's bytes.
    signer
        The certificate of the report's last PAdES signer; ``None`` if it is not signed.
    detached
        The detached attestation's bytes, if one is to be checked.
    store
        An audit store to find the evaluation in, if given.

    Returns
    -------
    EvidenceCheck
        The problems found, and what was checked.
    """
    result = EvidenceCheck()
    try:
        files = embedded_files(pdf)
    except Exception as exc:  # a hostile file must not crash the verifier
        result.problems.append(ATTACHMENTS_UNREADABLE.format(error=error_text(exc)))
        files = {}
    result.archive_problems = pdfa_problems(pdf)
    record_bytes = files.get(EVALUATION_SUBJECT)
    record: dict[str, Any] = {}
    if record_bytes is None:
        result.problems.append(NO_RECORD)
        record_bytes = b""
    else:
        try:
            loaded = json.loads(record_bytes)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            record = loaded
            result.evaluation_id = str(record.get("evaluation_id") or "") or None
        else:
            result.problems.append(BAD_RECORD)

    embedded_predicate = None
    envelope = files.get(ATTESTATION_ATTACHMENT)
    if envelope is None and signer is not None:
        result.problems.append(NO_EMBEDDED_ATTESTATION)
    elif envelope is not None:
        try:
            opened = open_envelope(envelope, signer)
        except AttestationFormatError as exc:
            result.problems.append(EMBEDDED_MALFORMED.format(error=exc))
        else:
            predicate = opened.statement.get("predicate")
            embedded_predicate = predicate if isinstance(predicate, dict) else {}
            if signer is not None and not opened.signed_by_key:
                result.problems.append(EMBEDDED_NOT_SIGNED)
            claimed = subject_digests(opened.statement).get("evaluation")
            if claimed != sha256_of(record_bytes):
                result.problems.append(
                    EMBEDDED_RECORD_MISMATCH.format(claimed=claimed, actual=sha256_of(record_bytes))
                )
            _check_windows(opened.statement, files, "embedded", result)
            about = ((embedded_predicate or {}).get("evaluation") or {}).get("id")
            if record and about != record.get("evaluation_id"):
                result.problems.append(
                    EMBEDDED_ID_MISMATCH.format(claimed=about, actual=record.get("evaluation_id"))
                )
    if detached is not None:
        _check_detached(detached, pdf, signer, record_bytes, embedded_predicate, files, result)
    if store is not None and record:
        checkpoint = (embedded_predicate or {}).get("auditCheckpoint")
        _check_store(store, record, record_bytes, checkpoint, result)
        _check_stored_windows(store, files, result)
    return result
