"""A real MLflow tracking store (SQLite, local artifact root) with the German-credit model."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "german-credit"

pytest.importorskip("mlflow")


class Registry(NamedTuple):
    tracking: str
    folder: Path
    run_id: str


def policy(folder: Path, name: str, minimum: float) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: governance/v1
            kind: Policy
            metadata: {{name: {name}, version: 1.2.0}}
            rules:
              - id: accuracy
                title: Accuracy
                severity: high
                check: performance.metric
                params: {{metric: accuracy}}
                threshold: {{min: {minimum}}}
            """
        )
    )
    return path


def manifest(folder: Path, uri: str, *, trusted: bool = False) -> Path:
    path = folder / "credit.yaml"
    trust = "\n  trusted: true" if trusted else ""
    path.write_text(
        textwrap.dedent(
            """\
            apiVersion: governance/v1
            kind: Model
            metadata:
              name: credit
              version: 1.0.0
              owner: risk@example.org
              risk_tier: high
              intended_use: test
            model:
              uri: {uri}{trust}
            data:
              path: german-test.csv.gz
              target: credit_risk
              positive_label: good
              sensitive_features: [sex]
            """
        ).format(uri=uri, trust=trust)
    )
    return path


def log_version(tracking: str, fmt: str = "skops", alias: str | None = "candidate") -> str:
    """Log the sample model to a new run, register it as `credit`; return the run id."""
    import mlflow
    import pandas as pd
    import skops.io as sio
    from mlflow import MlflowClient

    model_file = SAMPLE / "models" / "credit-logistic.skops"
    types = sio.get_untrusted_types(file=model_file)
    model = sio.load(model_file, trusted=types)
    mlflow.set_tracking_uri(tracking)
    mlflow.set_experiment("credit-training")
    train = pd.read_csv(SAMPLE / "data" / "german-train.csv.gz")
    with mlflow.start_run() as run:
        mlflow.log_param("C", "1.0")
        mlflow.log_metric("train_accuracy", 0.78)
        dataset = mlflow.data.from_pandas(
            train, source="data/german-train.csv.gz", name="german-train"
        )
        mlflow.log_input(dataset, context="training")
        extra = {"skops_trusted_types": types} if fmt == "skops" else {}
        info = mlflow.sklearn.log_model(
            model, name="model", registered_model_name="credit", serialization_format=fmt, **extra
        )
    version = MlflowClient().get_model_version("credit", str(info.registered_model_version)).version
    if alias:
        MlflowClient().set_registered_model_alias("credit", alias, str(version))
    return run.info.run_id


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> tuple[Path, str]:
    """One store with version 1 of `credit` (alias candidate): creating one takes 20 s."""
    import mlflow

    folder = tmp_path_factory.mktemp("registry") / "mlflow"
    folder.mkdir()
    tracking = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(tracking)
    mlflow.create_experiment("credit-training", artifact_location=(folder / "artifacts").as_uri())
    return folder, log_version(tracking)


@pytest.fixture
def registry(template, tmp_path, monkeypatch) -> Registry:
    """A copy of the template store (new versions' files go to the template's artifact root)."""
    import mlflow

    folder = tmp_path / "mlflow"
    shutil.copytree(template[0], folder)
    tracking = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(tracking)
    run_id = template[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking)
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLE / "data" / "german-test.csv.gz", tmp_path / "german-test.csv.gz")
    return Registry(tracking, tmp_path, run_id)
