import re
import shutil
from pathlib import Path

import pytest

from governance.errors import InputError
from governance.reporting import init_dev_keys, render_pdf, verify_report
from governance.reporting.sign import SIGNATURE_FIELD, sign_pdf
from governance.reporting.verify import (
    NO_SIGNATURE,
    NOT_A_PDF,
    NOT_COVERING,
    NOT_TRUSTED,
)


@pytest.fixture
def report(tmp_path, signed_report) -> Path:
    copy = tmp_path / "report.pdf"
    shutil.copy(signed_report.path, copy)
    return copy


def signed_range(data: bytes) -> tuple[int, int, int, int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    assert match
    return tuple(int(x) for x in match.groups())


def test_signed_report_is_valid_with_the_dev_cert_as_trust_root(signed_report, dev_keys):
    assert signed_report.signed
    assert signed_report.dev_key
    assert "OU=DEVELOPMENT KEY - NOT FOR PRODUCTION" in signed_report.signer_subject
    result = verify_report(signed_report.path, trust_roots=[dev_keys.cert])
    assert result.valid, result.problems
    assert result.problems == []
    assert result.intact and result.trusted and result.covers_whole_file
    assert result.dev_key
    assert result.signer_subject == signed_report.signer_subject
    assert result.signed_at is not None


def test_signed_report_shows_the_signer_on_the_cover(signed_report, pdf_text):
    text = pdf_text(signed_report.path)
    assert "Signed with a DEVELOPMENT key — not for production" in text
    assert "FAILED" in text


def test_untrusted_without_trust_roots(signed_report):
    result = verify_report(signed_report.path)
    assert not result.valid
    assert result.intact and result.covers_whole_file
    assert not result.trusted
    assert result.problems == [NOT_TRUSTED]


def test_untrusted_with_an_unrelated_trust_root(tmp_path, signed_report):
    other = init_dev_keys(tmp_path / "other")
    result = verify_report(signed_report.path, trust_roots=[other.cert])
    assert not result.valid
    assert not result.trusted
    assert "is not trusted by the given trust roots" in result.problems[0]
    assert "(certificate chain general failure)" in result.problems[0]


def test_flipped_byte_inside_the_signed_range(report, dev_keys):
    data = bytearray(report.read_bytes())
    _, first_length, _, _ = signed_range(bytes(data))
    # flip a byte inside the first page's content stream, well within the first signed range
    position = data.index(b"stream", 0, first_length) + 40
    assert position < first_length
    data[position] ^= 0x01
    report.write_bytes(bytes(data))
    result = verify_report(report, trust_roots=[dev_keys.cert])
    assert not result.valid
    assert not result.intact
    assert any("was modified" in problem for problem in result.problems)


def test_bytes_appended_after_signing(report, dev_keys):
    with report.open("ab") as handle:
        handle.write(b"\n% appended after signing\n")
    result = verify_report(report, trust_roots=[dev_keys.cert])
    assert not result.valid
    assert result.intact  # the signed bytes themselves are untouched ...
    assert not result.covers_whole_file  # ... but they are not the whole file
    assert NOT_COVERING in result.problems


def test_incremental_update_after_signing(report, dev_keys):
    """A well-formed incremental update (new document info) is still a change after signing."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with report.open("r+b") as handle:
        writer = IncrementalPdfFileWriter(handle)
        info = generic.DictionaryObject({generic.pdf_name("/Title"): generic.pdf_string("edited")})
        writer.set_info(writer.add_object(info))
        writer.write_in_place()
    result = verify_report(report, trust_roots=[dev_keys.cert])
    assert not result.valid
    assert result.intact
    assert not result.covers_whole_file
    assert NOT_COVERING in result.problems


def test_incremental_update_painting_over_the_verdict(report, dev_keys):
    """The attack that matters: an update that draws over page 1 of a signed report."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with report.open("r+b") as handle:
        writer = IncrementalPdfFileWriter(handle)
        overlay = writer.add_object(
            generic.StreamObject(stream_data=b"q 1 1 1 rg 0 0 595 842 re f Q")
        )
        writer.add_stream_to_page(0, overlay)
        writer.write_in_place()
    result = verify_report(report, trust_roots=[dev_keys.cert])
    assert not result.valid
    assert not result.covers_whole_file


def test_countersignature_covering_the_whole_file(tmp_path, signed_report, dev_keys):
    countersigner = init_dev_keys(tmp_path / "countersigner")
    second = tmp_path / "countersigned.pdf"
    with second.open("w+b") as handle:
        sign_pdf(
            signed_report.path.read_bytes(), handle, countersigner, field_name="Countersignature"
        )
    both = verify_report(second, trust_roots=[dev_keys.cert, countersigner.cert])
    assert both.valid, both.problems
    assert both.signer_subject == signed_report.signer_subject  # same CN, different key
    only_first = verify_report(second, trust_roots=[dev_keys.cert])
    assert not only_first.valid
    assert not only_first.trusted


def test_not_a_pdf(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_text("hello, I am a text file")
    result = verify_report(path)
    assert not result.valid
    assert result.problems == [NOT_A_PDF]


def test_damaged_pdf_is_invalid_not_a_crash(report, dev_keys):
    data = report.read_bytes()
    report.write_bytes(data[: len(data) // 3])
    result = verify_report(report, trust_roots=[dev_keys.cert])
    assert not result.valid
    assert result.problems


def test_unsigned_pdf(tmp_path, evaluation):
    out = tmp_path / "unsigned.pdf"
    render_pdf(evaluation, out)
    result = verify_report(out)
    assert not result.valid
    assert result.problems == [NO_SIGNATURE]


def test_missing_report_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="report not found"):
        verify_report(tmp_path / "missing.pdf")


def test_bad_trust_root_is_an_input_error(tmp_path, signed_report):
    with pytest.raises(InputError, match="certificate not found"):
        verify_report(signed_report.path, trust_roots=[tmp_path / "missing.pem"])


def test_signature_field_name(signed_report):
    from pyhanko.pdf_utils.reader import PdfFileReader

    with signed_report.path.open("rb") as handle:
        reader = PdfFileReader(handle)
        assert [s.field_name for s in reader.embedded_signatures] == [SIGNATURE_FIELD]
        subfilter = reader.embedded_signatures[0].sig_object["/SubFilter"]
    assert subfilter == "/ETSI.CAdES.detached"
