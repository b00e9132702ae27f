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


# --- governance report --templates DIR: hostile templates ------------------------------------

BUDGET_SECONDS = 3
MEMORY_CAP = 2 * 1024**3
"""The CLI runs under this address-space limit, so an unbounded template cannot hurt the host."""
# the messages are regular expressions: how far past the limit a value was counted varies
LIMIT = re.escape("the report template went past a limit: ")
TOO_SLOW = re.escape(
    f"rendering and layout took longer than {BUDGET_SECONDS} s (report_max_seconds)"
)
TOO_LARGE = r"a value of at least [\d,]+ characters or items, more than the 10,485,760 allowed"
TOO_MUCH = re.escape("the template wrote or computed more than 104,857,600 characters in all")

HOSTILE_TEMPLATES = {
    # line: where the error must point (None: the layout, which has no template line)
    "10^10 empty loop steps": (
        "<html>\n{% for i in range(100000) %}\n{% for j in range(100000) %}{% endfor %}\n"
        "{% endfor %}",
        3,
        LIMIT + TOO_SLOW,
    ),
    "a string of 10 GB": ("<p>\n{{ 'x' * 10**10 }}</p>", 2, LIMIT + TOO_LARGE),
    "a list of 10^10 items": ("{{ [1] * 100000 * 100000 }}", 1, LIMIT + TOO_LARGE),
    "a number of 280 million bits": (
        "{{ 7 ** 100000000 }}",
        1,
        LIMIT + re.escape("a number of more than 10,000 bits"),
    ),
    "a macro calling itself": (
        "{% macro f(n) %}\n{{ f(n) }}\n{% endmacro %}\n{{ f(1) }}",
        2,
        LIMIT + re.escape("macros nested (or calling themselves) more than 64 deep"),
    ),
    "2^60 macro calls": (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(60) }}",
        1,
        LIMIT + TOO_SLOW,
    ),
    "a string doubled 100 times": (
        "{% set ns = namespace(s='x') %}\n"
        "{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        2,
        LIMIT + TOO_LARGE,
    ),
    # one 10 MB string, referred to a thousand times, is 10 GB once turned into text
    "a list of one string 1,000 times, as text": (
        "{% set s = 'x' * 10000000 %}\n{% set l = [s] * 1000 %}\n{{ l | string }}",
        2,
        LIMIT + TOO_LARGE,
    ),
    "a list literal of one string, printed": (
        "{% set s = 'x' * 4000000 %}\n{{ [s, s, s, s, s, s, s, s, s, s] }}",
        2,
        LIMIT + TOO_LARGE,
    ),
    "a format width of 10 GB": ("{{ '{:>10000000000}'.format(1) }}", 1, LIMIT + TOO_LARGE),
    "a % width of 10 GB": ("{{ '%10000000000d' % 1 }}", 1, LIMIT + TOO_LARGE),
    "a width taken from an argument": (
        "{{ '{:>{w}}'.format(1, w=10**10) }}",
        1,
        LIMIT + re.escape("a replacement field inside a format specification"),
    ),
    "center(10^10)": ("{{ 'x' | center(10000000000) }}", 1, LIMIT + TOO_LARGE),
    "ljust(10^10)": ("{{ 'x'.ljust(10**10) }}", 1, LIMIT + TOO_LARGE),
    "to_bytes(10^10)": ("{{ (2).to_bytes(10**10, 'big') }}", 1, LIMIT + TOO_LARGE),
    "100 GB joined from a generator": (
        "{{ range(100000) | map('center', 1000000) | join }}",
        1,
        LIMIT + TOO_MUCH,
    ),
    "100 GB buffered in a macro": (
        "{% macro m() %}\n{% for i in range(100000) %}{{ 'x' * 1000000 }}{% endfor %}\n"
        "{% endmacro %}{{ m() }}",
        2,
        LIMIT + TOO_MUCH,
    ),
    "100 million elements": (
        "{% for i in range(100000) %}{% for j in range(1000) %}<p>x</p>{% endfor %}{% endfor %}",
        1,
        LIMIT + re.escape("the report HTML has more than 50,000 elements"),
    ),
    "elements nested 3,000 deep": (
        "{% for i in range(3000) %}<div>{% endfor %}x",
        None,
        re.escape("the report cannot be laid out: its elements are nested too deeply"),
    ),
}


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@pytest.fixture
def store_url(tmp_path: Path, record: dict[str, Any]) -> str:
    from governance.audit import AuditStore

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with AuditStore.open(url) as store:
        store.append("evaluation", record)
    return url


def report_entries(url: str) -> list[Any]:
    from governance.audit import AuditStore

    with AuditStore.open(url, create=False) as store:
        return list(store.entries(kind="report"))


