"""Bad fairness input stops `governance check` with one line naming the file and field, exit 2,
and nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from governance.cli import main
from tests.conftest import MANIFEST, synthetic_frame

Write = Callable[[str, str], Path]

POLICY = """
apiVersion: governance/v1
kind: Policy
metadata:
  name: p
  version: 1.0.0
rules:
  - id: dp
    title: Four-fifths
    severity: high
    check: fairness.demographic_parity_ratio
    params:
      {params}
    threshold:
      min: 0.8
"""


def check(
    tmp_path: Path,
    write: Write,
    capsys: pytest.CaptureFixture[str],
    frame: pd.DataFrame,
    params: str = "method: between_groups",
    check_type: str = "fairness.demographic_parity_ratio",
) -> tuple[int, str]:
    frame.to_csv(tmp_path / "data.csv", index=False)
    manifest = write("manifest.yaml", MANIFEST)
    policy = write(
        "policy.yaml",
        POLICY.format(params=params).replace("fairness.demographic_parity_ratio", check_type),
    )
    db = tmp_path / "audit.db"
    capsys.readouterr()
    with pytest.raises(SystemExit) as caught:
        main(["check", str(manifest), "-p", str(policy), "--store", f"sqlite:///{db}"])
    out, err = capsys.readouterr()
    assert out == ""
    assert not db.exists() or db.stat().st_size == 0 or _entries(db) == 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return int(caught.value.code or 0), lines[0]


def _entries(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        if "audit_log" not in tables:
            return 0
        return int(conn.execute("select count(*) from audit_log").fetchone()[0])


def with_score(frame: pd.DataFrame, row: int, value: float) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[row, "score"] = value
    return frame


CASES = {
    "nan-score": (
        lambda f: with_score(f, 3, np.nan),
        {},
        "data.csv: score has 1 missing (NaN) values",
    ),
    "infinite-score": (
        lambda f: with_score(f, 3, np.inf),
        {},
        "data.csv: score: score has 1 infinite values",
    ),
    "odd-prediction-label": (
        lambda f: f.assign(prediction=np.where(np.arange(len(f)) == 7, "maybe", f.prediction)),
        {},
        "data.csv: prediction has labels the target 'label' does not have (1 of them); "
        "predictions must use the target's 2 labels",
    ),
    "single-group": (
        lambda f: f.assign(group="a"),
        {},
        "data.csv: group: sensitive feature 'group' has a single group; comparing groups needs two",
    ),
    "no-such-reference-group": (
        lambda f: f,
        {"params": "{method: to_reference, reference_group: other, sensitive_features: [sex]}"},
        "policy.yaml:7:5: params.reference_group: rule dp: reference_group 'other' is not a "
        "group of sex (groups: 'female', 'male')",
    ),
    "scores-not-probabilities": (
        lambda f: with_score(with_score(f, 0, 1.7), 1, 0.0),
        {"check_type": "fairness.calibration_gap", "params": "{method: between_groups}"},
        "data.csv: score: expected_calibration_error needs probabilities, but the scores range "
        "over [0, 1.7], outside [0, 1]",
    ),
    "bounds-without-resamples": (
        lambda f: f,
        {"params": "{gate_on: ci_lower, n_boot: 0}"},
        "gate_on ci_lower needs n_boot of at least 1",
    ),
    "reference-without-method": (
        lambda f: f,
        {"params": "{reference_group: male}"},
        "reference_group goes with method: to_reference",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, write: Write, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    change, options, expected = CASES[case]
    code, line = check(tmp_path, write, capsys, change(synthetic_frame(rows=600)), **options)
    assert code == 2, line
    assert line.startswith("Error: ") and expected in line, line
