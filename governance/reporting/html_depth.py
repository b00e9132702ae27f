"""How deeply a report's HTML nests, found before WeasyPrint parses it.

WeasyPrint's HTML parser and layout slow down sharply with depth (a few thousand nested
elements take seconds to parse, then overflow Python's stack in layout), so a template from
``--templates`` that nests without end is refused before layout starts, in time linear in the
HTML's length. The count follows HTML's tree-building rules closely enough to be an upper
bound that real reports never approach: void elements add no depth, an end tag closes up to
its open element, and the elements whose end tag HTML lets one leave out (``<p>``, ``<li>``,
table cells and rows ...) close their open sibling as the HTML parser does; ``<x/>`` closes
itself only inside SVG and MathML.
"""

from __future__ import annotations

from html.parser import HTMLParser

MAX_DEPTH = 256
"""Elements nested in one another; the shipped theme's reports stay under 30."""

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
FOREIGN = frozenset({"svg", "math"})
# An open element of the same group is closed by a new start tag of the group, up to the
# nearest element that scopes it (a list, a table, ...), as HTML's tree builder does.
SIBLINGS = {
    "li": ({"li"}, {"ul", "ol", "menu"}),
    "dt": ({"dt", "dd"}, {"dl"}),
    "dd": ({"dt", "dd"}, {"dl"}),
    "td": ({"td", "th"}, {"tr", "table"}),
    "th": ({"td", "th"}, {"tr", "table"}),
    "tr": ({"tr", "td", "th"}, {"thead", "tbody", "tfoot", "table"}),
    "thead": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "tbody": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "tfoot": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "option": ({"option"}, {"select", "datalist", "optgroup"}),
    "p": ({"p"}, {"div", "section", "article", "td", "th", "li", "body", "table"}),
}


class TooDeep(Exception):
    """The HTML nests more than the limit."""


class _DepthCounter(HTMLParser):
    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=False)
        self.limit = limit
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in VOID:
            return
        closes = SIBLINGS.get(tag)
        if closes is not None:
            self._close_sibling(*closes)
        self.open.append(tag)
        if len(self.open) > self.limit:
            raise TooDeep

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        # In SVG and MathML ``<x/>`` is closed; in HTML the slash is ignored and ``<div/>``
        # stays open, so it is counted as a start tag there.
        if not FOREIGN.intersection(self.open):
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index] == tag:
                del self.open[index:]
                return

    def _close_sibling(self, group: set[str], scopes: set[str]) -> None:
        outermost = None
        for index in range(len(self.open) - 1, -1, -1):
            name = self.open[index]
            if name in scopes:
                break
            if name in group:
                outermost = index
        if outermost is not None:
            del self.open[outermost:]


def too_deep(html: str, limit: int = MAX_DEPTH) -> bool:
    """Whether ``html`` nests more than ``limit`` elements in one another."""
    counter = _DepthCounter(limit)
    try:
        counter.feed(html)
        counter.close()
    except TooDeep:
        return True
    return False
