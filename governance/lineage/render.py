"""Text, JSON, Graphviz DOT and Mermaid renderings of lineage query results."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from governance.escapes import visible as _visible
from governance.lineage.model import History, LineageGraph, RunDetail, RunSummary, SchemaChange

__all__ = [
    "GRAPH_FORMATS",
    "render_graph",
    "render_history",
    "render_run",
]

GRAPH_FORMATS = ("text", "json", "dot", "mermaid")


def render_graph(graph: LineageGraph, fmt: str) -> str:
    """Render a lineage graph.

    Parameters
    ----------
    graph
        The query result.
    fmt
        ``text`` (an indented tree from the root), ``json``, ``dot`` or ``mermaid``.

    Returns
    -------
    str
        The rendering, ending with a newline.
    """
    if fmt == "json":
        return _json(graph.as_dict())
    if fmt == "dot":
        return _dot(graph)
    if fmt == "mermaid":
        return _mermaid(graph)
    return _text_graph(graph)


def render_run(run: RunDetail, fmt: str) -> str:
    """Render one run as ``text`` or ``json``."""
    if fmt == "json":
        return _json(run.as_dict())
    summary = run.summary
    lines = [
        f"Run      {summary.run_id}",
        f"Job      {_visible(summary.job)}",
        f"State    {summary.state or '(no state event)'}",
        f"Started  {summary.started_at or '-'}",
        f"Ended    {summary.ended_at or '-'}",
    ]
    if summary.parent_run_id:
        lines.append(f"Parent   {summary.parent_run_id}")
    if run.children:
        lines.append(f"Children {', '.join(run.children)}")
    lines.append("Events")
    for event in run.events:
        flag = "  (time zone assumed UTC)" if event.time_assumed_utc else ""
        kind = event.event_type or "(none)"
        lines.append(f"  entry {event.entry_seq:<7} {kind:<9} {event.event_time}{flag}")
    lines += _listing("Inputs", summary.inputs)
    lines += _listing("Outputs", summary.outputs)
    lines.append(f"Run facets  {_facet_list(run.run_facets)}")
    lines.append(f"Job facets  {_facet_list(run.job_facets)}")
    code = run.job_facets.get("sourceCodeLocation")
    if isinstance(code, Mapping):
        where = code.get("url") or code.get("repoUrl") or ""
        version = code.get("version")
        lines.append(f"Code        {where}" + (f" @ {version}" if version else ""))
    error = run.run_facets.get("errorMessage")
    if isinstance(error, Mapping) and error.get("message"):
        lines.append(f"Error       {error['message']}")
    return "\n".join(lines) + "\n"


def render_history(history: History, fmt: str) -> str:
    """Render a node's history as ``text`` or ``json``."""
    if fmt == "json":
        return _json(history.as_dict())
    span = f"{history.since or 'the beginning'} to {history.until or 'now'}"
    lines = [f"{_visible(history.node.key)}  ({span})"]
    if history.node.kind == "dataset":
        lines.append(f"Versions ({len(history.versions)})")
        for version in history.versions:
            parts = [f"  {version.event_time}  entry {version.entry_seq}"]
            if version.run_id:
                job = _visible(version.job or "-")
                parts.append(f"run {version.run_id} ({job}, {version.run_state or '-'})")
            else:
                parts.append("described (DatasetEvent)")
            if version.version:
                parts.append(f"version {version.version}")
            if version.fields is not None:
                parts.append(f"schema {version.fields} fields ({_change(version.schema_change)})")
            lines.append("  ".join(parts))
    lines.append(f"Runs ({len(history.runs)})")
    lines += [_run_line(run) for run in history.runs]
    return "\n".join(lines) + "\n"


def render_evaluations(target: str, runs: list[RunSummary], fmt: str) -> str:
    """Render the checks that read one file (``lineage evaluations``) as ``text`` or ``json``."""
    if fmt == "json":
        return _json({"target": target, "evaluations": [run.as_dict() for run in runs]})
    lines = [f"Evaluations of {_visible(target)} ({len(runs)})"]
    lines += [_run_line(run) for run in runs]
    return "\n".join(lines) + "\n"


def _change(change: SchemaChange | None) -> str:
    """``first`` (no schema before it), ``same``, or what changed."""
    if change is None:
        return "first"
    return change.describe() if change else "same"


