"""OpenLineage events are projected into jobs, datasets, runs, edges, versions and facets."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, select

from governance.audit import AuditStore
from governance.errors import StoreError
from governance.lineage.tables import (
    lineage_dataset_versions,
    lineage_datasets,
    lineage_events,
    lineage_facets,
    lineage_job_inputs,
    lineage_job_outputs,
    lineage_jobs,
    lineage_run_io,
    lineage_runs,
)
from tests.store.conftest import raw_execute, run_event

RUN_A = "01937a2e-0000-7000-8000-00000000000a"
RUN_B = "01937a2e-0000-7000-8000-00000000000b"
TABLES = (
    lineage_events,
    lineage_jobs,
    lineage_datasets,
    lineage_runs,
    lineage_run_io,
    lineage_job_inputs,
    lineage_job_outputs,
    lineage_dataset_versions,
    lineage_facets,
)


def _rows(url: str, table: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(tuple(row) for row in conn.execute(select(table)))
    finally:
        engine.dispose()


def _schema(*names: str) -> dict[str, Any]:
    return {
        "_producer": "https://example.org/p",
        "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json",
        "fields": [{"name": name, "type": "string"} for name in names],
    }


def test_same_event_twice_is_stored_once(store: AuditStore) -> None:
    event = run_event(RUN_A, inputs=("raw",), outputs=("clean",))
    first = store.append_events([event, event])
    assert first[0] is not None and first[1] is None
    assert store.append_events([event]) == [None]
    assert store.verify().entries == 1
    # The same event with its keys in another order is the same event.
    reordered = dict(reversed(list(event.items())))
    assert store.append_events([reordered]) == [None]


def test_a_plain_append_of_a_known_event_is_logged_but_projected_once(
    store: AuditStore, store_url: str
) -> None:
    event = run_event(RUN_A, outputs=("clean",))
    store.append("openlineage.event", event)
    store.append("openlineage.event", event)
    assert store.verify().entries == 2
    assert len(_rows(store_url, lineage_events)) == 1
    assert store.rebuild_projections() == 2
    assert len(_rows(store_url, lineage_events)) == 1


def test_invalid_event_is_refused_and_nothing_is_stored(store: AuditStore) -> None:
    good = run_event(RUN_A)
    bad = run_event("not-a-uuid")
    with pytest.raises(StoreError, match=r"entry 1 \(openlineage.event\): .*run.runId"):
        store.append_events([good, bad])
    assert store.verify().entries == 0


def test_run_state_follows_event_time_not_arrival(store: AuditStore) -> None:
    complete = run_event(RUN_A, "COMPLETE", "2026-01-01T00:10:00Z", outputs=("out",))
    start = run_event(RUN_A, "START", "2026-01-01T00:00:00Z")
    other = run_event(RUN_A, "OTHER", "2026-01-01T00:20:00Z")
    store.append_events([complete, start, other])
    summary = store.lineage.run(RUN_A).summary
    assert summary.state == "COMPLETE"
    assert summary.started_at == "2026-01-01T00:00:00.000000Z"
    assert summary.ended_at == "2026-01-01T00:10:00.000000Z"
    failed = run_event(RUN_B, "FAIL", "2026-01-01T00:00:00Z")
    running = run_event(RUN_B, "RUNNING", "2026-01-01T00:00:00Z")
    store.append_events([failed, running])
    assert store.lineage.run(RUN_B).summary.state == "FAIL"  # terminal wins a tie


def test_projections_rebuild_to_the_same_rows(store: AuditStore, store_url: str) -> None:
    events = [
        run_event(RUN_A, "START", "2026-01-01T00:00:00+02:00", inputs=("raw",)),
        run_event(
            RUN_A,
            "COMPLETE",
            "2026-01-01T00:05:00Z",
            inputs=("raw",),
            outputs=("clean",),
            job="extract",
        ),
        run_event(RUN_B, "COMPLETE", "2026-01-02T00:00:00Z", inputs=("clean",), outputs=("m",)),
    ]
    store.append_events(events)
    before = {table.name: _rows(store_url, table) for table in TABLES}
    raw_execute(store_url, *(f"DELETE FROM {table.name}" for table in TABLES))
    assert store.rebuild_projections() == 3
    assert {table.name: _rows(store_url, table) for table in TABLES} == before


def test_versions_record_schema_changes(store: AuditStore) -> None:
    def write(run: str, time: str, *fields: str, version: str) -> dict[str, Any]:
        event = run_event(run, "COMPLETE", time, outputs=("table",))
        event["outputs"][0]["facets"] = {
            "schema": _schema(*fields),
            "version": {
                "_producer": "https://example.org/p",
                "_schemaURL": "https://example.org/s",
                "datasetVersion": version,
            },
        }
        return event

    store.append_events(
        [
            write(RUN_A, "2026-01-01T00:00:00Z", "a", "b", version="v1"),
            write(RUN_B, "2026-01-02T00:00:00Z", "a", "c", version="v2"),
        ]
    )
    queries = store.lineage
    history = queries.history(queries.resolve("dataset:ns:table"))
    assert [v.version for v in history.versions] == ["v1", "v2"]
    change = history.versions[1].schema_change
    assert change is not None
    assert (change.added, change.removed) == (("c",), ("b",))
    assert [node.key for node, _ in queries.datasets_with_version("v2")] == ["dataset:ns:table"]


def test_latest_facet_wins_by_event_time_and_deleted_facets_disappear(store: AuditStore) -> None:
    def described(time: str, facets: dict[str, Any]) -> dict[str, Any]:
        return {
            "eventTime": time,
            "dataset": {"namespace": "ns", "name": "t", "facets": facets},
            "producer": "https://example.org/p",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        }

    newer = described("2026-01-02T00:00:00Z", {"schema": _schema("new")})
    older = described("2026-01-01T00:00:00Z", {"schema": _schema("old"), "ownership": {"x": 1}})
    store.append_events([newer, older])
    node = store.lineage.resolve("dataset:ns:t")
    facets = store.lineage.facets([node])["dataset:ns:t"]
    assert facets["schema"]["fields"] == [{"name": "new", "type": "string"}]
    assert "ownership" in facets
    deleted = described("2026-01-03T00:00:00Z", {"ownership": {"_deleted": True}})
    store.append_events([deleted])
    assert "ownership" not in store.lineage.facets([node])["dataset:ns:t"]


def test_an_existing_store_is_projected_when_upgraded(tmp_path) -> None:
    """A store written before the lineage tables existed gets them filled on open."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with AuditStore.open(url) as store:
        store.append("openlineage.event", run_event(RUN_A, outputs=("clean",)))
    raw_execute(
        url,
        "DELETE FROM lineage_events",
        "DELETE FROM lineage_runs",
        "UPDATE governance_alembic_version SET version_num = '0001'",
        *(
            f"DROP TABLE {name}"
            for name in (
                "reports",
                "lineage_events",
                "lineage_jobs",
                "lineage_datasets",
                "lineage_dataset_symlinks",
                "lineage_runs",
                "lineage_run_io",
                "lineage_job_inputs",
                "lineage_job_outputs",
                "lineage_dataset_versions",
                "lineage_facets",
            )
        ),
    )
    with AuditStore.open(url) as store:
        assert store.lineage.run(RUN_A).summary.outputs == ("dataset:ns:clean",)


def test_ids_inserted_by_a_rolled_back_append_are_not_reused(
    store: AuditStore, store_url: str
) -> None:
    """The projector remembers the ids it inserted only once their transaction committed."""
    first = run_event(RUN_A, outputs=("a",))
    with pytest.raises(StoreError):  # the lineage rows are written, then the evaluation fails
        store.append_many([("openlineage.event", first), ("evaluation", {"not": "a record"})])
    store.append_events([run_event(RUN_B, outputs=("b",))])  # b takes the id a had
    store.append_events([first])
    store.append_events([run_event("01937a2e-0000-7000-8000-00000000000c", inputs=("a", "b"))])
    queries = store.lineage
    assert queries.run(RUN_A).summary.outputs == ("dataset:ns:a",)
    assert queries.run(RUN_B).summary.outputs == ("dataset:ns:b",)
    datasets = _rows(store_url, lineage_datasets)
    assert [(name, dataset_id) for dataset_id, _, name, _ in datasets] == [("b", 1), ("a", 2)]
    before = {table.name: _rows(store_url, table) for table in TABLES}
    store.rebuild_projections()
    assert {table.name: _rows(store_url, table) for table in TABLES} == before
