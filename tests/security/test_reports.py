"""Reports: verifying a hostile PDF, and rendering with a hostile template folder.

``governance verify`` reads files anyone can hand over; ``governance report --templates DIR``
runs a theme someone else may have written. Neither may crash the tool, run without bounds in
time or memory, or leave a half-written report behind.
"""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from governance.reporting import SigningConfig, init_dev_keys, render_pdf

FIXTURE = Path(__file__).resolve().parents[1] / "reporting" / "evaluation.json"
UNVERIFIABLE = "  - not a PDF this tool can verify: "
SECONDS = 60
"""Generous on a loaded machine: each attack ends in a few seconds, an unbounded one never."""


# --- helpers ---------------------------------------------------------------------------------


def pdf_file(*objects: bytes, root: int = 1) -> bytes:
    """A classic PDF holding ``objects`` (numbered from 1) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)


def object_stream_pdf(field: bytes) -> bytes:
    """A PDF whose form field list is object 3, compressed in an object stream (PDF 1.5)."""
    import struct
    import zlib

    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(
        (
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields 3 0 R >> >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
        ),
        start=1,
    ):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    header = b"3 0 "
    packed = zlib.compress(header + field, 9)
    offsets.append(len(out))
    out += (
        b"4 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    xref = len(out)
    rows = [
        b"\x00" + struct.pack(">I", 0) + b"\xff\xff",
        b"\x01" + struct.pack(">I", offsets[0]) + b"\x00\x00",
        b"\x01" + struct.pack(">I", offsets[1]) + b"\x00\x00",
        b"\x02" + struct.pack(">I", 4) + b"\x00\x00",
        b"\x01" + struct.pack(">I", offsets[2]) + b"\x00\x00",
        b"\x01" + struct.pack(">I", xref) + b"\x00\x00",
    ]
    table = b"".join(rows)
    out += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return bytes(out)


def with_catalog_entry(entry: bytes) -> bytes:
    """A PDF whose catalog holds ``entry`` besides an empty page tree."""
    return pdf_file(
        b"<< /Type /Catalog /Pages 2 0 R " + entry + b" >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
    )


def append_update(signed: bytes, objects: dict[str, bytes], catalog: bytes) -> bytes:
    """``signed`` with an incremental update: new ``objects`` and the catalog plus ``catalog``.

    ``{name}`` in a body or in ``catalog`` stands for a reference to the object ``name``. The
    update is what an attacker appends to a genuine signed report so that the verifier parses
    it beyond the signature (attachments, page tree, PDF/A structure).
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    size = int(reader.trailer["/Size"])
    root_ref = reader.trailer.raw_get("/Root")
    previous = int(re.findall(rb"startxref\s+(\d+)", signed)[-1])
    numbers = {name: size + index for index, name in enumerate(objects)}

    def refs(body: bytes) -> bytes:
        for name, number in numbers.items():
            body = body.replace(b"{%s}" % name.encode(), b"%d 0 R" % number)
        return body

    out = bytearray(signed if signed.endswith(b"\n") else signed + b"\n")
    offsets = {}
    for name, body in objects.items():
        offsets[numbers[name]] = len(out)
        out += b"%d 0 obj\n" % numbers[name] + refs(body) + b"\nendobj\n"
    kept = io.BytesIO()
    for key in reader.root:
        if key.encode() not in catalog:
            kept.write(key.encode() + b" ")
            reader.root.raw_get(key).write_to_stream(kept)
            kept.write(b"\n")
    offsets[root_ref.idnum] = len(out)
    out += b"%d 0 obj\n<< %s %s >>\nendobj\n" % (root_ref.idnum, kept.getvalue(), refs(catalog))
    xref = len(out)
    out += b"xref\n"
    for number in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size + len(objects),
        root_ref.idnum,
        previous,
        xref,
    )
    return bytes(out)


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> SigningConfig:
    return init_dev_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def record() -> dict[str, Any]:
    return dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def signed_pdf(
    tmp_path_factory: pytest.TempPathFactory, record: dict[str, Any], signing: SigningConfig
) -> bytes:
    out = tmp_path_factory.mktemp("report") / "report.pdf"
    return render_pdf(record, out, signing=signing).path.read_bytes()


def verify_cli(run_cli: Any, path: Path, *args: object) -> tuple[int, list[str], str, float]:
    started = time.monotonic()
    code, stdout, stderr = run_cli("verify", path, *args)
    return code, stdout.splitlines(), stderr, time.monotonic() - started


def assert_unverifiable(code: int, lines: list[str], stderr: str, seconds: float) -> str:
    """Exit 1, ``INVALID`` and one problem line saying why the file cannot be verified."""
    assert code == 1, (lines, stderr)
    assert "Internal error" not in stderr and "Traceback" not in stderr
    assert lines[0].startswith("INVALID: ")
    assert len(lines) == 2, lines
    assert lines[1].startswith(UNVERIFIABLE), lines
    assert seconds < SECONDS
    return lines[1].removeprefix(UNVERIFIABLE)


# --- governance verify: hostile PDFs ---------------------------------------------------------

