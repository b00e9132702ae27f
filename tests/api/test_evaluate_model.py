"""governance.evaluate_model(): a fitted estimator and a DataFrame, no files, the same checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import governance
from governance.errors import InputError
from tests.api.conftest import log_size


@pytest.fixture
def people() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = 800
    frame = pd.DataFrame(
        {
            "income": rng.normal(size=rows),
            "debt": rng.normal(size=rows),
            "sex": rng.choice(["female", "male"], size=rows),
        }
    )
    frame["repaid"] = (frame.income - frame.debt + rng.normal(scale=0.7, size=rows) > 0).astype(int)
    return frame


@pytest.fixture
def model(people: pd.DataFrame) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(people[["income", "debt"]], people["repaid"])


def evaluate(model: Any, people: pd.DataFrame, **overrides: Any) -> governance.Evaluation:
    arguments: dict[str, Any] = {
        "target": "repaid",
        "sensitive_features": "sex",
        "policies": "pack:fairness-baseline",
        "name": "credit",
        "version": "1.0.0",
    }
    arguments.update(overrides)
    return governance.evaluate_model(model, people, **arguments)


def test_evaluate_model_is_a_dry_run_by_default(
    model: Any, people: pd.DataFrame, tmp_path: Path
) -> None:
    db = tmp_path / "audit.db"
    result = evaluate(model, people, store=f"sqlite:///{db}")
    assert result.verdict in ("passed", "failed") and not result.recorded
    assert {f.rule_id for f in result.findings} >= {"four-fifths-rule", "accuracy"}
    assert not db.exists()


def test_evaluate_model_gives_the_numbers_check_gives_from_files(
    model: Any, people: pd.DataFrame, tmp_path: Path
) -> None:
    import skops.io as sio

    in_memory = evaluate(model, people)
    people.to_csv(tmp_path / "data.csv", index=False)
    sio.dump(model, tmp_path / "model.skops")
    (tmp_path / "manifest.yaml").write_text(
        "apiVersion: governance/v1\nkind: Model\nmetadata: {name: credit, version: 1.0.0, "
        "owner: unknown, risk_tier: high, intended_use: x}\nmodel: {path: model.skops}\n"
        "data: {path: data.csv, target: repaid, positive_label: 1, sensitive_features: [sex]}\n",
        encoding="utf-8",
    )
    from_files = governance.check(
        tmp_path / "manifest.yaml", "pack:fairness-baseline", dry_run=True
    )
    assert [(f.rule_id, f.outcome, f.measured) for f in in_memory.findings] == [
        (f.rule_id, f.outcome, f.measured) for f in from_files.findings
    ]


def test_a_recorded_in_memory_evaluation_names_memory_sources_and_stable_digests(
    model: Any, people: pd.DataFrame, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    first = evaluate(model, people, store=url, dry_run=False)
    again = evaluate(model, people, store=url, dry_run=False)
    assert first.recorded and log_size(tmp_path / "audit.db") == 6
    artifacts = first.to_dict()["artifacts"]
    assert artifacts["data"]["path"] == "memory:DataFrame"
    assert artifacts["model"]["path"] == "memory:LogisticRegression"
    assert first.to_dict()["manifest"]["path"] == "memory:evaluate_model"
    assert artifacts == again.to_dict()["artifacts"]  # the digests depend on content only
    changed = evaluate(model, people.assign(debt=people.debt + 1), dry_run=True)
    assert changed.to_dict()["artifacts"]["data"]["digest"] != artifacts["data"]["digest"]


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"target": "defaulted"}, "target", "'defaulted' is not a column of the data"),
        ({"sensitive_features": ["sex", "race"]}, "sensitive_features", "'race' is not a column"),
        ({"predictions": "score"}, "predictions", "'score' is not a column"),
        ({"fail_on": "severe"}, None, "fail_on must be one of critical, high"),
        ({"version": "one"}, "metadata.version", ""),
    ],
)
def test_a_bad_argument_names_its_field(
    model: Any, people: pd.DataFrame, overrides: dict[str, Any], field: str | None, words: str
) -> None:
    with pytest.raises(InputError) as caught:
        evaluate(model, people, **overrides)
    assert caught.value.field == field and words in caught.value.message
    assert caught.value.exit_code == 2


def test_an_unfitted_model_or_no_dataframe_is_refused(people: pd.DataFrame) -> None:
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(InputError, match="model: LogisticRegression is not fitted"):
        evaluate(LogisticRegression(), people)
    with pytest.raises(InputError, match="data: must be a pandas DataFrame, found dict"):
        evaluate(LogisticRegression(), people.to_dict())


def test_a_predictions_column_needs_no_model(people: pd.DataFrame) -> None:
    result = evaluate(None, people.assign(predicted=people.repaid), predictions="predicted")
    assert next(f for f in result.findings if f.rule_id == "accuracy").measured == 1.0
