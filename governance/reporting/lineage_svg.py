"""The upstream lineage of an evaluation, drawn as an SVG graph (no Graphviz needed).

Columns, left to right: training data sets and code version; the training run; the model
artifact, the evaluation data and the policies; the evaluation itself. Node kinds differ by
outline (solid, dashed, double) and by a label, never by colour alone, so the graph reads in
greyscale. All text is XML-escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

WIDTH = 660
BOX_WIDTH = 150
BOX_HEIGHT = 46
ROW_GAP = 14
MARGIN = 6
MAX_CHARS = 22
DETAIL_CHARS = 38
"""Characters of a box's detail line (mono); past 30 the line is set smaller to fit."""
FONT = "DejaVu Sans, sans-serif"
MONO = "DejaVu Sans Mono, monospace"


@dataclass
class _Node:
    key: str
    kind: str
    title: str
    detail: str
    column: int
    dashed: bool = False
    double: bool = False
    x: float = 0.0
    y: float = 0.0


def _shorten(text: str, limit: int = MAX_CHARS, *, keep_start: bool = False) -> str:
    """Shorten to ``limit`` characters, keeping the end (file names) or the start (ids)."""
    text = str(text)
    if len(text) <= limit:
        return text
    if keep_start:
        return text[: limit - 1] + "…"
    return "…" + text[-(limit - 1) :]


def _split(name: str) -> tuple[str, str]:
    """A path's file name (the box's title, shortened only past the box) and its folder."""
    folder, _, base = name.rstrip("/").rpartition("/")
    return _shorten(base or name), folder


def _nodes(record: Mapping[str, Any]) -> tuple[list[_Node], list[tuple[str, str]]]:
    lineage = record.get("lineage") or {}
    artifacts = record.get("artifacts") or {}
    model = record.get("model") or {}
    nodes: list[_Node] = []
    edges: list[tuple[str, str]] = []
    upstream: list[str] = []
    for index, dataset in enumerate(lineage.get("training_datasets") or []):
        key = f"dataset{index}"
        title, folder = _split(str(dataset.get("name", "?")))
        where = ": ".join(part for part in (dataset.get("namespace", ""), folder) if part)
        nodes.append(_Node(key, "TRAINING DATA", title, _shorten(where, DETAIL_CHARS), 0))
        upstream.append(key)
    code = lineage.get("code") or {}
    if code:
        nodes.append(
            _Node(
                "code",
                "CODE",
                _split(str(code.get("path") or code.get("repository") or "?"))[0],
                (
                    "commit " + _shorten(str(code["commit"]), 16, keep_start=True)
                    if code.get("commit")
                    else "commit not recorded"
                ),
                0,
                dashed=True,
            )
        )
        upstream.append("code")
    run = lineage.get("training_run")
    if run:
        nodes.append(
            _Node("run", "TRAINING RUN", _shorten(run, keep_start=True), "", 1, dashed=True)
        )
        edges += [(key, "run") for key in upstream]
        upstream = ["run"]
    model_artifact = artifacts.get("model") or None
    model_title = f"{model.get('name', '?')} {model.get('version', '')}".strip()
    model_detail = (
        _shorten(str(model_artifact.get("digest") or ""), 30, keep_start=True)
        if model_artifact
        else "predictions column"
    )
    nodes.append(_Node("model", "MODEL", _shorten(model_title), model_detail, 2, double=True))
    edges += [(key, "model") for key in upstream]
    data = artifacts.get("data") or {}
    if data:
        nodes.append(
            _Node(
                "data",
                "EVALUATION DATA",
                _split(str(data.get("path", "?")))[0],
                _shorten(str(data.get("digest") or ""), 30, keep_start=True),
                2,
            )
        )
    for index, policy in enumerate(record.get("policies") or []):
        nodes.append(
            _Node(
                f"policy{index}",
                "POLICY",
                _shorten(str(policy.get("name", "?"))),
                f"version {policy.get('version', '?')}",
                2,
                dashed=True,
            )
        )
    verdict = str(record.get("verdict") or "?").upper()
    nodes.append(
        _Node(
            "evaluation",
            "EVALUATION",
            f"verdict {verdict}",
            _shorten(str(record.get("evaluation_id") or "?"), DETAIL_CHARS, keep_start=True),
            3,
            double=True,
        )
    )
    edges += [(node.key, "evaluation") for node in nodes if node.column == 2]
    return nodes, edges


COLUMN_GAP = 18


def _box_width(columns: int) -> float:
    fitting = (WIDTH - 2 * MARGIN - (columns - 1) * COLUMN_GAP) / max(columns, 1)
    return min(BOX_WIDTH, fitting)


def _layout(nodes: list[_Node]) -> tuple[float, float]:
    columns = sorted({node.column for node in nodes})
    per_column = {c: [n for n in nodes if n.column == c] for c in columns}
    rows = max(len(v) for v in per_column.values())
    height = rows * BOX_HEIGHT + (rows - 1) * ROW_GAP + 2 * MARGIN
    width = _box_width(len(columns))
    step = (WIDTH - 2 * MARGIN - width) / max(len(columns) - 1, 1)
    for position, column in enumerate(columns):
        members = per_column[column]
        used = len(members) * BOX_HEIGHT + (len(members) - 1) * ROW_GAP
        top = (height - used) / 2
        for index, node in enumerate(members):
            node.x = MARGIN + position * step
            node.y = top + index * (BOX_HEIGHT + ROW_GAP)
    return height, width


