"""A small model project gated once per session with a VSA: a passing and a failing check."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from governance.keys import SigningConfig, init_dev_keys
from tests.conftest import CliRun

IMAGE = "ghcr.io/acme/tiny-model@sha256:" + "ab" * 32

MANIFEST = """
apiVersion: governance/v1
kind: Model
metadata:
  name: tiny
  version: 1.0.0
  owner: team@example.org
  risk_tier: high
  intended_use: Tests.
model:
  path: model.skops
data:
  path: data.csv
  target: label
  positive_label: 1
  features: [x1, x2]
  sensitive_features: [sex]
"""

POLICY = """
apiVersion: governance/v1
kind: Policy
metadata:
  name: {name}
  version: 1.2.0
rules:
  - id: accuracy
    title: Accuracy
    severity: high
    check: performance.metric
    params:
      metric: accuracy
    threshold:
      min: {minimum}
"""


@dataclass(frozen=True)
class Gated:
    """A project and what checking it wrote."""

    folder: Path
    model: Path
    keys: SigningConfig
    passed_vsa: Path
    failed_vsa: Path
    image_vsa: Path


def write_project(folder: Path) -> None:
    """A logistic regression (skops), its data, its manifest and two policies."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    rows = 400
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    label = (x1 + 0.3 * rng.normal(size=rows) > 0).astype(int)
    frame = pd.DataFrame(
        {"x1": x1, "x2": x2, "sex": rng.choice(["f", "m"], size=rows), "label": label}
    )
    frame.to_csv(folder / "data.csv", index=False)
    model = LogisticRegression().fit(frame[["x1", "x2"]], label)
    (folder / "model.skops").write_bytes(sio.dumps(model))
    (folder / "manifest.yaml").write_text(textwrap.dedent(MANIFEST).lstrip(), encoding="utf-8")
    for name, minimum in (("accuracy-floor", 0.6), ("accuracy-perfect", 0.999)):
        text = textwrap.dedent(POLICY).format(name=name, minimum=minimum).lstrip()
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def signing_settings(keys: SigningConfig, folder: Path):  # type: ignore[no-untyped-def]
    from governance.config import load_settings

    flags = {"signing_key": str(keys.key), "signing_cert": str(keys.cert)}
    return load_settings(flags, env={}, cwd=folder)


@pytest.fixture(scope="session")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Gated:
    """The project checked three times: passing, failing, and passing with an image."""
    from governance.api import check

    folder = tmp_path_factory.mktemp("project")
    write_project(folder)
    keys = init_dev_keys(tmp_path_factory.mktemp("keys"))
    settings = signing_settings(keys, folder)
    store = folder / "audit.db"
    out = tmp_path_factory.mktemp("vsa")
    manifest = folder / "manifest.yaml"
    passed = check(
        manifest,
        folder / "accuracy-floor.yaml",
        store=store,
        settings=settings,
        vsa=out / "passed.vsa.json",
    )
    assert passed.exit_code == 0
    failed = check(
        manifest,
        folder / "accuracy-perfect.yaml",
        store=store,
        settings=settings,
        vsa=out / "failed.vsa.json",
    )
    assert failed.exit_code == 1
    check(
        manifest,
        folder / "accuracy-floor.yaml",
        store=store,
        settings=settings,
        vsa=out / "image.vsa.json",
        vsa_image=IMAGE,
    )
    return Gated(
        folder=folder,
        model=folder / "model.skops",
        keys=keys,
        passed_vsa=out / "passed.vsa.json",
        failed_vsa=out / "failed.vsa.json",
        image_vsa=out / "image.vsa.json",
    )


@pytest.fixture
def deployable(gated: Gated, tmp_path: Path) -> Path:
    """A copy of the model with its passing VSA (envelope and bundle) beside it."""
    model = tmp_path / "model.skops"
    shutil.copyfile(gated.model, model)
    shutil.copyfile(gated.passed_vsa, tmp_path / "model.skops.vsa.json")
    bundle = gated.passed_vsa.with_name("passed.vsa.sigstore.json")
    shutil.copyfile(bundle, tmp_path / "model.skops.vsa.sigstore.json")
    return model


@pytest.fixture
def run(run_cli: CliRun) -> CliRun:
    """The CLI runner of tests/conftest.py."""
    return run_cli


def log_size(db: Path) -> int:
    """Entries in the audit log of the SQLite store ``db`` (0: no store or no log)."""
    import sqlite3

    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
        if "audit_log" not in tables:
            return 0
        (count,) = connection.execute("SELECT COUNT(*) FROM audit_log").fetchone()
    return int(count)
