"""The locks `make demo`, `make test` and CI install from agree with pyproject.toml and each other.

And `requirements/check.py`, which `make` runs before every demo and test run, says in plain
lines how an environment differs from its lock.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from tests.conftest import REPO

LOCKS = REPO / "requirements"
CHECK = LOCKS / "check.py"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str) -> dict[str, str]:
    found = {}
    for line in (LOCKS / lock).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def project() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def requirements(*extras: str) -> list[Requirement]:
    table = project()
    found = [Requirement(spec) for spec in table["dependencies"]]
    for extra in extras:
        found += [Requirement(spec) for spec in table["optional-dependencies"][extra]]
    return [r for r in found if r.name != "governance"]  # self-references: governance[gate]


def test_the_licence_is_an_spdx_expression() -> None:
    assert project()["license"] == "Apache-2.0"
    build = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]
    assert build["requires"] == ["setuptools>=77"]  # the first to read `license` as SPDX


def test_every_pin_is_hash_checked() -> None:
    for lock in ("runtime.lock", "dev.lock"):
        text = (LOCKS / lock).read_text(encoding="utf-8")
        entries = re.split(r"\n(?=[A-Za-z])", text.split("\n", 2)[2])
        assert len(entries) == len(pins(lock)) > 50, lock
        for entry in entries:
            assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_locks_satisfy_pyproject() -> None:
    for lock, extras in (
        ("dev.lock", ("gate", "report", "explain", "serve", "postgres", "dev")),
        ("runtime.lock", ("gate", "report", "explain", "serve")),
    ):
        pinned = pins(lock)
        for requirement in requirements(*extras):
            if requirement.marker is not None and not requirement.marker.evaluate():
                continue
            version = pinned.get(canonical(requirement.name))
            assert version is not None, f"{lock} lacks {requirement} (run `make lock`)"
            assert requirement.specifier.contains(version, prereleases=True), (lock, requirement)
        assert pinned["setuptools"], "the editable install builds with the locked setuptools"


def test_the_runtime_is_the_development_lock_without_the_tools() -> None:
    runtime, dev = pins("runtime.lock"), pins("dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime  # never two versions of one
    for tool in ("pytest", "mypy", "ruff", "hypothesis", "fairlearn", "psycopg", "xgboost-cpu"):
        assert tool in dev and tool not in runtime, tool


def test_the_lock_holds_the_versions_that_wrote_the_sample_models() -> None:
    # tests/samples compare retrained models with the committed ones parameter by parameter
    # only with these versions; CI must run those comparisons, so it must install them
    from tests.samples.same_model import read_skops, writer_versions

    model = REPO / "samples" / "adult-income" / "models" / "baseline.skops"
    wrote = writer_versions(read_skops(model.read_bytes())[0])
    dev = pins("dev.lock")
    assert {name: dev[name] for name in wrote} == wrote


def run_check(lock: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK), "--fix", "make sync", *args, str(lock)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_an_environment_that_matches_its_lock_passes_silently(tmp_path: Path) -> None:
    lock = tmp_path / "ok.lock"
    lines = [
        f"{name}=={metadata.version(name)} \\\n    --hash=sha256:00" for name in ("click", "pyyaml")
    ]
    lock.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = run_check(lock)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_an_environment_that_differs_from_its_lock_is_told_how(tmp_path: Path) -> None:
    lock = tmp_path / "dev.lock"
    lock.write_text(
        "click==0.0.1 \\\n    --hash=sha256:00\n"
        "not-a-real-package-xyz==1.0 \\\n    --hash=sha256:00\n"
        "pyyaml==" + metadata.version("pyyaml") + " \\\n    --hash=sha256:00\n",
        encoding="utf-8",
    )
    run = run_check(lock)
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        f"{sys.prefix} does not match {lock}:",
        f"  click: {metadata.version('click')} installed, 0.0.1 locked",
        "  not-a-real-package-xyz: not installed, 1.0 locked",
        "Run `make sync` to install the locked versions again.",
    ]
    assert "Traceback" not in run.stderr


def test_another_python_than_the_locks_is_a_note_not_a_failure(tmp_path: Path) -> None:
    lock = tmp_path / "dev.lock"
    lock.write_text(f"click=={metadata.version('click')} \\\n    --hash=sha256:00\n")
    run = run_check(lock, "--python", "2.7")
    assert run.returncode == 0
    assert run.stderr.startswith(f"Note: {lock} is resolved for Python 2.7, which CI runs;")
