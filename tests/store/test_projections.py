"""The projector registry: explicit, keyed by kind, replayed on rebuild."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import Connection, Table

from governance.audit import AuditStore, default_projectors
from governance.errors import StoreError
from governance.evaluations.projection import EvaluationProjector, ReportProjector
from governance.lineage.projection import LineageProjector
from governance.store import Entry, ProjectorRegistry
from governance.store.projections import ProjectionError


class RecordingProjector:
    """Reads ``metric`` entries; owns no table; refuses metrics without a value."""

    kinds: tuple[str, ...] = ("metric",)
    tables: tuple[Table, ...] = ()

    def __init__(self) -> None:
        self.seen: list[int] = []

    def project_many(
        self, conn: Connection, items: Sequence[tuple[Entry, Mapping[str, Any]]]
    ) -> None:
        for entry, payload in items:
            if "value" not in payload:
                raise ProjectionError("a metric needs a value", entry)
            self.seen.append(entry.seq)


def test_default_registry_lists_evaluations_reports_and_lineage() -> None:
    registry = default_projectors()
    assert [type(p) for p in registry.projectors] == [
        EvaluationProjector,
        ReportProjector,
        LineageProjector,
    ]
    assert registry.kinds == ("evaluation", "report", "openlineage.event")
    assert [t.name for t in registry.tables][:3] == ["findings", "evaluations", "reports"]
    assert registry.for_kind("metric") == ()


def test_an_added_projector_sees_its_kind_in_the_same_transaction(store_url: str) -> None:
    recorder = RecordingProjector()
    registry = default_projectors().with_projector(recorder)
    assert registry.for_kind("metric") == (recorder,)
    with AuditStore.open(store_url, projectors=registry) as store:
        store.append("note", {})
        store.append("metric", {"value": 1})
        with pytest.raises(StoreError, match=r"entry 1 \(metric\): a metric needs a value"):
            store.append_many([("metric", {"value": 2}), ("metric", {})])
        assert recorder.seen == [2, 3]
        assert store.verify().entries == 2
        assert store.rebuild_projections() == 1
        assert recorder.seen == [2, 3, 2]


def test_a_store_without_projectors_keeps_the_log_only(store_url: str, evaluation) -> None:
    with AuditStore.open(store_url, projectors=ProjectorRegistry()) as store:
        store.append("evaluation", evaluation("e1"))
        assert store.evaluations() == []
        assert store.rebuild_projections() == 0
