"""The finding's message, groups and point-and-interval included, is the same in every format."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from governance.policy.engine import Facts, GateSettings, evaluate_rule
from governance.policy.model import Measurement
from governance.reporting.formats import format_record
from tests.policy.helpers import rule_from
from tests.policy.test_messages import EO_CI_RULE, EO_EVIDENCE, FAIRNESS, RATIO_RULE

FORMATS = ("text", "json", "sarif", "junit", "github", "markdown")


def _read(shown: str, fmt: str) -> str:
    """What a reader sees: GitHub's workflow commands and Markdown unescaped."""
    if fmt == "github":
        return shown.replace("%25", "%")
    return re.sub(r"\\(.)", r"\1", shown) if fmt == "markdown" else shown


def _with(record: dict[str, Any], tmp_path: Path, rule: str, value: float, evidence: Any) -> str:
    finding = evaluate_rule(
        rule_from(tmp_path, rule), lambda: Measurement(value, evidence), Facts(), GateSettings()
    ).as_dict()
    record["findings"] = [finding, *record["findings"][1:]]
    return str(finding["message"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_disparity_names_its_groups_in_every_format(
    record: dict[str, Any], tmp_path: Path, fmt: str
) -> None:
    _with(record, tmp_path, RATIO_RULE, 0.2292, FAIRNESS)
    shown = _read(format_record(record, fmt), fmt)
    assert "by sex (female 0.11 vs male 0.48)" in shown


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_rule_on_a_bound_shows_point_and_interval_in_every_format(
    record: dict[str, Any], tmp_path: Path, fmt: str
) -> None:
    _with(record, tmp_path, EO_CI_RULE, 0.2167, EO_EVIDENCE)
    shown = _read(format_record(record, fmt), fmt)
    assert "upper 95% bound 0.2167 (point 0.0885, interval [0.0476, 0.2167])" in shown
