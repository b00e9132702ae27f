"""The drift.* checks: a shift confined to one group is found and named, per feature."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from governance.checks import default_registry
from governance.errors import DataError
from governance.evaluators.drift import DriftOptions, compare_frames
from governance.policy.engine import Facts, GateSettings, evaluate_rule, run_check
from governance.policy.model import Finding, Outcome
from tests.evaluators.helpers import make_context
from tests.policy.helpers import rule_from


def frames(shift: float = 15.0, rows: int = 2000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current data; in the current data group B's age is shifted."""
    rng = np.random.default_rng(3)

    def sample(shift_b: float) -> pd.DataFrame:
        group = rng.choice(["A", "B"], size=rows, p=[0.8, 0.2])
        age = rng.normal(40, 10, size=rows) + np.where(group == "B", shift_b, 0.0)
        job = rng.choice(["clerk", "driver", "nurse"], size=rows)
        return pd.DataFrame({"group": group, "age": age, "job": job})

    return sample(0.0), sample(shift)


def context_for(reference: pd.DataFrame, current: pd.DataFrame):  # type: ignore[no-untyped-def]
    rows = len(current)
    context = make_context(current, np.zeros(rows), np.zeros(rows), ["group"])
    context.reference = reference
    return context


def judge(tmp_path: Path, context, rule_yaml: str) -> Finding:  # type: ignore[no-untyped-def]
    rule = rule_from(tmp_path, rule_yaml)
    registry = default_registry(plugins=False)
    return evaluate_rule(rule, lambda: run_check(rule, context, registry), Facts(), GateSettings())


PSI_RULE = """
- id: psi
  title: t
  severity: high
  check: drift.psi
  params: {features: [age, job]}
  threshold: {max: 0.25}
"""


def test_a_shift_in_one_group_fails_and_names_feature_and_group(tmp_path: Path) -> None:
    finding = judge(tmp_path, context_for(*frames()), PSI_RULE)
    assert finding.outcome is Outcome.FAIL
    assert "PSI of age in B by group" in finding.message
    worst = finding.evidence["worst"]
    assert (worst["feature"], worst["group"]) == ("age", "B")
    age = next(row for row in finding.evidence["features"] if row["feature"] == "age")
    overall = next(cell for cell in age["cells"] if cell["group"] == "overall")
    assert overall["value"] < worst["value"]  # diluted over all rows: per group is what sees it


def test_no_shift_passes(tmp_path: Path) -> None:
    finding = judge(tmp_path, context_for(*frames(shift=0.0)), PSI_RULE)
    assert finding.outcome is Outcome.PASS
    assert finding.measured is not None and finding.measured < 0.1


def test_a_small_group_is_insufficient_or_left_out(tmp_path: Path) -> None:
    reference, current = frames()
    current = current[(current["group"] == "A") | (current.index < 100)]  # ~20 rows of B
    finding = judge(tmp_path, context_for(reference, current), PSI_RULE)
    assert finding.outcome is Outcome.INSUFFICIENT
    assert "age in B by group" in finding.message
    left_out = PSI_RULE.replace(
        "features: [age, job]", "features: [age, job], small_groups: leave_out"
    )
    assert judge(tmp_path, context_for(reference, current), left_out).outcome is Outcome.PASS


@pytest.mark.parametrize(
    ("check", "threshold", "outcome"),
    [
        ("drift.ks_p_value", "{min: 0.01}", Outcome.FAIL),
        ("drift.ks_statistic", "{max: 0.1}", Outcome.FAIL),
        ("drift.jensen_shannon", "{max: 0.1}", Outcome.FAIL),
        ("drift.wasserstein", "{max: 5}", Outcome.FAIL),
        ("drift.chi_square_p_value", "{min: 0.001}", Outcome.PASS),
        ("drift.missing_share", "{max: 0}", Outcome.PASS),
    ],
)
def test_each_statistic_judges(
    tmp_path: Path, check: str, threshold: str, outcome: Outcome
) -> None:
    rule = PSI_RULE.replace("drift.psi", check).replace("{max: 0.25}", threshold)
    finding = judge(tmp_path, context_for(*frames()), rule)
    assert finding.outcome is outcome, finding.message


