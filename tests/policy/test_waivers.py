"""Waivers: loading (no catch-alls), expiry at the end of the UTC day, and how they apply."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from governance.errors import PolicyError
from governance.policy.engine import Facts, GateSettings, evaluate_rule
from governance.policy.model import Finding, Measurement, Outcome
from governance.policy.waivers import apply_waivers, load_waivers
from tests.policy.helpers import load, policy_text

Write = Callable[[str, str], Path]

WAIVER = """
apiVersion: governance/v1
kind: Waivers
waivers:
  - rule_id: dp-ratio
    subject: {model: credit, version: 2.0.0}
    justification: Business necessity documented in the validation report.
    approved_by: chief-risk-officer@example.org
    ticket: GOV-42
    expires: 2026-03-31
"""


def waivers_error(write: Write, text: str) -> str:
    path = write("waivers.yaml", text)
    with pytest.raises(PolicyError) as caught:
        load_waivers(path)
    assert caught.value.exit_code == 2
    return str(caught.value).removeprefix(f"{path}:")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("rule_id: dp-ratio", 'rule_id: ""'),
            "4:14: waivers[0].rule_id: is empty: a waiver names exactly one rule and one model",
        ),
        (
            ("rule_id: dp-ratio", 'rule_id: "*"'),
            "4:14: waivers[0].rule_id: '*' is a wildcard: a waiver names exactly one rule and "
            "one model (write one waiver per rule)",
        ),
        (
            ("rule_id: dp-ratio", "rule_id: dp-*"),
            "4:14: waivers[0].rule_id: 'dp-*' is a wildcard: a waiver names exactly one rule and "
            "one model (write one waiver per rule)",
        ),
        (
            ("{model: credit, version: 2.0.0}", "{model: '*'}"),
            "5:22: waivers[0].subject.model: '*' is a wildcard: a waiver names exactly one rule "
            "and one model (write one waiver per rule)",
        ),
        (
            ("expires: 2026-03-31", "expires: 2026-03-31T12:00:00Z"),
            "9:14: waivers[0].expires: 2026-03-31 12:00:00+00:00 is not a date: write "
            "YYYY-MM-DD (a waiver ends with that day, UTC)",
        ),
        (
            ("expires: 2026-03-31", "expires: next week"),
            "9:14: waivers[0].expires: next week is not a date: write YYYY-MM-DD (a waiver ends "
            "with that day, UTC)",
        ),
        (
            ("expires: 2026-03-31", "expires: 2030-13-45"),
            "9:14: waivers[0].expires: not a valid date (2030-13-45: month must be in 1..12)",
        ),
        (
            ("expires: 2026-03-31", "expires: 2030-12-31T25:00:00"),
            "9:14: waivers[0].expires: not a valid date (2030-12-31T25:00:00: hour must be in "
            "0..23)",
        ),
        (
            ("expires: 2026-03-31", 'expires: "2030-02-30"'),
            "9:14: waivers[0].expires: not a valid date (2030-02-30: day is out of range for "
            "month)",
        ),
        (
            ("expires: 2026-03-31", "expires: 20300101"),
            "9:14: waivers[0].expires: Input should be a valid date, found the number 20300101",
        ),
        (
            ("ticket: GOV-42", "ticket: 42"),
            "8:13: waivers[0].ticket: Input should be a valid string, found the number 42",
        ),
        (
            ("    ticket: GOV-42\n", ""),
            "4:5: waivers[0].ticket: required field is missing",
        ),
        (
            ("kind: Waivers", "kind: Waiver"),
            "2:7: kind: kind must be 'Waivers', found 'Waiver'",
        ),
        (
            ("    ticket: GOV-42\n", "    ticket: GOV-42\n    reason: because\n"),
            "9:5: waivers[0].reason: unknown key 'reason' in waivers[0]",
        ),
    ],
)
def test_bad_waivers_are_rejected_at_load_with_file_and_line(
    write: Write, change: tuple[str, str], expected: str
) -> None:
    text = textwrap.dedent(WAIVER).lstrip()
    assert change[0] in text
    assert waivers_error(write, text.replace(*change)) == expected


def test_a_quoted_expiry_date_is_still_a_date(write: Write) -> None:
    (waiver,) = load_waivers(write("waivers.yaml", WAIVER.replace("2026-03-31", '"2026-03-31"')))
    assert waiver.spec.expires == date(2026, 3, 31)


def test_a_waiver_file_loads_with_positions(write: Write) -> None:
    (waiver,) = load_waivers(write("waivers.yaml", WAIVER))
    assert waiver.rule_id == "dp-ratio" and waiver.line == 4
    assert waiver.source.endswith("waivers.yaml:4")


@pytest.mark.parametrize(
    ("now", "expired"),
    [
        (datetime(2026, 3, 31, 0, 0, tzinfo=UTC), False),
        (datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC), False),
        (datetime(2026, 4, 1, 0, 0, tzinfo=UTC), True),
        (datetime(2026, 12, 1, tzinfo=UTC), True),
    ],
)
def test_a_waiver_holds_through_the_end_of_its_expiry_day_utc(
    write: Write, now: datetime, expired: bool
) -> None:
    (waiver,) = load_waivers(write("waivers.yaml", WAIVER))
    assert waiver.spec.is_expired(now) is expired


RULES = """
- id: dp-ratio
  title: Four-fifths
  severity: high
  check: fairness.demographic_parity_ratio
  threshold: {min: 0.8}