def _box(node: _Node, width: float) -> str:
    dash = ' stroke-dasharray="4 2"' if node.dashed else ""
    parts = [
        f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{width:.1f}" height="{BOX_HEIGHT}" '
        f'rx="3" fill="#ffffff" stroke="#222222" stroke-width="1.2"{dash}/>'
    ]
    if node.double:
        parts.append(
            f'<rect x="{node.x + 2.5:.1f}" y="{node.y + 2.5:.1f}" width="{width - 5:.1f}" '
            f'height="{BOX_HEIGHT - 5}" rx="2" fill="none" stroke="#222222" stroke-width="0.6"/>'
        )
    left = node.x + 7
    parts.append(
        f'<text x="{left:.1f}" y="{node.y + 13:.1f}" font-family={quoteattr(FONT)} '
        f'font-size="7" letter-spacing="0.5" fill="#444444">{escape(node.kind)}</text>'
    )
    parts.append(
        f'<text x="{left:.1f}" y="{node.y + 26:.1f}" font-family={quoteattr(FONT)} '
        f'font-size="9" font-weight="bold" fill="#111111">{escape(node.title)}</text>'
    )
    if node.detail:
        parts.append(
            f'<text x="{left:.1f}" y="{node.y + 38:.1f}" font-family={quoteattr(MONO)} '
            f'font-size="{_detail_size(node.detail, width)}" fill="#333333">'
            f"{escape(node.detail)}</text>"
        )
    return "".join(parts)


def _detail_size(detail: str, width: float) -> str:
    """Font size of a detail line: 7, or smaller (not below 5) so the line fits the box."""
    fits = (width - 12) / (0.6 * max(len(detail), 1))
    return f"{max(5.0, min(7.0, fits)):.1f}"


def _arrow(source: _Node, target: _Node, width: float) -> str:
    x1, y1 = source.x + width, source.y + BOX_HEIGHT / 2
    x2, y2 = target.x, target.y + BOX_HEIGHT / 2
    middle = (x1 + x2) / 2
    head = (
        f'<polygon points="{x2:.1f},{y2:.1f} {x2 - 6:.1f},{y2 - 3:.1f} {x2 - 6:.1f},{y2 + 3:.1f}" '
        'fill="#222222"/>'
    )
    return (
        f'<path d="M {x1:.1f} {y1:.1f} C {middle:.1f} {y1:.1f}, {middle:.1f} {y2:.1f}, '
        f'{x2 - 6:.1f} {y2:.1f}" fill="none" stroke="#555555" stroke-width="1"/>' + head
    )


def _svg(nodes: list[_Node], edges: list[tuple[str, str]], label: str) -> str:
    height, width = _layout(nodes)
    by_key = {node.key: node for node in nodes}
    body = "".join(_arrow(by_key[a], by_key[b], width) for a, b in edges)
    body += "".join(_box(node, width) for node in nodes)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label={quoteattr(label)}>'
        f"{body}</svg>"
    )


def lineage_svg(record: Mapping[str, Any]) -> str:
    """Draw the record's lineage as a standalone SVG document.

    Parameters
    ----------
    record
        The evaluation record (``lineage``, ``artifacts``, ``policies``, ``model``).

    Returns
    -------
    str
        The SVG text (width :data:`WIDTH` user units, height as needed).
    """
    nodes, edges = _nodes(record)
    return _svg(nodes, edges, "Lineage of the evaluation")


def _levels(keys: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Column of each node: the length of the longest path reaching it (cycles cut)."""
    level = dict.fromkeys(keys, 0)
    for _ in range(len(keys)):
        changed = False
        for source, target in edges:
            if level[target] < level[source] + 1 <= len(keys):
                level[target] = level[source] + 1
                changed = True
        if not changed:
            break
    return level


def graph_svg(nodes: list[Mapping[str, Any]], edges: list[Mapping[str, str]], *, label: str) -> str:
    """Draw an OpenLineage graph (jobs and datasets) left to right, sources first.

    Parameters
    ----------
    nodes
        ``{"id": "job:ns:name" | "dataset:ns:name", "title": ..., "detail": ...}``.
    edges
        ``{"source": id, "target": id}``.
    label
        The SVG's accessible name.

    Returns
    -------
    str
        The SVG text.
    """
    keys = [str(node["id"]) for node in nodes]
    pairs = [
        (str(edge["source"]), str(edge["target"]))
        for edge in edges
        if edge["source"] in keys and edge["target"] in keys
    ]
    level = _levels(keys, pairs)
    columns = len(set(level.values()))
    limit = max(12, int(MAX_CHARS * _box_width(columns) / BOX_WIDTH))
    drawn = []
    for node in nodes:
        key = str(node["id"])
        kind = key.partition(":")[0]
        drawn.append(
            _Node(
                key,
                "JOB" if kind == "job" else "DATASET",
                _shorten(str(node.get("title") or key), limit, keep_start=kind == "job"),
                _shorten(str(node.get("detail") or ""), limit + 6),
                level[key],
                dashed=kind == "job",
                double=bool(node.get("highlight")),
            )
        )
    return _svg(drawn, pairs, label)