def _run_line(run: RunSummary) -> str:
    when = run.started_at or run.first_time
    state = run.state or "-"
    return (
        f"  {when}  {run.run_id}  {state:<8}  {_visible(run.job)}  "
        f"reads {len(run.inputs)}, writes {len(run.outputs)}"
    )


def _listing(title: str, names: tuple[str, ...]) -> list[str]:
    if not names:
        return [f"{title:<8} -"]
    first, *rest = (_visible(name) for name in names)
    return [f"{title:<8} {first}", *(f"{'':<8} {name}" for name in rest)]


def _facet_list(facets: Mapping[str, Any]) -> str:
    return ", ".join(sorted(facets)) or "-"


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _text_graph(graph: LineageGraph) -> str:
    sides = ["upstream", "downstream"] if graph.direction == "both" else [graph.direction]
    lines = []
    if graph.as_of:
        lines.append(f"(as known at {graph.as_of}: log entries up to {graph.as_of_seq})")
    for side in sides:
        if len(sides) > 1:
            lines.append(f"{side.capitalize()}:")
        lines += _tree(graph, side)
    summary = f"{len(graph.nodes)} nodes, {len(graph.edges)} edges, depth {graph.depth}"
    lines.append(f"({summary})")
    return "\n".join(lines) + "\n"


def _tree(graph: LineageGraph, side: str) -> list[str]:
    """An indented tree from the root, following edges away from it; repeats are marked."""
    children: dict[str, list[str]] = {}
    for edge in graph.edges:
        if side == "upstream":
            children.setdefault(edge.target, []).append(edge.source)
        else:
            children.setdefault(edge.source, []).append(edge.target)
    lines = [_visible(graph.root.key)]
    seen = {graph.root.key}

    def walk(key: str, prefix: str) -> None:
        kids = sorted(children.get(key, []))
        for index, child in enumerate(kids):
            last = index == len(kids) - 1
            branch = "└── " if last else "├── "
            if child in seen:
                lines.append(f"{prefix}{branch}{_visible(child)} (shown above)")
                continue
            seen.add(child)
            lines.append(f"{prefix}{branch}{_visible(child)}")
            walk(child, prefix + ("    " if last else "│   "))

    walk(graph.root.key, "")
    return lines


def _dot(graph: LineageGraph) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;"]
    for item in graph.nodes:
        node = item.node
        shape = "box" if node.kind == "job" else "cylinder"
        style = ", penwidth=2" if node.key == graph.root.key else ""
        label = f"{_dot_label_text(node.namespace)}\\n{_dot_label_text(node.name)}"
        lines.append(f'  {_dot_id(node.key)} [shape={shape}, label="{label}"{style}];')
    for edge in graph.edges:
        lines.append(f"  {_dot_id(edge.source)} -> {_dot_id(edge.target)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_id(value: str) -> str:
    """A quoted DOT ID, one per node name: backslashes and quotes escaped, then control chars."""
    return '"' + _visible(value.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def _dot_label_text(value: str) -> str:
    r"""Text for a DOT label: control chars shown escaped, the name's backslashes kept as text.

    DOT reads ``\n``, ``\l`` and ``\N`` in labels as line breaks and node names, so every
    backslash of the name is doubled (after control chars became visible escapes).
    """
    return _visible(value).replace("\\", "\\\\").replace('"', '\\"')


def _mermaid(graph: LineageGraph) -> str:
    ids = {item.node.key: f"n{index}" for index, item in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for item in graph.nodes:
        node = item.node
        label = _mermaid_label(f"{node.namespace}:{node.name}")
        shape = f'["{label}"]' if node.kind == "job" else f'[("{label}")]'
        lines.append(f"  {ids[node.key]}{shape}")
    for edge in graph.edges:
        lines.append(f"  {ids[edge.source]} --> {ids[edge.target]}")
    lines.append(f"  style {ids[graph.root.key]} stroke-width:3px")
    return "\n".join(lines) + "\n"


# Mermaid entity codes, replaced one character at a time: ``#`` (it starts an entity), ``\`` (so a
# visible ``\n`` is not read as a line break) and a backtick (it starts a Markdown string) too.
_MERMAID_ENTITIES = {
    "#": "#35;",
    "&": "#amp;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "\\": "#92;",
    "`": "#96;",
}


def _mermaid_label(value: str) -> str:
    return "".join(_MERMAID_ENTITIES.get(char, char) for char in _visible(value))
