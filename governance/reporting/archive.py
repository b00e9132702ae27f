"""What a report carries for the archive: its attached files, and a PDF/A-3b structure check.

veraPDF, the reference PDF/A validator, is a Java application this project does not ship;
:func:`pdfa_problems` checks instead the PDF/A-3b requirements a signing step could break or a
template could miss: the identification in XMP, the output intent, embedded fonts, annotation
flags and appearances, the attachments' relationships and media types, no encryption or
JavaScript, a file identifier, a PDF 1.x version, and document information that agrees with the
XMP metadata. It is a structural check, not a certification.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from governance.reporting.pdf_limits import error_text, open_pdf

XMP_PART = re.compile(rb"""pdfaid:part(?:="|>)\s*(\d)""")
XMP_CONFORMANCE = re.compile(rb"""pdfaid:conformance(?:="|>)\s*([ABUabu])""")
XMP_PRODUCER = re.compile(rb"""pdf:Producer(?:="|>)([^"<]*)""")
PRINT_FLAG = 4
FORBIDDEN_ANNOTATION_FLAGS = 1 | 2 | 32 | 256  # Invisible, Hidden, NoView, ToggleNoView
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


MAX_TREE_DEPTH = 32
"""Levels of a page tree, a name tree or nested resources that the checks follow."""
TREE_CYCLE = "the {tree} reaches the same node twice (it loops)"
TREE_TOO_DEEP = "the {tree} is nested more than {limit} levels deep"


class StructureError(ValueError):
    """A tree in the PDF loops or nests deeper than :data:`MAX_TREE_DEPTH`."""


def _reader(pdf: bytes) -> Any:
    return open_pdf(pdf)


def _walk(root: Any, tree: str, descend: Callable[[Any], bool] | None = None) -> Iterator[Any]:
    """Each node of the tree at ``root``, parents first, following ``/Kids`` where ``descend``.

    A node met twice (a tree that loops back on itself) or a tree deeper than
    :data:`MAX_TREE_DEPTH` is a :class:`StructureError`, not an endless walk or a
    RecursionError.
    """
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        ref, depth = stack.pop()
        node = ref.get_object()
        if id(node) in seen:
            raise StructureError(TREE_CYCLE.format(tree=tree))
        seen.add(id(node))
        if depth > MAX_TREE_DEPTH:
            raise StructureError(TREE_TOO_DEEP.format(tree=tree, limit=MAX_TREE_DEPTH))
        yield node
        if descend is None or descend(node):
            kids = node.get("/Kids") or []
            stack.extend((kid, depth + 1) for kid in reversed(list(kids)))


def _name_tree(node: Any) -> Iterator[tuple[str, Any]]:
    for item in _walk(node, "name tree of attachments"):
        names = item.get("/Names")
        if names is not None:
            for index in range(0, len(names) - 1, 2):
                yield str(names[index]), names[index + 1].get_object()


def _filespecs(root: Any) -> Iterator[tuple[str, Any]]:
    names = root.get("/Names")
    if names is None:
        return
    tree = names.get_object().get("/EmbeddedFiles")
    if tree is None:
        return
    yield from _name_tree(tree)


def embedded_files(pdf: bytes) -> dict[str, bytes]:
    """The files attached to a PDF (``/EmbeddedFiles``), by name.

    Parameters
    ----------
    pdf
        The PDF's bytes.

    Returns
    -------
    dict
        ``{name: content}``; empty if there are none.

    Raises
    ------
    pyhanko.pdf_utils.misc.PdfError, ValueError, KeyError
        If the file is not a readable PDF.
    """
    found = {}
    for name, spec in _filespecs(_reader(pdf).root):
        stream = spec["/EF"]["/F"].get_object()
        found[str(spec.get("/UF") or name)] = stream.data
    return found


def _pages(node: Any) -> Iterator[Any]:
    for item in _walk(node, "page tree", descend=_is_page_tree_node):
        if not _is_page_tree_node(item):
            yield item


def _is_page_tree_node(node: Any) -> bool:
    return bool(node.get("/Type") == "/Pages")


def _fonts(resources: Any, seen: set[int]) -> Iterator[Any]:
    """The fonts of ``resources``, of the Type 3 fonts and forms in them, and so on down.

    Each font and form is visited once (``seen``); resources nested deeper than
    :data:`MAX_TREE_DEPTH` are a :class:`StructureError`.
    """
    pending: list[tuple[Any, int]] = [(resources, 0)]
    while pending:
        current, depth = pending.pop()
        if current is None:
            continue
        if depth > MAX_TREE_DEPTH:
            raise StructureError(TREE_TOO_DEEP.format(tree="resources", limit=MAX_TREE_DEPTH))
        current = current.get_object()
        fonts = current.get("/Font")
        for ref in (fonts.get_object() if fonts is not None else {}).values():
            font = ref.get_object()
            if id(font) in seen:
                continue
            seen.add(id(font))
            yield font
            for descendant in font.get("/DescendantFonts") or []:
                yield descendant.get_object()
            if font.get("/Subtype") == "/Type3":
                pending.append((font.get("/Resources"), depth + 1))
        xobjects = current.get("/XObject")
        for ref in (xobjects.get_object() if xobjects is not None else {}).values():
            xobject = ref.get_object()
            if id(xobject) not in seen and xobject.get("/Subtype") == "/Form":
                seen.add(id(xobject))
                pending.append((xobject.get("/Resources"), depth + 1))