DEPTH = 10_000
HOSTILE_PDFS = {
    # 10,000 nested arrays made pyHanko's recursive parser raise RecursionError: exit 3
    "nested arrays": (
        with_catalog_entry(b"/AcroForm << /Fields [" + b"[" * DEPTH + b"]" * DEPTH + b"] >>"),
        "it nests objects more than 64 deep",
    ),
    "nested dictionaries": (
        with_catalog_entry(b"/X " + b"<< /A " * DEPTH + b"<< >>" + b" >>" * DEPTH),
        "it nests objects more than 64 deep",
    ),
    "a catalog that is a reference to itself": (
        pdf_file(b"1 0 R"),
        "its objects nest or refer to one another too deeply to be parsed",
    ),
    "a form field that is its own kid": (
        pdf_file(
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            b"<< /FT /Sig /T (a) /Kids [3 0 R] >>",
        ),
        "Circular reference in form tree",
    ),
    # a million numbers took the parser seconds and hundreds of megabytes; no bound before
    "an array of 150,000 numbers": (
        with_catalog_entry(b"/AcroForm << /Fields [" + b"0 " * 150_000 + b"] >>"),
        "reading it takes more than 500,000 reads",
    ),
    # the same, compressed in an object stream: parsed from memory, not read from the file
    "an object stream of 150,000 numbers": (
        object_stream_pdf(b"[" + b"0 " * 150_000 + b"]"),
        "it holds more than 100,000 objects",
    ),
    "a truncated file": (
        pdf_file(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] >>")[:-40],
        "it does not end with 'startxref', an offset and '%%EOF' on their own lines",
    ),
    # pyHanko scans a last line without line breaks byte by byte: 18 s for 10 MB
    "ten megabytes without a line break": (
        b"%PDF-1.7\n" + b"\x00junk" * (2 * 1024 * 1024),
        "it does not end with 'startxref', an offset and '%%EOF' on their own lines",
    ),
    # a cross-reference table of 1.5 million entries: 12 s and 500 MB before
    "a cross-reference table of 1.5 million entries": (
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nxref\n0 1500000\n"
        + b"0000000000 65535 f \n" * 1_500_000
        + b"trailer\n<< /Size 1500000 /Root 1 0 R >>\nstartxref\n45\n%%EOF\n",
        "reading it takes more than 500,000 reads",
    ),
}


@pytest.mark.parametrize("attack", list(HOSTILE_PDFS))
def test_a_hostile_pdf_is_invalid_with_one_line_never_an_internal_error(
    run_cli: Any, tmp_path: Path, attack: str
) -> None:
    content, reason = HOSTILE_PDFS[attack]
    path = tmp_path / "hostile.pdf"
    path.write_bytes(content)
    assert assert_unverifiable(*verify_cli(run_cli, path)) == reason


def test_the_attestation_check_reads_the_same_bounded_way(
    run_cli: Any, tmp_path: Path, signed_pdf: bytes, signing: SigningConfig
) -> None:
    path = tmp_path / "hostile.pdf"
    path.write_bytes(HOSTILE_PDFS["nested arrays"][0])
    attestation = tmp_path / "report.intoto.json"
    attestation.write_text("{}", encoding="utf-8")
    result = verify_cli(run_cli, path, "--attestation", attestation, "--trust-root", signing.cert)
    assert assert_unverifiable(*result) == "it nests objects more than 64 deep"


def test_a_file_larger_than_a_report_is_refused_before_it_is_read(
    run_cli: Any, tmp_path: Path
) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as handle:  # 50 MB, sparse: the attack costs the test no disk
        handle.write(b"%PDF-1.7\n")
        handle.truncate(50 * 1024 * 1024)
    assert assert_unverifiable(*verify_cli(run_cli, path)) == "it is larger than 32 MiB"


def test_a_directory_or_missing_file_is_unreadable_input(run_cli: Any, tmp_path: Path) -> None:
    code, _, stderr = run_cli("verify", tmp_path)
    assert code == 2 and stderr.startswith("Error: ") and len(stderr.splitlines()) == 1
    code, _, stderr = run_cli("verify", tmp_path / "missing.pdf")
    assert code == 2 and "report not found" in stderr and len(stderr.splitlines()) == 1


def test_nesting_appended_to_a_signed_report_is_refused(
    run_cli: Any, tmp_path: Path, signed_pdf: bytes, signing: SigningConfig
) -> None:
    """Past the signature: the verifier parses the update while it checks the whole file."""
    path = tmp_path / "updated.pdf"
    deep = b"[" * DEPTH + b"]" * DEPTH
    path.write_bytes(append_update(signed_pdf, {"deep": deep}, b"/Deep {deep}"))
    result = verify_cli(run_cli, path, "--trust-root", signing.cert)
    assert assert_unverifiable(*result) == "it nests objects more than 64 deep"


@pytest.mark.parametrize(
    ("objects", "catalog", "problem"),
    [
        (
            {"tree": b"<< /Kids [{tree}] >>"},
            b"/Names << /EmbeddedFiles {tree} >>",
            "the name tree of attachments reaches the same node twice (it loops)",
        ),
        (
            {"pages": b"<< /Type /Pages /Kids [{pages}] /Count 1 >>"},
            b"/Pages {pages}",
            "the page tree reaches the same node twice (it loops)",
        ),
    ],
    ids=["attachments", "pages"],
)
def test_a_looping_tree_appended_to_a_signed_report_is_named_not_a_crash(
    run_cli: Any,
    tmp_path: Path,
    signed_pdf: bytes,
    signing: SigningConfig,
    objects: dict[str, bytes],
    catalog: bytes,
    problem: str,
) -> None:
    """The archive checks walked /Kids recursively: a loop was a RecursionError."""
    path = tmp_path / "updated.pdf"
    path.write_bytes(append_update(signed_pdf, objects, catalog))
    code, lines, stderr, seconds = verify_cli(run_cli, path, "--trust-root", signing.cert)
    assert code == 1 and seconds < SECONDS
    assert "RecursionError" not in stderr + "\n".join(lines)
    assert any(problem in line for line in lines + stderr.splitlines()), (lines, stderr)
    assert all(line.startswith(("INVALID: ", "  - ")) for line in lines)
