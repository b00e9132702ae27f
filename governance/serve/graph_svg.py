"""The lineage graph around a node, drawn as SVG on the server (no JavaScript).

Columns follow the edges: the selected node is in column 0, what it reads is to the left and
what it feeds to the right. Jobs and datasets differ by shape and by a text label, never by
colour alone; the selected node has a thick outline and says so. Every node links to the graph
around it. All text is XML-escaped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

__all__ = ["MAX_DRAWN_NODES", "PlacedNode", "layout", "render_svg"]

MAX_DRAWN_NODES = 150
BOX_W = 170
BOX_H = 48
COL_GAP = 44
ROW_GAP = 18
PAD = 16
MAX_LABEL = 22


@dataclass(frozen=True)
class PlacedNode:
    """A node with its column and row."""

    key: str
    kind: str
    namespace: str
    name: str
    column: int
    row: int


def layout(
    root: str,
    nodes: Sequence[tuple[str, str, str, str]],
    edges: Iterable[tuple[str, str]],
) -> list[PlacedNode]:
    """Place ``(key, kind, namespace, name)`` nodes in columns by walking edges from the root.

    Following an edge forward moves one column right, backward one column left; the first
    placement of a node wins (breadth first), so the drawing has no cycles to chase.
    """
    forward: dict[str, list[str]] = {}
    backward: dict[str, list[str]] = {}
    for source, target in edges:
        forward.setdefault(source, []).append(target)
        backward.setdefault(target, []).append(source)
    column = {root: 0}
    queue = deque([root])
    while queue:
        key = queue.popleft()
        for neighbour, step in [(n, 1) for n in sorted(forward.get(key, []))] + [
            (n, -1) for n in sorted(backward.get(key, []))
        ]:
            if neighbour not in column:
                column[neighbour] = column[key] + step
                queue.append(neighbour)
    placed: list[PlacedNode] = []
    rows: dict[int, int] = {}
    info = {key: (kind, namespace, name) for key, kind, namespace, name in nodes}
    for key in sorted(column, key=lambda k: (column[k], k)):
        if key not in info:
            continue
        kind, namespace, name = info[key]
        col = column[key]
        placed.append(PlacedNode(key, kind, namespace, name, col, rows.get(col, 0)))
        rows[col] = rows.get(col, 0) + 1
    return placed


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def render_svg(root: str, placed: Sequence[PlacedNode], edges: Iterable[tuple[str, str]]) -> str:
    """The graph as an ``<svg>`` element with a title, links and arrowheads."""
    if not placed:
        return ""
    first = min(node.column for node in placed)
    columns = max(node.column for node in placed) - first + 1
    rows = max(node.row for node in placed) + 1
    width = PAD * 2 + columns * BOX_W + (columns - 1) * COL_GAP
    height = PAD * 2 + rows * BOX_H + (rows - 1) * ROW_GAP
    where: dict[str, tuple[int, int]] = {}
    for node in placed:
        x = PAD + (node.column - first) * (BOX_W + COL_GAP)
        y = PAD + node.row * (BOX_H + ROW_GAP)
        where[node.key] = (x, y)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="graph-title" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" class="lineage">',
        f'<title id="graph-title">Lineage graph around {escape(root)}: {len(placed)} nodes, '
        "inputs to the left, outputs to the right</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#1f2933"/></marker></defs>',
    ]
    for source, target in edges:
        if source not in where or target not in where:
            continue
        x1, y1 = where[source]
        x2, y2 = where[target]
        parts.append(
            f'<line x1="{x1 + BOX_W}" y1="{y1 + BOX_H // 2}" x2="{x2}" y2="{y2 + BOX_H // 2}" '
            'stroke="#3e4c59" stroke-width="1.5" marker-end="url(#arrow)"/>'
        )
    for node in placed:
        x, y = where[node.key]
        selected = node.key == root
        label = "JOB" if node.kind == "job" else "DATASET"
        space = 6 if selected else 12
        if selected:
            label = f"SELECTED {label}"
        shape_attrs = (
            f'x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" fill="#ffffff" stroke="#1f2933" '
            f'stroke-width="{4 if selected else 1.5}"'
        )
        shape = (
            f'<rect {shape_attrs} rx="14"/>'
            if node.kind == "dataset"
            else f'<rect {shape_attrs} rx="0" stroke-dasharray="{"none" if selected else "6 3"}"/>'
        )
        href = "/lineage?node=" + quote(node.key, safe="")
        parts.append(
            f"<a href={quoteattr(href)}><title>{escape(node.key)}</title>{shape}"
            f'<text x="{x + 8}" y="{y + 17}" font-size="11" font-family="DejaVu Sans, sans-serif" '
            f'fill="#323f4b">{escape(label)} · {escape(_short(node.namespace, space))}</text>'
            f'<text x="{x + 8}" y="{y + 36}" font-size="13" font-weight="bold" '
            f'font-family="DejaVu Sans, sans-serif" fill="#1f2933">{escape(_short(node.name))}'
            "</text></a>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
