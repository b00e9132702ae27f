"""A manifest with a model: data.features must be the model's columns; data.score is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.conftest import REPO

SAMPLE = REPO / "samples" / "adult-income"
POLICY = REPO / "policies" / "fairness-baseline.yaml"


def _manifest(tmp_path: Path, extra: str) -> Path:
    text = (SAMPLE / "baseline.yaml").read_text(encoding="utf-8")
    text = text.replace("  sensitive_features:", f"  {extra}\n  sensitive_features:", 1)
    text = text.replace("path: models/", f"path: {SAMPLE}/models/")
    text = text.replace("path: data/", f"path: {SAMPLE}/data/")
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "field", "says"),
    [
        ("features: [age, bogus]", "data.features", "the model was not fitted on bogus"),
        ("features: [age]", "data.features", "leaves out workclass"),
        ("score: sex", "data.score", "the scores come from its predict_proba"),
    ],
)
def test_columns_the_model_would_ignore_are_an_error(
    run: Run, tmp_path: Path, extra: str, field: str, says: str
) -> None:
    manifest = _manifest(tmp_path, extra)
    store = tmp_path / "audit.db"
    result = run("check", manifest, "-p", POLICY, "--store", f"sqlite:///{store}")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {manifest}:")
    assert f": {field}: " in result.stderr and says in result.stderr
    assert result.stderr.count("\n") == 1
    assert not store.exists()  # nothing written


def test_features_listing_the_model_columns_in_another_order_are_fine(
    run: Run, tmp_path: Path
) -> None:
    from governance.model_artifact import load_skops

    model = load_skops(SAMPLE / "models" / "baseline.skops", trusted=False)
    columns = list(reversed([str(c) for c in model.feature_names_in_]))
    manifest = _manifest(tmp_path, f"features: [{', '.join(columns)}]")
    result = run("check", manifest, "-p", POLICY, "--store", f"sqlite:///{tmp_path / 'a.db'}")
    assert result.exit_code == 1  # the baseline's four-fifths finding, as without the list
    assert "four-fifths-rule" in result.stdout
