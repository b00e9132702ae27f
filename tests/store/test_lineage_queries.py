"""Graph traversals (one recursive SQL statement each), node names, history and runs."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event

from governance.audit import AuditStore
from governance.errors import LineageError
from governance.store.chain import format_time
from tests.store.conftest import run_event

RUN = "01937a2e-0000-7000-8000-{:012d}"


def _run(n: int) -> str:
    return RUN.format(n)


@pytest.fixture
def pipeline(store: AuditStore) -> AuditStore:
    """raw -> extract -> clean -> train -> model -> score -> scores; clean -> score too."""
    store.append_events(
        [
            run_event(_run(1), inputs=("src:raw",), outputs=("lake:clean",), job="extract"),
            run_event(_run(2), inputs=("lake:clean",), outputs=("models:m",), job="train"),
            run_event(
                _run(3), inputs=("models:m", "lake:clean"), outputs=("lake:scores",), job="score"
            ),
        ]
    )
    return store


def _keys(graph) -> list[str]:
    return [item.node.key for item in graph.nodes]


def _edges(graph) -> set[tuple[str, str]]:
    return {(edge.source, edge.target) for edge in graph.edges}


def test_upstream_of_a_dataset(pipeline: AuditStore) -> None:
    queries = pipeline.lineage
    graph = queries.traverse(queries.resolve("dataset:models:m"), "upstream", depth=5)
    assert _edges(graph) == {
        ("job:ns:train", "dataset:models:m"),
        ("dataset:lake:clean", "job:ns:train"),
        ("job:ns:extract", "dataset:lake:clean"),
        ("dataset:src:raw", "job:ns:extract"),
    }
    depths = {item.node.key: item.depth for item in graph.nodes}
    assert depths == {
        "dataset:models:m": 0,
        "job:ns:train": 1,
        "dataset:lake:clean": 1,
        "job:ns:extract": 2,
        "dataset:src:raw": 2,
    }


def test_depth_limits_the_jobs_followed(pipeline: AuditStore) -> None:
    queries = pipeline.lineage
    graph = queries.traverse(queries.resolve("dataset:lake:scores"), "upstream", depth=1)
    assert set(_keys(graph)) == {
        "dataset:lake:scores",
        "job:ns:score",
        "dataset:models:m",
        "dataset:lake:clean",
    }


def test_downstream_of_a_dataset_and_both_ways_from_a_job(pipeline: AuditStore) -> None:
    queries = pipeline.lineage
    down = queries.traverse(queries.resolve("dataset:src:raw"), "downstream", depth=5)
    assert ("job:ns:score", "dataset:lake:scores") in _edges(down)
    assert ("dataset:lake:clean", "job:ns:score") in _edges(down)
    # One job away from train: extract upstream (with what it read), score downstream (with
    # what it wrote); score's other input is not on the graph's paths.
    both = queries.traverse(queries.resolve("job:ns:train"), "both", depth=1)
    assert _edges(both) == {
        ("dataset:lake:clean", "job:ns:train"),
        ("job:ns:extract", "dataset:lake:clean"),
        ("dataset:src:raw", "job:ns:extract"),
        ("job:ns:train", "dataset:models:m"),
        ("dataset:models:m", "job:ns:score"),
        ("job:ns:score", "dataset:lake:scores"),
    }


def test_cycles_terminate(store: AuditStore) -> None:
    store.append_events(
        [
            run_event(_run(1), inputs=("a",), outputs=("b",), job="ab"),
            run_event(_run(2), inputs=("b",), outputs=("a",), job="ba"),
        ]
    )
    graph = store.lineage.traverse(store.lineage.resolve("dataset:ns:a"), "upstream", depth=50)
    assert set(_keys(graph)) == {"dataset:ns:a", "dataset:ns:b", "job:ns:ab", "job:ns:ba"}


def test_each_traversal_is_one_statement(pipeline: AuditStore) -> None:
    statements: list[str] = []
    engine = pipeline._engine.engine

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        root = pipeline.lineage.resolve("dataset:models:m")
        statements.clear()
        pipeline.lineage.traverse(root, "both", depth=20)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    queries = [s for s in statements if "lineage_job" in s]
    assert len(queries) == 1
    assert queries[0].lstrip().startswith("WITH RECURSIVE")


def test_as_of_shows_the_graph_as_known_then(store: AuditStore) -> None:
    store.append_events([run_event(_run(1), inputs=("raw",), outputs=("clean",), job="extract")])
    time.sleep(0.01)
    middle = format_time(__import__("datetime").datetime.now(__import__("datetime").UTC))
    time.sleep(0.01)
    store.append_events([run_event(_run(2), inputs=("old",), outputs=("clean",), job="backfill")])
    queries = store.lineage
    root = queries.resolve("dataset:ns:clean")
    now = queries.traverse(root, "upstream", depth=3)
    then = queries.traverse(root, "upstream", depth=3, as_of=middle)
    assert "job:ns:backfill" in _keys(now)
    assert "job:ns:backfill" not in _keys(then)
    assert then.as_of_seq == 1


def test_node_names_with_colons_in_the_namespace(store: AuditStore) -> None:
    store.append_events(
        [run_event(_run(1), inputs=("postgres://db:5432:public.users",), outputs=("o",))]
    )
    node = store.lineage.resolve("dataset:postgres://db:5432:public.users")
    assert (node.namespace, node.name) == ("postgres://db:5432", "public.users")


def test_a_dataset_is_found_by_its_symlink(store: AuditStore) -> None:
    event = run_event(_run(1), outputs=("s3://bucket:warehouse/users",))
    event["outputs"][0]["facets"] = {
        "symlinks": {
            "_producer": "https://example.org/p",
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json",
            "identifiers": [{"namespace": "hive://metastore", "name": "db.users", "type": "TABLE"}],
        }
    }
    store.append_events([event])
    node = store.lineage.resolve("dataset:hive://metastore:db.users")
    assert node.key == "dataset:s3://bucket:warehouse/users"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("table:ns:x", "is not a node name"),
        ("dataset:nocolon", "has no namespace and name"),
        ("dataset:ns:missing", "no dataset ns:missing in the audit store"),
        ("job:ns:missing", "no job ns:missing in the audit store"),
    ],
)
def test_unknown_or_malformed_nodes(pipeline: AuditStore, name: str, message: str) -> None:
    with pytest.raises(LineageError, match=message):
        pipeline.lineage.resolve(name)


def test_run_detail_and_job_history(pipeline: AuditStore) -> None:
    queries = pipeline.lineage
    run = queries.run(_run(3).upper())
    assert run.summary.job == "job:ns:score"
    assert run.summary.inputs == ("dataset:lake:clean", "dataset:models:m")
    assert [e.event_type for e in run.events] == ["COMPLETE"]
    history = queries.history(queries.resolve("dataset:lake:clean"))
    assert [r.job for r in history.runs] == ["job:ns:extract", "job:ns:train", "job:ns:score"]
    with pytest.raises(LineageError, match="no run"):
        queries.run(_run(99))


def test_history_bounds(store: AuditStore) -> None:
    store.append_events(
        [
            run_event(_run(n), time=f"2026-01-0{n}T00:00:00Z", job="daily", outputs=("d",))
            for n in (1, 2, 3)
        ]
    )
    queries = store.lineage
    history = queries.history(
        queries.resolve("job:ns:daily"),
        since="2026-01-02T00:00:00.000000Z",
        until="2026-01-02T23:59:59.999999Z",
    )
    assert [run.run_id for run in history.runs] == [_run(2)]
