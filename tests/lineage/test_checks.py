"""Lineage-completeness checks, on lineage loaded from a store as the gate loads it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.checks.lineage import (
    CodeVersionParams,
    FacetsParams,
    FailedRunsParams,
    TracedParams,
)
from governance.evaluators import lineage as checks
from governance.lineage.snapshot import LineageSnapshot, load_snapshot
from tests.store.conftest import run_event

PREP = "01937a2e-0000-7000-8000-000000000001"
TRAIN = "01937a2e-0000-7000-8000-000000000002"
EXTRACT = "01937a2e-0000-7000-8000-000000000003"
COMMIT = "e699b4904446e5aa9ffb3d0fc9f5dba3028581ff"
MODEL_DIGEST = "sha256:" + "ab" * 32


def _facet(**fields: Any) -> dict[str, Any]:
    return {"_producer": "https://example.org/p", "_schemaURL": "https://example.org/s", **fields}


FULL = {"schema": _facet(fields=[{"name": "x"}]), "ownership": _facet(owners=[{"name": "t"}])}


def _with_facets(event: dict[str, Any], facets: dict[str, Any] | None = None) -> dict[str, Any]:
    for dataset in [*event["inputs"], *event["outputs"]]:
        dataset["facets"] = dict(FULL if facets is None else facets)
    return event


def _code(version: str = COMMIT) -> dict[str, Any]:
    return {
        "sourceCodeLocation": _facet(type="git", url="https://git.example/repo", version=version)
    }


def pipeline(
    *,
    extract_state: str = "COMPLETE",
    source_facets: dict[str, Any] | None = None,
    code: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """source -> extract -> raw -> prep -> clean -> train -> model (version = the digest)."""
    train = _with_facets(
        run_event(TRAIN, "COMPLETE", "2026-01-03T00:00:00Z", job="train", inputs=("clean",)),
    )
    train["outputs"] = [
        {
            "namespace": "file",
            "name": "models/m.skops",
            "facets": {"version": _facet(datasetVersion=MODEL_DIGEST)},
        }
    ]
    train["job"]["facets"] = _code() if code is None else code
    return [
        _with_facets(
            run_event(
                EXTRACT,
                extract_state,
                "2026-01-01T00:00:00Z",
                job="extract",
                inputs=("source",),
                outputs=("raw",),
            ),
            source_facets,
        ),
        _with_facets(
            run_event(
                PREP,
                "COMPLETE",
                "2026-01-02T00:00:00Z",
                job="prep",
                inputs=("raw",),
                outputs=("clean",),
            )
        ),
        train,
    ]


def snapshot(store: AuditStore, **kwargs: Any) -> LineageSnapshot:
    options: dict[str, Any] = {
        "max_hops": 10,
        "training_run": None,
        "model_path": Path("elsewhere/m.skops"),
        "model_digest": MODEL_DIGEST,
        "training_datasets": [("ns", "clean")],
    }
    options.update(kwargs)
    return load_snapshot(store, **options)


def context(found: LineageSnapshot | None) -> Any:
    return SimpleNamespace(lineage=found)


def test_a_complete_lineage_passes_every_check(store: AuditStore) -> None:
    store.append_events(pipeline())
    found = snapshot(store)
    assert found.found_by == "model digest (version facet)"
    traced = checks.training_data_traced(context(found), TracedParams())
    assert (traced.value, traced.evidence["gaps"]) == (0, [])
    assert traced.evidence["sources"] == ["dataset:ns:source"]
    assert {d["dataset"]: d["hop"] for d in traced.evidence["datasets"]} == {
        "dataset:ns:clean": 1,
        "dataset:ns:raw": 2,
        "dataset:ns:source": 3,
    }
    assert checks.facets_present(context(found), FacetsParams()).value == 0
    code = checks.code_version_recorded(context(found), CodeVersionParams())
    assert (code.value, code.evidence["recorded"]["job:ns:train"]["version"]) == (0, COMMIT)
    assert checks.no_failed_runs(context(found), FailedRunsParams()).value == 0


def test_no_training_run_recorded(store: AuditStore) -> None:
    found = snapshot(store)
    traced = checks.training_data_traced(context(found), TracedParams())
    assert traced.value == 1
    assert traced.evidence["gaps"][0].startswith("no recorded run produced the model")
    facets = checks.facets_present(context(found), FacetsParams())
    assert facets.value is None and facets.insufficient is not None


def test_the_model_is_found_by_path_or_named_run(store: AuditStore, tmp_path: Path) -> None:
    events = pipeline()
    events[-1]["outputs"][0]["facets"] = {}
    events[-1]["outputs"][0]["name"] = str(tmp_path / "m.skops")
    store.append_events(events)
    by_path = snapshot(store, model_path=tmp_path / "m.skops", model_digest="sha256:00")
    assert by_path.found_by == "model path"
    by_run = snapshot(store, training_run=TRAIN, model_path=None, model_digest=None)
    assert by_run.found_by == "manifest lineage.training_run"
    assert by_run.training_run is not None and by_run.training_run.summary.run_id == TRAIN


def test_a_chain_deeper_than_max_hops_and_an_undeclared_dataset_are_gaps(
    store: AuditStore,
) -> None:
    store.append_events(pipeline())
    found = snapshot(store, training_datasets=[("ns", "clean"), ("ns", "other")])
    traced = checks.training_data_traced(context(found), TracedParams(max_hops=2))
    assert traced.evidence["gaps"] == [
        "dataset:ns:raw is not traced to a source within 2 hops",
        "declared training dataset dataset:ns:other is not in the recorded lineage",
    ]
    assert traced.value == 2
    relaxed = checks.training_data_traced(
        context(found), TracedParams(max_hops=3, require_declared=False)
    )
    assert relaxed.value == 0


def test_missing_facets_are_counted_per_dataset(store: AuditStore) -> None:
    store.append_events(pipeline(source_facets={"schema": FULL["schema"]}))
    found = snapshot(store)
    measured = checks.facets_present(context(found), FacetsParams())
    assert measured.value == 1
    assert measured.evidence["missing"] == [
        {"dataset": "dataset:ns:source", "facets": ["ownership"]}
    ]
    only_schema = checks.facets_present(context(found), FacetsParams(facets=["schema"]))
    assert only_schema.value == 0


@pytest.mark.parametrize(
    ("code", "expected"),
    [({}, 1), (_code("main"), 1), (_code(COMMIT), 0)],
)
def test_code_version_needs_a_commit(
    store: AuditStore, code: dict[str, Any], expected: int
) -> None:
    store.append_events(pipeline(code=code))
    measured = checks.code_version_recorded(context(snapshot(store)), CodeVersionParams())
    assert measured.value == expected
    chain = checks.code_version_recorded(context(snapshot(store)), CodeVersionParams(scope="chain"))
    assert chain.evidence["missing"] == sorted(
        ["job:ns:extract", "job:ns:prep", *(["job:ns:train"] if expected else [])]
    )


def test_a_failed_upstream_run_is_counted(store: AuditStore) -> None:
    store.append_events(pipeline(extract_state="FAIL"))
    measured = checks.no_failed_runs(context(snapshot(store)), FailedRunsParams())
    assert measured.value == 1
    assert measured.evidence["failed"] == [
        {"run_id": EXTRACT, "job": "job:ns:extract", "state": "FAIL", "delivered_by": None}
    ]


def test_an_unfinished_run_counts_only_when_asked(store: AuditStore) -> None:
    store.append_events(pipeline(extract_state="START"))
    found = snapshot(store)
    assert checks.no_failed_runs(context(found), FailedRunsParams()).value == 0
    strict = checks.no_failed_runs(context(found), FailedRunsParams(require_complete=True))
    assert strict.value == 1


def test_without_a_snapshot_the_checks_cannot_tell() -> None:
    measured = checks.training_data_traced(context(None), TracedParams())
    assert measured.error is not None and "governance check" in measured.error
