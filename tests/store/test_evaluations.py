"""Evaluation records: projected on append, read back exactly, rebuilt from the log."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from governance.audit import AuditStore
from governance.errors import StoreError, VerificationFailed
from governance.evaluations.tables import evaluations, findings
from tests.store.conftest import raw_execute, run_event


def _projection(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "evaluations": [
                    tuple(row)
                    for row in conn.execute(
                        select(evaluations).order_by(evaluations.c.evaluation_id)
                    )
                ],
                "findings": [
                    tuple(row)
                    for row in conn.execute(
                        select(findings).order_by(findings.c.evaluation_id, findings.c.position)
                    )
                ],
            }
    finally:
        engine.dispose()


@pytest.fixture
def three(store: AuditStore, evaluation) -> AuditStore:
    store.append("evaluation", evaluation("e1", model_name="credit"))
    store.append("openlineage.event", run_event())
    store.append(
        "evaluation", evaluation("e2", model_name="adult-income", verdict="passed", exit_code=0)
    )
    store.append("evaluation", evaluation("e3", model_name="credit"))
    return store


def test_get_evaluation_by_id_returns_the_record_exactly(three: AuditStore, evaluation) -> None:
    assert three.get_evaluation("e2") == evaluation(
        "e2", model_name="adult-income", verdict="passed", exit_code=0
    )
    assert three.get_evaluation("e1", model="credit")["evaluation_id"] == "e1"


def test_get_evaluation_latest_overall_and_of_a_model(three: AuditStore) -> None:
    assert three.get_evaluation("latest")["evaluation_id"] == "e3"
    assert three.get_evaluation("latest", model="adult-income")["evaluation_id"] == "e2"
    assert three.get_evaluation("latest", model="credit")["evaluation_id"] == "e3"


def test_get_evaluation_unknown(three: AuditStore) -> None:
    with pytest.raises(StoreError) as caught:
        three.get_evaluation("nope")
    assert str(caught.value) == f"no evaluation nope in {three.url}"
    with pytest.raises(
        StoreError, match=f"^no evaluation e2 of model credit in {re.escape(three.url)}$"
    ):
        three.get_evaluation("e2", model="credit")
    with pytest.raises(StoreError, match=r"^no evaluation of model other in "):
        three.get_evaluation("latest", model="other")


def test_get_evaluation_on_an_empty_store(store: AuditStore) -> None:
    with pytest.raises(StoreError, match=f"^no evaluation in {re.escape(store.url)}$"):
        store.get_evaluation("latest")


def test_evaluations_lists_newest_first(three: AuditStore) -> None:
    summaries = three.evaluations()
    assert [s.evaluation_id for s in summaries] == ["e3", "e2", "e1"]
    assert [s.evaluation_id for s in three.evaluations(model="credit")] == ["e3", "e1"]
    assert [s.evaluation_id for s in three.evaluations(limit=1)] == ["e3"]
    e2 = summaries[1]
    assert (e2.model_name, e2.model_version, e2.verdict, e2.exit_code, e2.entry_seq) == (
        "adult-income",
        "1.0.0",
        "passed",
        0,
        3,
    )
    assert e2.started_at == datetime(2026, 11, 27, 14, 0, 0, 123456, tzinfo=UTC)
    assert e2.finished_at == datetime(2026, 11, 27, 14, 0, 2, 654321, tzinfo=UTC)


def test_findings_are_projected(three: AuditStore, store_url: str) -> None:
    rows = [r for r in _projection(store_url)["findings"] if r[0] == "e1"]
    assert rows == [
        ("e1", 0, "four-fifths-sex", "fairness-baseline", "high", "fail", 0.3127, True),
        ("e1", 1, "accuracy", "fairness-baseline", "medium", "pass", 1.0, False),
    ]


def test_times_are_normalised_to_utc(store: AuditStore, evaluation) -> None:
    store.append(
        "evaluation",
        evaluation(
            "tz", started_at="2026-11-27T15:00:00+01:00", finished_at="2026-11-27T14:00:01Z"
        ),
    )
    (summary,) = store.evaluations()
    assert summary.started_at == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert store.get_evaluation("tz")["started_at"] == "2026-11-27T15:00:00+01:00"


def test_rebuild_projections_gives_equal_tables(three: AuditStore, store_url: str) -> None:
    before = _projection(store_url)
    raw_execute(store_url, "DELETE FROM findings", "DELETE FROM evaluations")
    assert three.evaluations() == []
    assert three.rebuild_projections() == 4  # three evaluations and one event
    assert _projection(store_url) == before
    assert three.rebuild_projections() == 4  # three evaluations and one event
    assert _projection(store_url) == before
    assert three.verify().ok


def test_duplicate_evaluation_id_is_refused(three: AuditStore, evaluation) -> None:
    with pytest.raises(StoreError, match="evaluation e2 is already recorded \\(audit entry 3\\)"):
        three.append("evaluation", evaluation("e2"))
    assert three.verify().entries == 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"evaluation_id": None}, "field evaluation_id must be a non-empty string"),
        ({"model": "x"}, "field model must be an object"),
        ({"exit_code": "1"}, "field exit_code must be an integer"),
        ({"exit_code": True}, "field exit_code must be an integer"),
        ({"finished_at": "yesterday"}, "field finished_at must be an ISO 8601 UTC time"),
        ({"finished_at": "2026-11-27T14:00:00"}, "field finished_at must be an ISO 8601 UTC time"),
        ({"findings": {"a": 1}}, "field findings must be a list"),
        ({"findings": [1]}, r"field findings\[0\] must be an object"),
        (
            {"findings": [{"rule_id": "r", "outcome": "pass", "blocking": "no"}]},
            r"findings\[0\].blocking must be true or false",
        ),
        (
            {"findings": [{"rule_id": "r", "outcome": "pass", "blocking": False, "measured": "1"}]},
            r"findings\[0\].measured must be a number or null",
        ),
    ],
)
def test_malformed_evaluation_records_are_refused(
    store: AuditStore, evaluation, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        store.append("evaluation", evaluation("bad", **change))
    assert store.head() is None


def test_get_evaluation_refuses_a_tampered_entry(three: AuditStore, store_url: str) -> None:
    raw_execute(
        store_url,
        "UPDATE audit_log SET payload = replace(payload, '\"failed\"', '\"passed\"') WHERE seq = 4",
        bypass_triggers=True,
    )
    with pytest.raises(VerificationFailed, match=r"audit entry 4 in .* does not match its hash"):
        three.get_evaluation("e3")
    assert three.get_evaluation("e1")["verdict"] == "failed"


def test_openlineage_events_are_not_evaluations(store: AuditStore) -> None:
    event = run_event(event_type="START")
    entry = store.append("openlineage.event", event)
    assert entry.payload == event
    assert store.evaluations() == []
    assert store.rebuild_projections() == 1
