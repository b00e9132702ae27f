"""Run the CI integrations' shell steps for real, with the governance of this virtualenv."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import MANIFEST, POLICY, REPO, synthetic_frame

INTEGRATIONS = REPO / "integrations"
BIN = Path(sys.executable).parent

FAILING_POLICY = POLICY.replace("min: 0.5", "min: 0.99").replace(
    "severity: medium", "severity: high"
)


def run_shell(
    script: str,
    cwd: Path,
    env: Mapping[str, str],
    shell: tuple[str, ...],
    *,
    first_on_path: Sequence[Path] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as a CI runner would, with this virtualenv's ``governance`` on PATH.

    ``first_on_path`` goes first on PATH (stand-ins for programs a test watches, such as pip).
    """
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOVERNANCE_", "GITHUB_", "RUNNER_", "CI_"))
    }
    environ.update(env)
    environ["PATH"] = os.pathsep.join([*map(str, first_on_path), str(BIN), environ.get("PATH", "")])
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


@dataclass(frozen=True)
class Shims:
    """Stand-ins first on PATH: ``python -m pip``, ``apt-get``, ``sudo`` and ``gh`` are recorded
    (and do nothing), any other ``python`` call runs this virtualenv's Python."""

    bin: Path
    log: Path

    def calls(self, program: str) -> list[list[str]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [shlex.split(line)[1:] for line in lines if shlex.split(line)[0] == program]


SHIM = """#!/bin/bash
{condition}
  printf '%q ' {name} "$@" >> {log}
  printf '\\n' >> {log}
  exit 0
{otherwise}
"""


@pytest.fixture
def shims(tmp_path: Path) -> Shims:
    folder = tmp_path / "shims"
    folder.mkdir()
    log = tmp_path / "shim-calls.txt"
    quoted = shlex.quote(str(log))
    python = SHIM.format(
        condition='if [ "${1:-}" = -m ] && [ "${2:-}" = pip ]; then',
        name="pip",
        log=quoted,
        otherwise=f'fi\nexec {shlex.quote(sys.executable)} "$@"',
    ).replace("printf '%q ' pip \"$@\"", "printf '%q ' pip \"${@:3}\"")
    for name, text in {
        "python": python,
        "python3": python,
        "apt-get": SHIM.format(condition="{", name="apt-get", log=quoted, otherwise="}"),
        "sudo": SHIM.format(condition="{", name="sudo", log=quoted, otherwise="}"),
        "gh": SHIM.format(condition="{", name="gh", log=quoted, otherwise="}"),
    }.items():
        (folder / name).write_text(text, encoding="utf-8")
        (folder / name).chmod(0o755)
    return Shims(bin=folder, log=log)


FOUR_FIFTHS = """
apiVersion: governance/v1
kind: Policy
metadata: {name: four-fifths, version: 1.0.0}
rules:
  - id: four-fifths-group
    title: Four-fifths by group
    severity: high
    check: fairness.demographic_parity_ratio
    params: {sensitive_features: [group]}
    threshold: {min: 0.5}
    controls: ["29 CFR 1607.4(D)"]
    remediation: Mitigate.
"""

WAIVERS = """
apiVersion: governance/v1
kind: Waivers
waivers:
  - rule_id: accuracy
    subject: {model: synthetic}
    justification: Accuracy is tracked by the model owner.
    approved_by: risk@example.org
    ticket: GOV-1
    expires: 2099-12-31
"""


@pytest.fixture
def docs_project(tmp_path: Path) -> Path:
    """The repository docs/ci.md's examples assume: models/credit/ and policies/ with waivers."""
    project = tmp_path / "repo"
    model = project / "models" / "credit"
    model.mkdir(parents=True)
    synthetic_frame().to_csv(model / "data.csv", index=False)
    (model / "manifest.yaml").write_text(textwrap.dedent(MANIFEST).lstrip(), "utf-8")
    policies = project / "policies"
    (policies / "eu-ai-act").mkdir(parents=True)
    eu = POLICY.replace("name: test-policy", "name: eu-ai-act").replace(
        "      min: 0.5\n",
        "      min: 0.5\n    controls: [EU AI Act Art. 15(1)]\n    remediation: Retrain.\n",
    )
    (policies / "eu-ai-act" / "policy.yaml").write_text(textwrap.dedent(eu).lstrip(), "utf-8")
    (policies / "four-fifths.yaml").write_text(textwrap.dedent(FOUR_FIFTHS).lstrip(), "utf-8")
    (policies / "waivers.yaml").write_text(textwrap.dedent(WAIVERS).lstrip(), "utf-8")
    return project
