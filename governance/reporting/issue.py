"""Issue a report: render, archive (PDF/A-3b with attachments), sign (PAdES), attest (DSSE).

One call does the whole sequence for an evaluation record:

1. check the key material (before anything is rendered);
2. sign the *embedded* attestation (model, data and record digests, and the predicate);
3. render the HTML and lay it out as PDF/A-3b with ``evaluation.json`` (the record as canonical
   JSON, relationship ``Source``) and ``attestation.intoto.json`` (``Supplement``) attached;
4. sign the PDF (PAdES, B-T with a timestamp authority) as an incremental update;
5. sign the *detached* attestation, which adds the signed PDF's own digest;
6. write the PDF and the attestation through temporary files renamed into place, so a failure
   at any step leaves the previous files, or none, never a partial report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.errors import InputError
from governance.files import write_atomic
from governance.keys import (
    SigningConfig,
    certificate_is_dev,
    load_signing_material,
    subject_of,
)
from governance.reporting.attest import (
    ATTESTATION_ATTACHMENT,
    EVALUATION_SUBJECT,
    build_predicate,
    build_statement,
    envelope_bytes,
    record_subjects,
    report_subject,
    sign_statement,
)
from governance.reporting.pdf_limits import MAX_REPORT_BYTES, MiB
from governance.reporting.render import (
    CANNOT_WRITE,
    REPORT_FILE_MODE,
    SignerInfo,
    charted,
    check_output,
    html_to_pdf,
    render_charted,
)
from governance.reporting.view import Attachment

if TYPE_CHECKING:
    from governance.reporting.sandbox import RenderLimits

ATTESTATION_SUFFIX = ".intoto.json"
TOO_LARGE_TO_VERIFY = (
    "the report would be {size:.1f} MiB, larger than the {limit:g} MiB governance verify reads"
)


@dataclass(frozen=True)
class ReportResult:
    """What :func:`render_pdf` wrote.

    Parameters
    ----------
    path
        The report file.
    sha256
        Digest of the file as written, ``sha256:<hex>``.
    signed
        Whether the report carries a PAdES signature.
    signer_subject
        The signer certificate's subject, if signed.
    dev_key
        Whether it was signed with a development key.
    attestation
        The detached DSSE attestation written beside the report, if signed.
    attestation_sha256
        Its digest, ``sha256:<hex>``.
    timestamped
        Whether the signature carries an RFC 3161 timestamp (PAdES B-T).
    """

    path: Path
    sha256: str
    signed: bool
    signer_subject: str | None
    dev_key: bool
    attestation: Path | None = None
    attestation_sha256: str | None = None
    timestamped: bool = False


def attestation_path(report: Path) -> Path:
    """The detached attestation beside ``report``: ``report.pdf`` -> ``report.intoto.json``."""
    return report.with_name(report.stem + ATTESTATION_SUFFIX)


def record_json(record: Mapping[str, Any]) -> bytes:
    """The record as attached to the report: RFC 8785 canonical JSON, as the audit log stores it."""
    from governance.canonical import canonical_json

    return canonical_json(record).encode("utf-8")


def _record_time(record: Mapping[str, Any]) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(record.get("finished_at")))
    except ValueError:
        return None


@contextlib.contextmanager
def _atomic_files(*targets: Path) -> Iterator[list[io.BytesIO]]:
    """Yield a buffer per target; write them all (:func:`~governance.files.write_atomic`)."""
    buffers = [io.BytesIO() for _ in targets]
    yield buffers
    files = [(target, buffer.getvalue()) for target, buffer in zip(targets, buffers, strict=True)]
    try:
        write_atomic(files, mode=REPORT_FILE_MODE)
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else targets[0]
        raise InputError(CANNOT_WRITE.format(error=exc.strerror), path=where) from exc


def _check_size(pdf: bytes) -> None:
    """Refuse a report ``governance verify`` would not read (:data:`MAX_REPORT_BYTES`)."""
    if len(pdf) > MAX_REPORT_BYTES:
        raise InputError(
            TOO_LARGE_TO_VERIFY.format(size=len(pdf) / MiB, limit=MAX_REPORT_BYTES / MiB)
        )


def render_pdf(
    evaluation: dict[str, Any],
    out: Path,
    *,
    templates: Path | None = None,
    signing: SigningConfig | None = None,
    checkpoint: Mapping[str, Any] | None = None,
    attestation: Path | None = None,
    timestamper: Any = None,
    recorded_lineage: Mapping[str, Any] | None = None,
    limits: RenderLimits | None = None,
    approvals: Mapping[str, Any] | None = None,
) -> ReportResult:
    """Render an evaluation record to a PDF/A-3b report at ``out``, signed if ``signing``.

    Parameters
    ----------
    evaluation
        An evaluation record (``docs/evaluation-record.md``); not modified.
    out
        The PDF to write; replaced atomically, never left half-written.
    templates
        A template folder holding ``report.html.j2``; default the shipped theme
        (:func:`governance.resources.default_templates`).
    signing
        Key material for a PAdES signature and the attestation; unsigned when omitted (then
        no attestation is written: an unsigned envelope proves nothing).
    checkpoint
        The audit store's latest checkpoint, shown in the report and put in the attestation.
    attestation
        Where to write the detached attestation; default :func:`attestation_path` of ``out``.
    timestamper
        A pyHanko ``TimeStamper`` overriding ``signing.tsa_url`` (tests).
    recorded_lineage
        The model's upstream lineage from the audit store (``governance.reports``), drawn in
        the lineage section.
    limits
        What rendering and layout together may cost (time, sizes, pages, macro depth); default
        :class:`~governance.reporting.sandbox.RenderLimits` (120 s).
    approvals
        The evaluation's approvals (:func:`~governance.reporting.approvals_view.approvals_view`).

    Returns
    -------
    ReportResult
        The files written, their digests, and who signed them.

    Raises
    ------
    InputError
        If the record, the template folder or the output folder is unusable, or the templates
        go past a limit: nothing is written.
    SigningError
        If the key material is missing or unusable, or the timestamp authority fails.
    SetupError
        If WeasyPrint's system libraries are missing.
    """
    from governance.reporting.sandbox import RenderBudget

    record_bytes = record_json(evaluation)
    source = Attachment(
        name=EVALUATION_SUBJECT,
        description="The evaluation record this report renders (canonical JSON)",
        data=record_bytes,
        relationship="Source",
    )

    def build(attachments: list[Attachment], signer: SignerInfo | None) -> bytes:
        ready = charted(evaluation)  # charts are drawn before the template's budget starts
        budget = RenderBudget(limits)
        html = render_charted(
            ready,
            templates=templates,
            signer=signer,
            checkpoint=checkpoint,
            attachments=attachments,
            recorded_lineage=recorded_lineage,
            approvals=approvals,
            budget=budget,
        )
        return html_to_pdf(
            html,
            templates=templates,
            attachments=attachments,
            created=_record_time(evaluation),
            budget=budget,
        )

    return issue(
        Path(out),
        build,
        attachments=[source],
        subjects=record_subjects(evaluation, record_bytes),
        predicate=build_predicate(evaluation, checkpoint),
        signing=signing,
        attestation=attestation,
        timestamper=timestamper,
    )


def issue(
    out: Path,
    build: Callable[[list[Attachment], SignerInfo | None], bytes],
    *,
    attachments: Sequence[Attachment],
    subjects: Sequence[Mapping[str, Any]],
    predicate: Mapping[str, Any],
    signing: SigningConfig | None = None,
    attestation: Path | None = None,
    timestamper: Any = None,
) -> ReportResult:
    """Lay out, attest, sign and write a report: the sequence every report goes through.

    Parameters
    ----------
    out
        The PDF to write; replaced atomically, never left half-written.
    build
        Lays out the unsigned PDF/A-3b from the attachments it must embed and list (the
        ``attachments`` given, then the signed embedded attestation) and the signer to name.
    attachments
        The files the report carries; the first is ``evaluation.json``, the record
        ``governance verify`` checks.
    subjects, predicate
        The in-toto statement's subjects (without the report) and predicate.
    signing, attestation, timestamper
        As for :func:`render_pdf`.

    Returns
    -------
    ReportResult
        The files written, their digests, and who signed them.
    """
    from governance.reporting.sign import sign_pdf

    check_output(out)
    material = load_signing_material(signing) if signing is not None else None
    signer = None
    if material is not None:
        signer = SignerInfo(
            subject=subject_of(material.cert), dev_key=certificate_is_dev(material.cert)
        )
    carried = list(attachments)
    if material is not None:
        embedded = sign_statement(build_statement(subjects, predicate), material)
        carried.append(
            Attachment(
                name=ATTESTATION_ATTACHMENT,
                description="Signed in-toto statement (DSSE) of the evaluation",
                data=envelope_bytes(embedded),
                relationship="Supplement",
            )
        )
    pdf = build(carried, signer)
    _check_size(pdf)
    if signing is None or material is None:
        with _atomic_files(out) as (buffer,):
            buffer.write(pdf)
        return ReportResult(
            path=out,
            sha256="sha256:" + hashlib.sha256(pdf).hexdigest(),
            signed=False,
            signer_subject=None,
            dev_key=False,
        )

    target = Path(attestation) if attestation is not None else attestation_path(out)
    check_output(target)
    signed = io.BytesIO()
    sign_pdf(pdf, signed, signing, timestamper=timestamper)
    signed_pdf = signed.getvalue()
    _check_size(signed_pdf)
    detached = sign_statement(
        build_statement([report_subject(out.name, signed_pdf), *subjects], predicate), material
    )
    detached_bytes = envelope_bytes(detached)
    with _atomic_files(out, target) as (pdf_buffer, attestation_buffer):
        pdf_buffer.write(signed_pdf)
        attestation_buffer.write(detached_bytes)
    return ReportResult(
        path=out,
        sha256="sha256:" + hashlib.sha256(signed_pdf).hexdigest(),
        signed=True,
        signer_subject=signer.subject if signer else None,
        dev_key=signer.dev_key if signer else False,
        attestation=target,
        attestation_sha256="sha256:" + hashlib.sha256(detached_bytes).hexdigest(),
        timestamped=timestamper is not None or bool(signing.tsa_url),
    )
