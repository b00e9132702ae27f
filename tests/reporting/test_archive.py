"""PDF/A-3b: the signed report keeps its archival structure and carries its own proof."""

import io
import json

import pytest

from governance.reporting import render_pdf
from governance.reporting.archive import embedded_files, pdfa_problems
from governance.reporting.attest import ATTESTATION_ATTACHMENT, EVALUATION_SUBJECT
from governance.reporting.issue import record_json
from governance.reporting.render import html_to_pdf, render_html
from governance.reporting.sign import sign_pdf


def test_signed_report_is_pdfa_3b_with_both_attachments(full_report, full_record):
    data = full_report.path.read_bytes()
    assert pdfa_problems(data) == []
    assert data.startswith(b"%PDF-1.7")
    files = embedded_files(data)
    assert sorted(files) == [ATTESTATION_ATTACHMENT, EVALUATION_SUBJECT]
    assert json.loads(files[EVALUATION_SUBJECT]) == full_record
    assert files[EVALUATION_SUBJECT] == record_json(full_record)  # canonical, as the log stores it
    envelope = json.loads(files[ATTESTATION_ATTACHMENT])
    assert envelope["payloadType"] == "application/vnd.in-toto+json"


def test_attachments_are_associated_files_with_relationships(full_report):
    import pypdf

    reader = pypdf.PdfReader(full_report.path)
    root = reader.trailer["/Root"]
    relationships = {}
    for ref in root["/AF"]:
        spec = ref.get_object()
        relationships[spec["/UF"]] = spec["/AFRelationship"]
        stream = spec["/EF"]["/F"].get_object()
        assert (
            stream["/Subtype"] == "/application#2Fjson" or stream["/Subtype"] == "/application/json"
        )
    assert relationships == {EVALUATION_SUBJECT: "/Source", ATTESTATION_ATTACHMENT: "/Supplement"}
    listed = [ref.get_object()["/UF"] for ref in root["/AF"]]
    assert sorted(listed) == sorted([EVALUATION_SUBJECT, ATTESTATION_ATTACHMENT])  # each once
    assert b"pdfaid:part" in root["/Metadata"].get_object().get_data()


def test_unsigned_report_is_pdfa_with_the_record_only(tmp_path, evaluation):
    out = tmp_path / "unsigned.pdf"
    result = render_pdf(evaluation, out)
    assert pdfa_problems(out.read_bytes()) == []
    assert list(embedded_files(out.read_bytes())) == [EVALUATION_SUBJECT]
    assert result.attestation is None
    assert [p.name for p in tmp_path.iterdir()] == ["unsigned.pdf"]


def test_the_structure_check_catches_what_plain_pyhanko_signing_breaks(evaluation, dev_keys):
    """Signing with pyHanko's defaults raises the file to PDF 2.0 (ECDSA) and leaves /Producer
    out of step with XMP; our signer avoids both, and the check would notice if it did not."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    pdf = html_to_pdf(render_html(evaluation))
    plain = io.BytesIO()
    signer = signers.SimpleSigner.load(str(dev_keys.key), str(dev_keys.cert))
    meta = signers.PdfSignatureMetadata(
        field_name="Plain", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    signers.PdfSigner(meta, signer).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), output=plain
    )
    problems = pdfa_problems(plain.getvalue())
    assert "the catalog declares PDF version 2.0" in problems
    assert "/Producer in the document information differs from the XMP metadata" in problems

    ours = io.BytesIO()
    sign_pdf(pdf, ours, dev_keys)
    assert pdfa_problems(ours.getvalue()) == []


def _updated(pdf: bytes, change) -> bytes:
    """The PDF with an incremental update made by ``change(writer)``."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _drop_output_intents(writer):
    del writer.root["/OutputIntents"]
    writer.update_root()


def _declare_pdf_2(writer):
    from pyhanko.pdf_utils.generic import pdf_name

    writer.root["/Version"] = pdf_name("/2.0")
    writer.update_root()


def _drop_relationship(writer):
    ref = writer.root["/AF"].raw_get(0)
    del ref.get_object()["/AFRelationship"]
    writer.mark_update(ref)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_drop_output_intents, "there is no output intent"),
        (_declare_pdf_2, "the catalog declares PDF version 2.0"),
        (_drop_relationship, "attachment evaluation.json has no AFRelationship"),
    ],
)
def test_the_structure_check_names_what_is_wrong(evaluation, change, problem):
    pdf = html_to_pdf(render_html(evaluation), attachments=[_record_attachment(evaluation)])
    assert pdfa_problems(pdf) == []
    assert problem in pdfa_problems(_updated(pdf, change))


def _record_attachment(record):
    from governance.reporting.view import Attachment

    return Attachment(
        name=EVALUATION_SUBJECT,
        description="record",
        data=record_json(record),
        relationship="Source",
    )


def test_a_plain_pdf_is_not_pdfa(evaluation):
    pdf = html_to_pdf(render_html(evaluation), archival=False)
    problems = pdfa_problems(pdf)
    assert "there is no output intent" in problems
    assert any("does not identify the file as PDF/A-3" in p for p in problems)


def test_attachment_dates_are_the_evaluation_time(full_report):
    import pypdf

    reader = pypdf.PdfReader(full_report.path)
    spec = reader.trailer["/Root"]["/AF"][0].get_object()
    params = spec["/EF"]["/F"].get_object()["/Params"]
    assert params["/ModDate"].startswith("D:20261127140002")


def test_fonts_are_dejavu_and_embedded(full_report):
    import pypdf

    names = set()
    for page in pypdf.PdfReader(full_report.path).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descendant = descendant.get_object()
                descriptor = descendant["/FontDescriptor"].get_object()
                assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
                names.add(str(descendant["/BaseFont"]).split("+")[-1])
    assert {"DejaVu-Sans", "DejaVu-Sans-Bold", "DejaVu-Sans-Mono"} <= names, names