def _font_problems(root: Any) -> list[str]:
    problems = []
    seen: set[int] = set()
    for number, page in enumerate(_pages(root["/Pages"]), start=1):
        for font in _fonts(page.get("/Resources"), seen):
            subtype = font.get("/Subtype")
            if subtype in ("/Type0", "/Type3"):
                continue
            descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(key in descriptor for key in FONT_FILES):
                problems.append(f"font {font.get('/BaseFont')} on page {number} is not embedded")
    return problems


def _annotation_problems(root: Any) -> list[str]:
    problems = []
    for number, page in enumerate(_pages(root["/Pages"]), start=1):
        for ref in page.get("/Annots") or []:
            annotation = ref.get_object()
            subtype = annotation.get("/Subtype")
            flags = int(annotation.get("/F", 0))
            if subtype != "/Popup" and not flags & PRINT_FLAG:
                problems.append(f"a {subtype} annotation on page {number} is not printable")
            if flags & FORBIDDEN_ANNOTATION_FLAGS:
                problems.append(f"a {subtype} annotation on page {number} is hidden")
            rect = [float(x) for x in annotation.get("/Rect", [0, 0, 0, 0])]
            zero_area = rect[0] == rect[2] and rect[1] == rect[3]
            if subtype not in ("/Popup", "/Link") and not zero_area and "/AP" not in annotation:
                problems.append(f"a {subtype} annotation on page {number} has no appearance")
    return problems


def _attachment_problems(root: Any) -> list[str]:
    problems = []
    associated = {id(ref.get_object()) for ref in root.get("/AF") or []}
    for name, spec in _filespecs(root):
        if "/AFRelationship" not in spec:
            problems.append(f"attachment {name} has no AFRelationship")
        if id(spec) not in associated:
            problems.append(f"attachment {name} is not an associated file of the document (/AF)")
        stream = spec["/EF"]["/F"].get_object()
        if "/Subtype" not in stream:
            problems.append(f"attachment {name} has no media type")
        params = stream.get("/Params")
        if params is None or "/ModDate" not in params.get_object():
            problems.append(f"attachment {name} has no modification date")
    return problems


def pdfa_problems(pdf: bytes, *, part: int = 3) -> list[str]:
    """Check a PDF for the PDF/A-3b requirements signing or a theme could break.

    Parameters
    ----------
    pdf
        The PDF's bytes (signed or not).
    part
        The PDF/A part expected in the XMP identification.

    Returns
    -------
    list of str
        One sentence per problem found; empty when the structure conforms as far as checked.
    """
    problems: list[str] = []
    if not re.match(rb"%PDF-1\.[0-7]", pdf):
        problems.append("the header is not %PDF-1.0 to %PDF-1.7")
    try:
        reader = _reader(pdf)
        root = reader.root
        trailer = reader.trailer
    except Exception as exc:  # any parser failure means "not PDF/A"
        return [*problems, f"the PDF cannot be read: {error_text(exc)}"]
    version = str(root.get("/Version") or "")
    if version and not version.lstrip("/").startswith("1."):
        problems.append(f"the catalog declares PDF version {version.lstrip('/')}")
    if "/Encrypt" in trailer:
        problems.append("the file is encrypted")
    if "/ID" not in trailer:
        problems.append("the trailer has no file identifier (/ID)")
    if "/OutputIntents" not in root:
        problems.append("there is no output intent")
    names = root.get("/Names")
    if "/OpenAction" in root or (names is not None and "/JavaScript" in names.get_object()):
        problems.append("the document has actions or JavaScript")
    metadata = root.get("/Metadata")
    xmp = metadata.get_object().data if metadata is not None else b""
    part_match, conformance = XMP_PART.search(xmp), XMP_CONFORMANCE.search(xmp)
    if not part_match or int(part_match.group(1)) != part or not conformance:
        problems.append(f"the XMP metadata does not identify the file as PDF/A-{part}")
    elif conformance.group(1).upper() not in (b"B", b"U", b"A"):
        problems.append("the XMP metadata declares an unknown PDF/A conformance level")
    info = trailer["/Info"] if "/Info" in trailer else None  # noqa: SIM401 - no .get()
    producer = XMP_PRODUCER.search(xmp)
    if info is not None and "/Producer" in info.get_object():
        written = str(info.get_object()["/Producer"])
        if producer is None or producer.group(1).decode("utf-8", "replace") != written:
            problems.append("/Producer in the document information differs from the XMP metadata")
    try:
        problems += _font_problems(root)
        problems += _annotation_problems(root)
        problems += _attachment_problems(root)
    except Exception as exc:  # a damaged structure is a finding, never a crash
        reason = error_text(exc)
        if isinstance(exc, StructureError):
            problems.append(f"the document structure cannot be checked: {reason}")
        else:
            problems.append(
                f"the document structure cannot be checked: {type(exc).__name__}: {reason}"
            )
    return problems
