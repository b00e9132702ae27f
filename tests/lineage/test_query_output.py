"""Lineage query output: odd names in every format, first schema versions, --as-of, run ids."""

from __future__ import annotations

import json
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.errors import LineageError
from governance.lineage.model import Edge, GraphNode, LineageGraph, Node
from governance.lineage.render import render_graph, render_history
from tests.store.conftest import run_event

WINDOWS = "C:\\new\\data\\"
TWO_LINES = "line1\nline2\x1b"
ENTITIES = 'a#amp;b & "q" `t` <x>'


def _graph(*names: str) -> LineageGraph:
    """A job reading the datasets ``names[1:]`` and writing ``names[0]`` (the root)."""
    job = Node("job", 1, "ns", "odd\njob")
    datasets = [Node("dataset", index + 2, "s3://bucket", name) for index, name in enumerate(names)]
    root = datasets[0]
    return LineageGraph(
        root=root,
        direction="upstream",
        depth=20,
        nodes=(
            GraphNode(root, 0),
            GraphNode(job, 1),
            *(GraphNode(node, 1) for node in datasets[1:]),
        ),
        edges=(
            Edge(job.key, root.key),
            *(Edge(node.key, job.key) for node in datasets[1:]),
        ),
    )


def _labels(dot: str) -> list[str]:
    return [
        line.split('label="', 1)[1].rsplit('"', 1)[0]
        for line in dot.splitlines()
        if "label=" in line
    ]


def test_dot_label_keeps_a_names_backslashes() -> None:
    dot = render_graph(_graph(WINDOWS), "dot")
    # Only the namespace/name separator is a DOT line break; the name's "\n" is text.
    assert 'label="s3://bucket\\nC:\\\\new\\\\data\\\\"' in dot


def test_control_characters_are_shown_escaped_in_every_format() -> None:
    graph = _graph(TWO_LINES, WINDOWS)
    text = render_graph(graph, "text")
    assert text.splitlines() == [
        "dataset:s3://bucket:line1\\nline2\\x1b",
        "└── job:ns:odd\\njob",
        "    └── dataset:s3://bucket:C:\\new\\data\\",
        "(3 nodes, 2 edges, depth 20)",
    ]
    dot = render_graph(graph, "dot")
    mermaid = render_graph(graph, "mermaid")
    # One line per node and per edge, besides the header and footer lines.
    assert len(dot.splitlines()) == 2 + 3 + 2 + 1
    assert len(mermaid.splitlines()) == 1 + 3 + 2 + 1
    assert "\x1b" not in text + dot + mermaid
    assert "s3://bucket\\nline1\\\\nline2\\\\x1b" in _labels(dot)
    assert "ns\\nodd\\\\njob" in _labels(dot)
    assert '[("s3://bucket:line1#92;nline2#92;x1b")]' in mermaid


def test_dot_ids_stay_distinct_for_a_newline_and_a_backslash_n() -> None:
    graph = _graph("a\nb", "a\\nb")
    dot = render_graph(graph, "dot")
    ids = {line.split(" [", 1)[0].strip() for line in dot.splitlines() if "label=" in line}
    assert len(ids) == len(graph.nodes)


def test_mermaid_escapes_hash_so_entities_in_names_stay_text() -> None:
    mermaid = render_graph(_graph(ENTITIES), "mermaid")
    assert '[("s3://bucket:a#35;amp;b #amp; #quot;q#quot; #96;t#96; #lt;x#gt;")]' in mermaid


def _write(run: str, time: str, *fields: str) -> dict[str, Any]:
    event = run_event(run, "COMPLETE", time, outputs=("table",))
    event["outputs"][0]["facets"] = {
        "schema": {
            "_producer": "https://example.org/p",
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
            "fields": [{"name": name, "type": "string"} for name in fields],
        }
    }
    return event


RUNS = [f"01937a2e-0000-7000-8000-00000000000{n}" for n in range(1, 4)]


def test_first_schema_version_is_first_not_unchanged(store: AuditStore) -> None:
    store.append_events(
        [
            _write(RUNS[0], "2026-01-01T00:00:00Z", "a"),
            _write(RUNS[1], "2026-01-02T00:00:00Z", "a"),
            _write(RUNS[2], "2026-01-03T00:00:00Z", "a", "b"),
        ]
    )
    queries = store.lineage
    node = queries.resolve("dataset:ns:table")
    history = queries.history(node)
    text = render_history(history, "text")
    assert [line.rsplit("  ", 1)[1] for line in text.splitlines()[2:5]] == [
        "schema 1 fields (first)",
        "schema 1 fields (same)",
        "schema 2 fields (+b)",
    ]
    changes = [v["schema_change"] for v in json.loads(render_history(history, "json"))["versions"]]
    assert changes == [
        None,
        {"added": [], "removed": [], "retyped": []},
        {"added": ["b"], "removed": [], "retyped": []},
    ]
    # A window that starts later compares with the last version before it: not "first".
    later = queries.history(node, since="2026-01-02T00:00:00.000000Z")
    assert "schema 1 fields (same)" in render_history(later, "text")


def test_as_of_before_the_node_was_recorded_is_an_error(store: AuditStore) -> None:
    store.append_events([run_event(RUNS[0], inputs=("raw",), outputs=("clean",))])
    queries = store.lineage
    root = queries.resolve("dataset:ns:clean")
    with pytest.raises(LineageError) as caught:
        queries.traverse(root, "upstream", depth=3, as_of="2000-01-01T00:00:00.000000Z")
    assert caught.value.message.startswith(
        "dataset:ns:clean was not yet recorded at 2000-01-01T00:00:00.000000Z (first recorded at "
    )
    graph = queries.traverse(root, "upstream", depth=3, as_of="9999-01-01T00:00:00.000000Z")
    assert graph.as_of_seq == 1
    assert len(graph.edges) == 2


@pytest.mark.parametrize("run_id", ["", "notauuid", "01937a2e-0000-7000-8000-00000000000"])
def test_a_run_id_that_is_not_a_uuid_says_so(store: AuditStore, run_id: str) -> None:
    with pytest.raises(LineageError) as caught:
        store.lineage.run(run_id)
    assert caught.value.message == (
        f"{run_id!r} is not a run id: run ids are UUIDs such as "
        "01936f6a-0000-7000-8000-00000000a002"
    )


def test_an_unknown_run_uuid_is_not_in_the_store(store: AuditStore) -> None:
    with pytest.raises(LineageError) as caught:
        store.lineage.run(RUNS[0].upper())
    assert caught.value.message == f"no run {RUNS[0].upper()} in the audit store"
