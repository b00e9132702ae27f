"""Shared fixtures for the reporting tests, and a dependency-free PDF text extractor."""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from governance.reporting import SigningConfig, init_dev_keys, render_pdf
from governance.reporting.issue import ReportResult

HERE = Path(__file__).parent
FIXTURE = HERE / "evaluation.json"


@pytest.fixture(scope="session")
def evaluation_record() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def evaluation(evaluation_record: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the fixture record, free to modify."""
    return copy.deepcopy(evaluation_record)


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> SigningConfig:
    return init_dev_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def signed_report(
    tmp_path_factory: pytest.TempPathFactory,
    evaluation_record: dict[str, Any],
    dev_keys: SigningConfig,
) -> ReportResult:
    """The fixture rendered and signed once per session; copy it before changing it."""
    out = tmp_path_factory.mktemp("report") / "report.pdf"
    return render_pdf(evaluation_record, out, signing=dev_keys)


# --- PDF text --------------------------------------------------------------------------------
# WeasyPrint writes text as hex glyph ids of Type0/Identity-H fonts, each font with a ToUnicode
# CMap. Mapping glyph ids back through that CMap is enough to find words in the tests' PDFs.

_CMAP_CHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_CMAP_RANGE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_CONTENT = re.compile(rb"/([^\s/]+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>|\bET\b")


def _utf16(hex_text: bytes) -> str:
    return bytes.fromhex(hex_text.decode()).decode("utf-16-be", errors="replace")


def _to_unicode(font: Any) -> dict[int, str]:
    if "/ToUnicode" not in font:
        return {}
    cmap = font["/ToUnicode"].get_object().data
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, uni in _CMAP_CHAR.findall(block):
            mapping[int(code, 16)] = _utf16(uni)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in _CMAP_RANGE.findall(block):
            first = ord(_utf16(start)[0])
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def _page_text(page: Any) -> str:
    resources = page["/Resources"]
    # [] dereferences indirect objects, .get() does not
    fonts = resources["/Font"] if "/Font" in resources else {}  # noqa: SIM401
    maps = {str(name)[1:]: _to_unicode(ref.get_object()) for name, ref in fonts.items()}
    contents = page["/Contents"]
    streams = contents if isinstance(contents, list) else [contents]
    data = b"".join(stream.get_object().data for stream in streams)
    current: dict[int, str] = {}
    out: list[str] = []
    for match in _CONTENT.finditer(data):
        font, hex_text = match.group(1), match.group(2)
        if font is not None:
            current = maps.get(font.decode(), {})
        elif hex_text is not None:
            raw = bytes.fromhex(hex_text.decode())
            codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
            out.append("".join(current.get(code, "") for code in codes))
        else:
            out.append("\n")
    return "".join(out)


def _pages(node: Any) -> list[Any]:
    node = node.get_object()
    if node.get("/Type") == "/Pages":
        return [page for kid in node["/Kids"] for page in _pages(kid)]
    return [node]


def extract_text(pdf: bytes) -> str:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return "\n".join(_page_text(page) for page in _pages(reader.root["/Pages"]))


@pytest.fixture
def pdf_text() -> Callable[[Path], str]:
    return lambda path: extract_text(Path(path).read_bytes())
