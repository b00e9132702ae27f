"""Verify a signed report: intact, covering the whole file, from a trusted signer, and attested.

A report is valid only if every signature in it is intact and chains to a trust root the caller
names, and the last signature's byte range covers the *entire* file: any byte appended after
signing, including a well-formed incremental update, makes the report invalid. Revocation is not
checked online: the validation context never fetches anything. The attestations (embedded and,
if given, detached) and the audit store are checked by :mod:`governance.reporting.evidence`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance.errors import InputError, SigningError
from governance.keys import certificate_is_dev, load_certificate, subject_of
from governance.reporting.evidence import EvidenceCheck, StoreReader, check_evidence
from governance.reporting.pdf_limits import (
    MAX_REPORT_BYTES,
    TOO_DEEP_FOR_PYTHON,
    TOO_LARGE,
    MiB,
    ParseLimits,
    PdfLimitError,
    error_text,
    open_pdf,
    parse_limits,
    tail_problem,
)

NOT_A_PDF = "not a PDF file"
UNVERIFIABLE = "not a PDF this tool can verify: {reason}"
NO_SIGNATURE = "the report is not signed"
SIGNATURE_UNREADABLE = "signature {name!r} cannot be validated: {error}"
NOT_INTACT = "signature {name!r} does not match the signed bytes: the report was modified"
NOT_COVERING = (
    "the last signature does not cover the whole file: bytes were appended or the report "
    "was updated after signing"
)
NOT_TRUSTED = "signer is not trusted: pass --trust-root CERT"
NOT_TRUSTED_BY_ROOTS = "signer {subject} is not trusted by the given trust roots ({reason})"
BAD_SIGNATURE_VALUE = "signature {name!r} is cryptographically invalid"
TIMESTAMP_INVALID = "the timestamp of signature {name!r} is not valid or not trusted ({reason})"
MISSING_REPORT = "report not found"
BAD_TRUST_ROOT = "trust root is not a usable certificate: {error}"
LIBRARY_LOGGERS = ("pyhanko", "pyhanko_certvalidator")
"""Loggers silenced while a report is verified (their children too, unless given a level)."""


@dataclass(frozen=True)
class ReportVerification:
    """The outcome of :func:`verify_report`.

    Parameters
    ----------
    valid
        True only if the report is signed, intact, covered entirely by its last signature,
        and signed by a trusted signer.
    problems
        Why it is not valid, one sentence each; empty when valid.
    signer_subject
        The last signer's certificate subject (RFC 4514), if a signature was found.
    signed_at
        The signing time the signer reported, if any.
    covers_whole_file
        Whether the last signature's byte range covers every byte of the file.
    intact
        Whether every signature's digest matches the bytes it covers.
    trusted
        Whether every signer chains to one of the trust roots.
    dev_key
        Whether the last signer's certificate is a governance development certificate.
    timestamp
        The time of the last signature's RFC 3161 timestamp (PAdES B-T), if it has one.
    evaluation_id
        The evaluation the report renders, from its attached record.
    attestation_checked
        Whether a detached attestation was checked (and, if ``valid``, matched).
    store_checked
        Whether the report was checked against an audit store.
    archive_problems
        Deviations from PDF/A-3b found by a structural check; informative, they do not make
        the report invalid.
    """

    valid: bool
    problems: list[str] = field(default_factory=list)
    signer_subject: str | None = None
    signed_at: dt.datetime | None = None
    covers_whole_file: bool = False
    intact: bool = False
    trusted: bool = False
    dev_key: bool = False
    timestamp: dt.datetime | None = None
    evaluation_id: str | None = None
    attestation_checked: bool = False
    store_checked: bool = False
    archive_problems: list[str] = field(default_factory=list)


def _invalid(problem: str) -> ReportVerification:
    return ReportVerification(valid=False, problems=[problem])


def _load_trust_roots(paths: Sequence[Path]) -> list[Any]:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    roots = []
    for path in paths:
        try:
            cert = load_certificate(Path(path))
        except SigningError as exc:
            raise InputError(exc.message, path=exc.path, hint="--trust-root CERT") from exc
        roots.append(asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    return roots


def verify_report(
    pdf: Path,
    *,
    trust_roots: Sequence[Path] = (),
    attestation: Path | None = None,
    store: StoreReader | None = None,
    limits: ParseLimits | None = None,
) -> ReportVerification:
    """Verify a report: its PAdES signature, its attestations, and its place in the audit store.

    Parameters
    ----------
    pdf
        The report.
    trust_roots
        Certificates (PEM or DER) to trust as roots, for the signer and for a timestamp
        authority. With none, no signer is trusted: a self-signed (development) certificate
        is trusted only when passed here.
    attestation
        The detached DSSE attestation (``report.intoto.json``) to check against the report.
    store
        An open audit store: the evaluation must be in it, its record must match the one the
        report carries, and the log must verify (up to the report's checkpoint, unchanged).
    limits
        How much parsing the file may cost (:mod:`governance.reporting.pdf_limits`); a file
        larger than ``MAX_REPORT_BYTES`` is not parsed at all.

    Returns
    -------
    ReportVerification
        The outcome; a file that is not a PDF, not one this tool can verify (too large, too
        deeply nested, too many objects, damaged), or not signed, gives ``valid=False`` with
        one problem, not an exception.

    Raises
    ------
    InputError
        If ``pdf``, ``attestation`` or a trust root file is missing or unreadable, or a trust
        root is not a certificate.
    """
    pdf = Path(pdf)
    data = _read_report(pdf)
    roots = _load_trust_roots(trust_roots)
    detached = None
    if attestation is not None:
        try:
            detached = Path(attestation).read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read the attestation: {exc.strerror}", path=attestation
            ) from exc
    if len(data) > MAX_REPORT_BYTES:
        return _invalid(UNVERIFIABLE.format(reason=TOO_LARGE.format(limit=MAX_REPORT_BYTES // MiB)))
    if data.lstrip()[:5] != b"%PDF-":
        return _invalid(NOT_A_PDF)
    tail = tail_problem(data)
    if tail is not None:
        return _invalid(UNVERIFIABLE.format(reason=tail))
    with library_logs_silenced(), parse_limits(limits) as budget:
        try:
            result = _verify(data, roots=roots, detached=detached, store=store)
        except RecursionError:
            result = _invalid(UNVERIFIABLE.format(reason=TOO_DEEP_FOR_PYTHON))
        except PdfLimitError as exc:
            result = _invalid(UNVERIFIABLE.format(reason=str(exc)))
    if budget.exceeded is not None:  # even where a library caught the error and went on
        return _invalid(UNVERIFIABLE.format(reason=budget.exceeded))
    return result


def _read_report(pdf: Path) -> bytes:
    """The report's bytes, and one more than :data:`MAX_REPORT_BYTES` at most."""
    try:
        with pdf.open("rb") as handle:
            return handle.read(MAX_REPORT_BYTES + 1)
    except FileNotFoundError as exc:
        raise InputError(MISSING_REPORT, path=pdf) from exc
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror}", path=pdf) from exc