- id: accuracy
  title: Accuracy
  severity: medium
  check: performance.metric
  params: {metric: accuracy}
  threshold: {min: 0.7}
"""


def findings(tmp_path: Path, dp: float, accuracy: float) -> list[Finding]:
    policy = load(tmp_path, policy_text(RULES))[0]
    values = {"dp-ratio": dp, "accuracy": accuracy}
    return [
        evaluate_rule(rule, lambda v=values[rule.id]: Measurement(value=v), Facts(), GateSettings())
        for rule in policy.rules
    ]


def apply(
    tmp_path: Path,
    write: Write,
    text: str,
    dp: float = 0.6,
    accuracy: float = 0.9,
    *,
    model: str = "credit",
    version: str = "2.0.0",
    now: datetime = datetime(2026, 3, 1, tzinfo=UTC),
) -> tuple[list[Finding], list[dict]]:
    waivers = load_waivers(write("w.yaml", text))
    return apply_waivers(
        findings(tmp_path, dp, accuracy), waivers, model=model, version=version, now=now
    )


def test_a_current_waiver_waives_the_failure_and_keeps_the_measured_value(
    tmp_path: Path, write: Write
) -> None:
    result, reports = apply(tmp_path, write, WAIVER)
    waived = result[0]
    assert (waived.outcome, waived.blocking, waived.measured) == (Outcome.WAIVED, False, 0.6)
    assert waived.waiver is not None
    assert waived.waiver["ticket"] == "GOV-42" and waived.waiver["waived_outcome"] == "fail"
    assert "waived until 2026-03-31 (GOV-42" in waived.message
    record = waived.as_dict()
    assert record["outcome"] == "waived" and record["waiver"]["expires"] == "2026-03-31"
    assert [(r["rule_id"], r["status"]) for r in reports] == [("dp-ratio", "applied")]


def test_an_expired_waiver_leaves_the_failure_blocking_whatever_its_severity(
    tmp_path: Path, write: Write
) -> None:
    text = WAIVER.replace("rule_id: dp-ratio", "rule_id: accuracy")
    result, reports = apply(
        tmp_path, write, text, dp=0.9, accuracy=0.5, now=datetime(2026, 4, 1, tzinfo=UTC)
    )
    accuracy = result[1]  # medium: would only warn without the waiver
    assert (accuracy.outcome, accuracy.blocking) == (Outcome.FAIL, True)
    assert "its waiver expired on 2026-03-31 (GOV-42" in accuracy.message
    assert accuracy.waiver is not None and accuracy.waiver["status"] == "expired"
    assert reports[0]["status"] == "expired"
    assert reports[0]["reason"] == "expired on 2026-03-31: rule 'accuracy' stays fail and blocks"


def test_an_expired_waiver_of_a_passing_rule_is_reported_but_does_not_block(
    tmp_path: Path, write: Write
) -> None:
    result, reports = apply(tmp_path, write, WAIVER, dp=0.9, now=datetime(2026, 5, 1, tzinfo=UTC))
    assert not any(finding.blocking for finding in result)
    assert reports[0]["status"] == "expired"


@pytest.mark.parametrize(
    ("change", "kwargs", "reason"),
    [
        (("rule_id: dp-ratio", "rule_id: gone"), {}, "no rule 'gone' in the policies loaded"),
        (("", ""), {"version": "2.1.0"}, "the waiver is for credit 2.0.0; this is credit 2.1.0"),
        (("", ""), {"model": "other"}, "the waiver is for credit 2.0.0; this is other 2.0.0"),
        (("", ""), {"dp": 0.95}, "rule 'dp-ratio' is pass: nothing to waive"),
    ],
)
def test_a_waiver_that_waives_nothing_is_reported_unmatched(
    tmp_path: Path, write: Write, change: tuple[str, str], kwargs: dict, reason: str
) -> None:
    result, reports = apply(tmp_path, write, WAIVER.replace(*change), **kwargs)
    assert all(finding.outcome != Outcome.WAIVED for finding in result)
    assert (reports[0]["status"], reports[0]["reason"]) == ("unmatched", reason)


def test_a_versioned_waiver_is_preferred_and_the_other_reported(
    tmp_path: Path, write: Write
) -> None:
    general = (
        textwrap.dedent(WAIVER)
        .split("waivers:\n")[1]
        .replace("{model: credit, version: 2.0.0}", "{model: credit}")
        .replace("GOV-42", "GOV-7")
    )
    result, reports = apply(tmp_path, write, WAIVER.replace("waivers:\n", "waivers:\n" + general))
    assert result[0].waiver is not None and result[0].waiver["ticket"] == "GOV-42"
    statuses = {r["ticket"]: (r["status"], r["reason"]) for r in reports}
    assert statuses["GOV-42"][0] == "applied"
    assert statuses["GOV-7"][0] == "unmatched"
    assert statuses["GOV-7"][1].startswith("rule 'dp-ratio' is already waived by ")


def test_two_waivers_of_the_same_rule_and_subject_are_an_error(
    tmp_path: Path, write: Write
) -> None:
    entry = textwrap.dedent(WAIVER).split("waivers:\n")[1]
    with pytest.raises(PolicyError, match=r"w\.yaml:10:5: rule_id: a second waiver of rule "):
        apply(tmp_path, write, textwrap.dedent(WAIVER) + entry)


def test_waivers_in_a_policy_are_loaded_with_it(tmp_path: Path) -> None:
    extra = textwrap.dedent(WAIVER).split("kind: Waivers\n")[1]
    (policy,) = load(tmp_path, policy_text(RULES, extra=extra))
    assert [w.rule_id for w in policy.waivers] == ["dp-ratio"]
    assert policy.waivers[0].line == 5


def test_a_wildcard_waiver_in_a_policy_is_rejected(tmp_path: Path) -> None:
    extra = textwrap.dedent(WAIVER).split("kind: Waivers\n")[1].replace("dp-ratio", "'*'")
    with pytest.raises(PolicyError, match=r"policy\.yaml:5:14: waivers\[0\]\.rule_id: '\*' is a"):
        load(tmp_path, policy_text(RULES, extra=extra))
