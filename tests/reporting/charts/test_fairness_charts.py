"""SVG charts of gating fairness findings, drawn at render time: threshold, greyscale, bytes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from governance.checks.params import DisparityParams, EqualizedOddsParams
from governance.cli import main
from governance.evaluators import fairness
from governance.record import read_record
from governance.reporting.charts import record_charts
from governance.reporting.charts.fairness import finding_chart
from tests.conftest import MANIFEST, synthetic_frame
from tests.evaluators.helpers import make_context

Write = Callable[[str, str], Path]


def finding(params: DisparityParams, threshold: dict[str, Any], check: str) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    rows = 3000
    frame = pd.DataFrame(
        {"sex": rng.choice(["f", "m"], size=rows), "band": rng.choice(["<25", "25+"], size=rows)}
    )
    y = (rng.random(rows) < 0.4).astype(np.int8)
    p = (rng.random(rows) < np.where(frame.sex == "f", 0.3, 0.45)).astype(np.int8)
    context = make_context(frame, y, p, ["sex", "band"])
    measurement = getattr(fairness, check)(context, params)
    return {
        "rule_id": "rule",
        "check": f"fairness.{check}",
        "severity": "high",
        "outcome": "fail",
        "measured": measurement.value,
        "threshold": threshold,
        "evidence": measurement.evidence,
    }


def drawn(item: dict[str, Any]) -> dict[str, str] | None:
    chart = finding_chart(item)
    return None if chart is None else {"title": chart[0], "svg": chart[1]()}


def test_the_threshold_is_drawn_on_the_metric_scale() -> None:
    ratio = finding(DisparityParams(), {"min": 0.8, "max": None}, "demographic_parity_ratio")
    chart = drawn(ratio)
    assert chart is not None
    assert chart["title"].startswith("rule: measured ")
    assert "95% interval" in chart["title"] and "threshold ≥ 0.8" in chart["title"]
    svg = chart["svg"]
    assert "0.8 × highest" in svg  # the four-fifths line, labelled
    for label in ("f  (n=", "m  (n=", "by sex: measured", "by band: measured"):
        assert label in svg
    difference = finding(
        DisparityParams(method="to_reference", reference_group="m", sensitive_features=["sex"]),
        {"min": None, "max": 0.1},
        "demographic_parity_difference",
    )
    reference = drawn(difference)
    assert reference is not None and "reference ± 0.1" in reference["svg"]


def test_charts_are_greyscale() -> None:
    chart = drawn(
        finding(EqualizedOddsParams(), {"min": None, "max": 0.1}, "equalized_odds_difference")
    )
    assert chart is not None
    colours = set(re.findall(r"#([0-9a-fA-F]{6})\b", chart["svg"]))
    assert colours
    for colour in colours:
        red, green, blue = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
        assert red == green == blue, colour


def test_the_same_evidence_gives_the_same_bytes_in_another_process() -> None:
    item = finding(DisparityParams(), {"min": 0.8, "max": None}, "demographic_parity_ratio")
    chart = drawn(item)
    assert chart is not None
    script = (
        "import json, sys; from governance.reporting.charts.fairness import finding_chart; "
        "sys.stdout.write(finding_chart(json.loads(sys.stdin.read()))[1]())"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(item),
        capture_output=True,
        text=True,
        check=True,
    )
    assert other.stdout == chart["svg"]


POLICY = """
apiVersion: governance/v1
kind: Policy
metadata: {name: p, version: 1.0.0}
rules:
  - id: gating
    title: Four-fifths
    severity: high
    check: fairness.demographic_parity_ratio
    params: {sensitive_features: [sex]}
    threshold: {min: 0.8}
  - id: advisory
    title: Gap
    severity: low
    check: fairness.demographic_parity_difference
    threshold: {max: 1.0}
  - id: medium
    title: Gap, medium
    severity: medium
    check: fairness.demographic_parity_difference
    threshold: {max: 1.0}
  - id: accuracy
    title: Accuracy
    severity: high
    check: performance.metric
    params: {metric: accuracy}
    threshold: {min: 0.5}
"""


def test_each_gating_fairness_finding_is_charted_from_the_record_alone(
    tmp_path: Path, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    synthetic_frame().to_csv(tmp_path / "data.csv", index=False)
    manifest = write("manifest.yaml", MANIFEST)
    policy = write("policy.yaml", POLICY)
    with pytest.raises(SystemExit):
        main(
            [
                "check",
                str(manifest),
                "-p",
                str(policy),
                "--store",
                f"sqlite:///{tmp_path / 'a.db'}",
                "--format",
                "json",
            ]
        )
    record = json.loads(capsys.readouterr().out)
    assert record["schema_version"] == 2
    assert all("charts" not in f for f in record["findings"])  # data, not pictures
    charts = dict(
        zip(
            [f["rule_id"] for f in record["findings"]],
            record_charts(read_record(record)),
            strict=True,
        )
    )
    assert len(charts["gating"]) == 1 and charts["gating"][0].draw().startswith("<?xml")
    assert charts["advisory"] == []  # a passing low-severity rule: no chart
    assert len(charts["medium"]) == 1  # medium severity is charted though it does not gate
    assert charts["accuracy"] == []  # an overall metric has no groups to chart
