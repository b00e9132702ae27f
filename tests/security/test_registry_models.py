"""A registered model is as hostile as a model file: what the registry holds loads under the
same rules, so a version whose file runs code when unpickled runs nothing unless trusted."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import yaml

from tests.registry.conftest import (  # noqa: F401 - the registry's fixtures
    log_version,
    manifest,
    policy,
    registry,
    template,
)

pytest.importorskip("mlflow")


class Gadget:
    """Unpickling it runs a shell command that leaves a marker file."""

    marker: Path

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _version_files(name: str, version: str) -> Path:
    """The folder of a registered version's files in the local artifact store."""
    from urllib.parse import urlparse

    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    model_id = client.get_model_version(name, version).source.removeprefix("models:/")
    location = client.get_logged_model(model_id).artifact_location
    folder = Path(urlparse(location).path)
    assert (folder / "MLmodel").is_file(), mlflow.__version__
    return folder


@pytest.fixture
def hostile(registry, tmp_path) -> tuple[Path, Path]:  # noqa: F811 - the fixture
    """Version 2 of `credit`, alias `pickled`, its model file replaced by a gadget."""
    log_version(registry.tracking, fmt="cloudpickle", alias="pickled")
    folder = _version_files("credit", "2")
    spec = yaml.safe_load((folder / "MLmodel").read_text())
    model_file = folder / spec["flavors"]["sklearn"]["pickled_model"]
    gadget = Gadget()
    gadget.marker = tmp_path / "ran"
    model_file.write_bytes(pickle.dumps(gadget))
    return folder, gadget.marker


def test_a_pickled_version_runs_no_code_unless_trusted(registry, run_cli, hostile):  # noqa: F811
    _, marker = hostile
    rules = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit@pickled")
    result = run_cli("check", model, "-p", rules, "--store", "sqlite:///audit.db")
    assert result.exit_code == 2
    assert "cloudpickle file: it runs code" in result.stderr
    assert not marker.exists()
    assert not (registry.folder / "audit.db").exists()


def test_an_mlmodel_calling_a_pickle_skops_runs_no_code(registry, run_cli, hostile):  # noqa: F811
    """The MLmodel file is the registry's word too: a pickle it calls skops is still refused."""
    folder, marker = hostile
    spec = yaml.safe_load((folder / "MLmodel").read_text())
    spec["flavors"]["sklearn"]["serialization_format"] = "skops"
    (folder / "MLmodel").write_text(yaml.safe_dump(spec))
    rules = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit@pickled")
    result = run_cli("check", model, "-p", rules, "--store", "sqlite:///audit.db")
    assert result.exit_code == 2, result.stderr
    assert "models:/credit@pickled: not a readable skops file" in result.stderr
    assert not marker.exists()
    assert not (registry.folder / "audit.db").exists()
