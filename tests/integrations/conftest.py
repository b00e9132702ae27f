"""Run the CI integrations' shell steps for real, with the governance of this virtualenv."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import MANIFEST, POLICY, REPO, synthetic_frame

INTEGRATIONS = REPO / "integrations"
BIN = Path(sys.executable).parent

FAILING_POLICY = POLICY.replace("min: 0.5", "min: 0.99").replace(
    "severity: medium", "severity: high"
)


def run_shell(
    script: str, cwd: Path, env: Mapping[str, str], shell: tuple[str, ...]
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as a CI runner would, with this virtualenv's ``governance`` on PATH."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOVERNANCE_", "GITHUB_", "RUNNER_"))
    }
    environ.update(env)
    environ["PATH"] = f"{BIN}{os.pathsep}{environ.get('PATH', '')}"
    path = cwd / "ci-step.sh"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(
        [*shell, str(path)], cwd=cwd, env=environ, capture_output=True, text=True, check=False
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository with a model manifest, its data, a passing and a failing policy."""
    synthetic_frame().to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "manifest.yaml").write_text(textwrap.dedent(MANIFEST).lstrip(), "utf-8")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "policy.yaml").write_text(textwrap.dedent(POLICY).lstrip(), "utf-8")
    (tmp_path / "strict").mkdir()
    (tmp_path / "strict" / "policy.yaml").write_text(
        textwrap.dedent(FAILING_POLICY).lstrip(), "utf-8"
    )
    return tmp_path
