"""The inventory's rows: verdicts under the required policies, waivers, monitoring, registry."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from governance.audit import AuditStore
from governance.config import Settings
from governance.errors import VerificationFailed
from governance.inventory import InventoryRow, model_inventory
from governance.inventory.approvals import approvals_summary
from tests.inventory.records import REQUIRED, Seeded

TODAY = dt.date(2026, 12, 7)


def rows(seeded: Seeded, settings: Settings = REQUIRED) -> dict[tuple[str, str], InventoryRow]:
    with AuditStore.open(seeded.url, create=False) as store:
        found = model_inventory(store, settings.required_policies, today=TODAY)
    return {(row.model, row.version): row for row in found}


def test_every_model_version_has_one_row_in_name_then_evaluation_order(seeded: Seeded) -> None:
    with AuditStore.open(seeded.url, create=False) as store:
        found = model_inventory(store, REQUIRED.required_policies, today=TODAY)
    assert [(row.model, row.version) for row in found] == [
        ("churn", "1.0.0"),
        ("credit", "1.0.0"),
        ("credit", "2.0.0"),
        ("fraud", "3.1.0"),
    ]


def test_a_monitored_window_is_not_a_version_s_latest_evaluation(seeded: Seeded) -> None:
    credit = rows(seeded)[("credit", "1.0.0")]
    assert credit.evaluation_id == seeded.records["credit-1"]["evaluation_id"]
    assert credit.evaluations == 1
    assert credit.verdict == "passed"


def test_passed_and_failed_are_the_recorded_verdicts_under_the_required_set(
    seeded: Seeded,
) -> None:
    found = rows(seeded)
    assert found[("credit", "1.0.0")].verdict == "passed"
    assert found[("credit", "2.0.0")].verdict == "failed"
    assert found[("credit", "2.0.0")].missing_policies == ()


def test_a_version_missing_a_required_policy_is_incomplete_not_passed(seeded: Seeded) -> None:
    churn = rows(seeded)[("churn", "1.0.0")]
    assert churn.recorded_verdict == "passed"
    assert churn.verdict == "incomplete"
    assert churn.missing_policies == ("eu-ai-act",)


def test_with_nothing_required_the_recorded_verdict_stands(seeded: Seeded) -> None:
    churn = rows(seeded, Settings())[("churn", "1.0.0")]
    assert churn.verdict == "passed"
    assert churn.missing_policies == ()


def test_waivers_show_open_and_expired_for_the_version_only(seeded: Seeded) -> None:
    fraud = rows(seeded)[("fraud", "3.1.0")]
    assert [(w.rule_id, w.expires) for w in fraud.open_waivers] == [
        ("demographic-parity", "2099-12-31")
    ]
    assert [(w.rule_id, w.expires) for w in fraud.expired_waivers] == [
        ("equalized-odds", "2020-01-31")
    ]
    assert rows(seeded)[("credit", "1.0.0")].waivers == ()


def test_a_waiver_past_its_date_today_counts_as_expired(seeded: Seeded) -> None:
    with AuditStore.open(seeded.url, create=False) as store:
        later = model_inventory(store, REQUIRED.required_policies, today=dt.date(2100, 1, 1))
    fraud = next(row for row in later if row.model == "fraud")
    assert fraud.open_waivers == ()
    assert {w.rule_id for w in fraud.expired_waivers} == {"demographic-parity", "equalized-odds"}


def test_monitoring_shows_the_latest_window_by_time(seeded: Seeded) -> None:
    found = rows(seeded)
    credit = found[("credit", "1.0.0")]
    assert credit.monitoring == "failed"
    assert credit.monitored_at == "2026-12-15T00:00:00Z"
    assert credit.monitoring_evaluation_id == seeded.records["window"]["evaluation_id"]
    assert found[("credit", "2.0.0")].monitoring == "not monitored"
    assert found[("credit", "2.0.0")].monitored_at is None


def test_the_registry_link_is_read_when_the_record_has_one(seeded: Seeded) -> None:
    found = rows(seeded)
    fraud = found[("fraud", "3.1.0")]
    assert (fraud.registry_name, fraud.registry_version, fraud.registry_uri) == (
        "fraud",
        "7",
        "models:/fraud/7",
    )
    assert found[("churn", "1.0.0")].registry_uri is None


def test_approvals_say_not_configured_without_approval_settings(seeded: Seeded) -> None:
    assert {row.approvals for row in rows(seeded).values()} == {"not configured"}


def test_approvals_name_who_approved_and_the_roles_the_tier_still_needs(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from governance.approvals import approve
    from tests.approvals.conftest import FIRST, SECOND, make_setup

    setup = make_setup(tmp_path)
    settings = setup.settings()
    when = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    with setup.open() as store:
        approve(store, SECOND, role="validator", key=setup.validator, settings=settings, now=when)
        found = model_inventory(store, settings.required_policies, settings=settings, today=TODAY)
        first = approvals_summary(store, FIRST, settings)
    [row] = found  # credit 1.0.0, evaluated twice: the latest evaluation's approvals
    assert row.approvals == "missing risk_owner; validator: vera, 2026-12-07"
    assert first == "missing validator, risk_owner"
    with setup.open() as store:
        approve(store, SECOND, role="risk_owner", key=setup.risk_owner, settings=settings, now=when)
        assert approvals_summary(store, SECOND, settings).startswith("complete; validator: vera")


def test_the_latest_report_of_the_latest_evaluation_is_shown(seeded: Seeded) -> None:
    found = rows(seeded)
    assert found[("credit", "2.0.0")].report_digest == "sha256:" + "ab" * 32
    assert found[("credit", "2.0.0")].report_signed is True
    assert found[("credit", "1.0.0")].report_digest is None


def test_a_tampered_evaluation_entry_is_refused_not_listed(seeded: Seeded) -> None:
    conn = sqlite3.connect(seeded.url.removeprefix("sqlite:///"))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute(
        "UPDATE audit_log SET payload = replace(payload, '\"failed\"', '\"passed\"') "
        "WHERE kind = 'evaluation'"
    )
    conn.commit()
    conn.close()
    with AuditStore.open(seeded.url, create=False) as store, pytest.raises(VerificationFailed):
        model_inventory(store, REQUIRED.required_policies, today=TODAY)


def test_an_edited_query_table_does_not_change_a_verdict(seeded: Seeded) -> None:
    conn = sqlite3.connect(seeded.url.removeprefix("sqlite:///"))
    conn.execute("UPDATE evaluations SET verdict = 'passed'")
    conn.commit()
    conn.close()
    assert rows(seeded)[("credit", "2.0.0")].verdict == "failed"