@contextmanager
def library_logs_silenced(names: Sequence[str] = LIBRARY_LOGGERS) -> Iterator[None]:
    """Silence the loggers ``names`` (and their children) while the block runs.

    pyHanko logs every failed path validation as a warning with a traceback; with no logging
    configured Python prints those on stderr. The verdict and its reasons are ours to report,
    so nothing of the libraries' logs reaches the user. Levels are restored afterwards.
    """
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _verify(
    data: bytes,
    *,
    roots: list[Any],
    detached: bytes | None,
    store: StoreReader | None,
) -> ReportVerification:
    from cryptography import x509
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    # A hostile or damaged file can make the parser fail in many ways; each of them means
    # "cannot be verified", never a crash of the verifier. RecursionError and PdfLimitError
    # (a limit of pdf_limits) end the whole verification: see verify_report.
    malformed = (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError)
    try:
        reader = open_pdf(data)
        signatures = list(reader.embedded_signatures)
    except malformed as exc:
        return _invalid(UNVERIFIABLE.format(reason=error_text(exc)))
    if not signatures:
        return _invalid(NO_SIGNATURE)

    problems: list[str] = []
    intact = trusted = True
    covers = last_checked = False
    subject: str | None = None
    signed_at: dt.datetime | None = None
    timestamp: dt.datetime | None = None
    dev_key = False
    issuer_cert = None
    for index, signature in enumerate(signatures):
        name = signature.field_name
        is_last = index == len(signatures) - 1
        context = ValidationContext(
            trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
        )
        try:
            status = validate_pdf_signature(signature, context)
        except malformed as exc:
            problems.append(SIGNATURE_UNREADABLE.format(name=name, error=error_text(exc)))
            intact = trusted = False
            continue
        cert = x509.load_der_x509_certificate(status.signing_cert.dump())
        if not status.intact:
            intact = False
            problems.append(NOT_INTACT.format(name=name))
        elif not status.valid:
            intact = False
            problems.append(BAD_SIGNATURE_VALUE.format(name=name))
        if not status.trusted:
            trusted = False
            if not (status.intact and status.valid):
                pass  # a broken signature is not assessed for trust: its problem is said above
            elif roots:
                indication = getattr(status.trust_problem_indic, "name", None) or "unknown"
                reason = str(indication).lower().replace("_", " ")
                problems.append(
                    NOT_TRUSTED_BY_ROOTS.format(subject=subject_of(cert), reason=reason)
                )
            elif NOT_TRUSTED not in problems:
                problems.append(NOT_TRUSTED)
        stamp = status.timestamp_validity
        if stamp is not None and not (stamp.intact and stamp.valid and stamp.trusted):
            indication = getattr(stamp.trust_problem_indic, "name", None) or "invalid"
            reason = str(indication).lower().replace("_", " ")
            problems.append(TIMESTAMP_INVALID.format(name=name, reason=reason))
        if index == 0:
            issuer_cert = cert  # who issued the report, and signed its attestations
        if is_last:
            subject = subject_of(cert)
            signed_at = status.signer_reported_dt
            timestamp = stamp.timestamp if stamp is not None else None
            dev_key = certificate_is_dev(cert)
            covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            last_checked = True
    if last_checked and not covers:
        problems.append(NOT_COVERING)
    evidence: EvidenceCheck = check_evidence(data, issuer_cert, detached=detached, store=store)
    problems += evidence.problems
    return ReportVerification(
        valid=not problems,
        problems=problems,
        signer_subject=subject,
        signed_at=signed_at,
        covers_whole_file=covers,
        intact=intact,
        trusted=trusted,
        dev_key=dev_key,
        timestamp=timestamp,
        evaluation_id=evidence.evaluation_id,
        attestation_checked=evidence.attestation_checked,
        store_checked=evidence.store_checked,
        archive_problems=evidence.archive_problems,
    )