def test_ks_on_categoricals_only_is_an_error(tmp_path: Path) -> None:
    rule = PSI_RULE.replace("drift.psi", "drift.ks_statistic").replace("[age, job]", "[job]")
    finding = judge(tmp_path, context_for(*frames()), rule)
    assert finding.outcome is Outcome.ERROR
    assert "no numeric feature" in finding.message


def test_out_of_range_counts_values_and_categories_the_reference_never_shows(
    tmp_path: Path,
) -> None:
    reference, current = frames(shift=0.0)
    current = current.copy()
    current.loc[:99, "job"] = "pilot"
    rule = PSI_RULE.replace("drift.psi", "drift.out_of_range_share").replace(
        "{max: 0.25}", "{max: 0.01}"
    )
    finding = judge(tmp_path, context_for(reference, current), rule)
    assert finding.outcome is Outcome.FAIL
    assert finding.evidence["worst"]["feature"] == "job"


def test_reference_file_named_in_params(tmp_path: Path) -> None:
    reference, current = frames()
    reference.to_csv(tmp_path / "reference.csv", index=False)
    context = make_context(current, np.zeros(len(current)), np.zeros(len(current)), ["group"])
    context.manifest = dataclasses.replace(context.manifest, path=tmp_path / "m.yaml")
    rule = PSI_RULE.replace(
        "features: [age, job]", "features: [age, job], reference: reference.csv"
    )
    finding = judge(tmp_path, context, rule)
    assert finding.outcome is Outcome.FAIL
    assert finding.evidence["reference"] == "reference.csv"


def test_a_column_missing_from_the_reference_is_a_data_error(tmp_path: Path) -> None:
    reference, current = frames()
    reference.drop(columns="job").to_csv(tmp_path / "reference.csv", index=False)
    context = make_context(current, np.zeros(len(current)), np.zeros(len(current)), ["group"])
    context.manifest = dataclasses.replace(context.manifest, path=tmp_path / "m.yaml")
    rule = rule_from(
        tmp_path, PSI_RULE.replace("[age, job]", "[age, job], reference: reference.csv")
    )
    with pytest.raises(DataError, match=r"'job' is not in the reference data reference\.csv"):
        run_check(rule, context, default_registry(plugins=False))


def test_no_reference_is_a_data_error(tmp_path: Path) -> None:
    reference, current = frames()
    context = context_for(reference, current)
    context.reference = None
    rule = rule_from(tmp_path, PSI_RULE)
    with pytest.raises(DataError, match="no reference data"):
        run_check(rule, context, default_registry(plugins=False))


def test_compare_frames_is_callable_without_a_policy() -> None:
    reference, current = frames()
    table = compare_frames(
        reference, current, features=["age", "job"], groupings=[["group"]], options=DriftOptions()
    )
    age, job = table
    assert (age.kind, job.kind) == ("numeric", "categorical")
    assert [cell.group for cell in age.cells] == ["overall", "A", "B"]
    b = age.cells[2]
    assert b.values["ks_p_value"] < 1e-6 and b.values["psi"] > 0.25
    assert job.overall.values["chi_square_p_value"] is not None
    assert "ks_statistic" not in job.overall.values


def test_an_assert_reads_the_per_group_evidence(tmp_path: Path) -> None:
    rule = """
- id: psi-women
  title: t
  severity: high
  check: drift.psi
  params: {features: [age]}
  assert: >-
    evidence.features.all(f, f.cells.all(c, c.group == "A" || c.value < 0.25))
"""
    assert judge(tmp_path, context_for(*frames()), rule).outcome is Outcome.FAIL
    only_a = rule.replace('c.group == "A"', 'c.group == "B"')
    assert judge(tmp_path, context_for(*frames()), only_a).outcome is Outcome.PASS
