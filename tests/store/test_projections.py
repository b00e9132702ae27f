"""The projector registry: explicit, keyed by kind, replayed on rebuild."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import Connection, Table

from governance.errors import StoreError
from governance.store import AuditStore, Entry, ProjectorRegistry, default_projectors
from governance.store.projections import EvaluationProjector, ProjectionError


class RecordingProjector:
    """Reads openlineage.event entries; owns no table; refuses events without a run."""

    kinds: tuple[str, ...] = ("openlineage.event",)
    tables: tuple[Table, ...] = ()

    def __init__(self) -> None:
        self.seen: list[int] = []

    def project(self, conn: Connection, entry: Entry, payload: Mapping[str, Any]) -> None:
        if "run" not in payload:
            raise ProjectionError("RunEvent has no run")
        self.seen.append(entry.seq)


def test_default_registry_lists_the_evaluation_projector_only() -> None:
    registry = default_projectors()
    assert [type(p) for p in registry.projectors] == [EvaluationProjector]
    assert registry.kinds == ("evaluation",)
    assert [t.name for t in registry.tables] == ["findings", "evaluations"]
    assert registry.for_kind("openlineage.event") == ()


def test_an_added_projector_sees_its_kind_in_the_same_transaction(store_url: str) -> None:
    recorder = RecordingProjector()
    registry = default_projectors().with_projector(recorder)
    assert registry.for_kind("openlineage.event") == (recorder,)
    with AuditStore.open(store_url, projectors=registry) as store:
        store.append("note", {})
        store.append("openlineage.event", {"run": {"runId": "r"}})
        with pytest.raises(StoreError, match=r"entry 0 \(openlineage.event\): RunEvent has no run"):
            store.append("openlineage.event", {"eventType": "START"})
        assert recorder.seen == [2]
        assert store.verify().entries == 2
        assert store.rebuild_projections() == 1
        assert recorder.seen == [2, 2]


def test_a_store_without_projectors_keeps_the_log_only(store_url: str, evaluation) -> None:
    with AuditStore.open(store_url, projectors=ProjectorRegistry()) as store:
        store.append("evaluation", evaluation("e1"))
        assert store.evaluations() == []
        assert store.rebuild_projections() == 0