def report_process(
    tmp_path: Path, store_url: str, templates: Path, out: Path
) -> tuple[int, str, float]:
    """``governance report`` in a child process: bounded by a timeout and a memory cap."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    env["GOVERNANCE_REPORT_MAX_SECONDS"] = str(BUDGET_SECONDS)
    env["PYTHONWARNINGS"] = "ignore"  # a library's deprecation notice is not the attack
    args = [sys.executable, "-m", "governance", "report", "latest", "--store", store_url]
    args += ["--templates", str(templates), "-o", str(out), "--no-sign"]
    started = time.monotonic()
    run = subprocess.run(
        args,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=_limit_memory if sys.platform == "linux" else None,
    )
    return run.returncode, run.stderr, time.monotonic() - started


@pytest.mark.parametrize("attack", list(HOSTILE_TEMPLATES))
def test_a_hostile_template_is_refused_in_bounded_time_and_nothing_is_written(
    tmp_path: Path, store_url: str, attack: str
) -> None:
    source, line, message = HOSTILE_TEMPLATES[attack]
    templates = tmp_path / "theme"
    templates.mkdir()
    (templates / "report.html.j2").write_text(source, encoding="utf-8")
    out = tmp_path / "report.pdf"
    code, stderr, seconds = report_process(tmp_path, store_url, templates, out)
    where = f"{templates.resolve() / 'report.html.j2'}" + (f":{line}" if line else "")
    assert code == 2, stderr
    assert len(stderr.splitlines()) == 1, stderr
    assert re.fullmatch(f"Error: {re.escape(where)}: {message}", stderr.strip()), stderr
    assert seconds < SECONDS
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []
    assert report_entries(store_url) == []


@pytest.mark.parametrize("value", ["0", "-1", "abc", "inf", "nan", "1e400"])
def test_a_bad_time_budget_is_refused_before_anything_is_written(
    run_cli: Any, tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GOVERNANCE_REPORT_MAX_SECONDS", value)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "report.pdf"
    code, _, stderr = run_cli("report", "latest", "--store", store_url, "-o", out, "--no-sign")
    assert code == 2
    assert stderr.splitlines() == [
        "Error: report_max_seconds must be a positive number of seconds, found "
        f"{value!r} (from GOVERNANCE_REPORT_MAX_SECONDS)"
    ]
    assert not out.exists()
    assert report_entries(store_url) == []


def _theme(tmp_path: Path, body: str) -> Path:
    templates = tmp_path / "theme"
    templates.mkdir()
    (templates / "report.html.j2").write_text(
        f"<html><head><title>t</title></head><body>{body}</body></html>", encoding="utf-8"
    )
    return templates


def test_a_template_laying_out_too_many_pages_stops_at_the_cap(
    tmp_path: Path, record: dict[str, Any]
) -> None:
    from governance.errors import InputError
    from governance.reporting.sandbox import RenderLimits

    templates = _theme(
        tmp_path, '{% for i in range(5000) %}<p style="break-after: page">x</p>{% endfor %}'
    )
    out = tmp_path / "report.pdf"
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        render_pdf(record, out, templates=templates, limits=RenderLimits(max_pages=20))
    assert time.monotonic() - started < SECONDS
    assert str(info.value) == (
        f"{templates.resolve() / 'report.html.j2'}: "
        "the report's layout went past a limit: the report is longer than 20 pages"
    )
    assert not out.exists()


def test_a_slow_layout_stops_at_the_deadline(tmp_path: Path, record: dict[str, Any]) -> None:
    from governance.errors import InputError
    from governance.reporting.sandbox import RenderLimits

    # 5,000 pages: about three minutes of layout
    templates = _theme(
        tmp_path, '{% for i in range(5000) %}<p style="break-after: page">x</p>{% endfor %}'
    )
    out = tmp_path / "report.pdf"
    started = time.monotonic()
    with pytest.raises(InputError, match="took longer than 2 s"):
        render_pdf(record, out, templates=templates, limits=RenderLimits(max_seconds=2))
    assert time.monotonic() - started < SECONDS
    assert not out.exists()


def test_names_reserved_for_the_guards_are_refused(tmp_path: Path, record: dict[str, Any]) -> None:
    """Shadowing the loop guard would let a template loop unguarded."""
    from governance.errors import InputError

    templates = _theme(
        tmp_path,
        "{% macro __governance_iter(x) %}{% endmacro %}\n{% for i in range(3) %}{% endfor %}",
    )
    with pytest.raises(InputError, match=r"report.html.j2:1: .*names starting with __governance_"):
        render_pdf(record, tmp_path / "report.pdf", templates=templates)


def test_every_report_written_can_be_verified(
    tmp_path: Path, record: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renderer refuses a PDF larger than governance verify reads."""
    from governance.errors import InputError
    from governance.reporting import issue

    monkeypatch.setattr(issue, "MAX_REPORT_BYTES", 10_000)
    out = tmp_path / "report.pdf"
    with pytest.raises(InputError, match=r"larger than the .* MiB governance verify reads"):
        render_pdf(record, out)
    assert not out.exists()


def test_a_resource_larger_than_a_report_is_refused(
    tmp_path: Path, record: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from governance.errors import InputError
    from governance.reporting import fetcher

    monkeypatch.setattr(fetcher, "MAX_RESOURCE_BYTES", 100)
    templates = _theme(tmp_path, "<p>x</p>")
    source = (templates / "report.html.j2").read_text(encoding="utf-8")
    (templates / "report.html.j2").write_text(
        source.replace("<title>t</title>", '<title>t</title><link rel="stylesheet" href="a.css">'),
        encoding="utf-8",
    )
    (templates / "a.css").write_text("p { color: black }\n" * 50, encoding="utf-8")
    with pytest.raises(InputError, match="the report tried to load"):
        render_pdf(record, tmp_path / "report.pdf", templates=templates)
