"""The wheel, installed outside the checkout, has everything a user's commands need.

Builds the wheel from a copy of the sources, installs it (without its dependencies) into a new
virtual environment in a temporary folder, and runs governance from a folder beside it, as a
user's CI job would: a signed report under a shipped pack, verify, report, lineage, serve. The
new environment reuses this environment's dependencies through a ``.pth`` file; a ``.pth`` file
inside a folder added that way is not processed, so this checkout's editable install does not
reach it, and the test asserts that governance is imported from the new environment.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE

pytestmark = pytest.mark.slow

JUNK = (".git", ".venv", "build", "dist", "out", ".governance", "__pycache__", "*.egg-info")
JUNK += (".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis")
MODEL_NODE = "dataset:file:samples/adult-income/models/mitigated.skops"


def _offline_build() -> bool:
    """Whether this environment can build the wheel itself (setuptools >= 70.1, or wheel)."""
    major, minor, *_ = (int(part) for part in version("setuptools").split(".")[:2])
    return (major, minor) >= (70, 1) or find_spec("wheel") is not None


def _expected_wheel_files() -> set[str]:
    """The data files the wheel must hold: the package's, the packs, the report theme."""
    files = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "governance").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    files |= {f"governance/_packs/{p.name}" for p in (REPO / "policies").glob("*.yaml")}
    files |= {
        f"governance/_templates/{p.name}"
        for p in (REPO / "report_templates").iterdir()
        if p.is_file()
    }
    return files


def _dependency_paths() -> list[str]:
    """Where this interpreter imports third-party packages from: not the checkout, no stdlib."""
    repo = REPO.resolve()
    venv = Path(sys.prefix).resolve()  # may lie inside the checkout (make test's .venv)
    stdlib = Path(sysconfig.get_path("stdlib")).resolve()  # the base interpreter's, in a venv too
    found = []
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        in_checkout = path.is_relative_to(repo) and not path.is_relative_to(venv)
        if path.is_dir() and not in_checkout and not path.is_relative_to(stdlib):
            found.append(str(path))
    return list(dict.fromkeys(found))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A new virtual environment with the wheel of this checkout installed; yields its folder."""
    root = tmp_path_factory.mktemp("wheel-install")
    assert not root.resolve().is_relative_to(REPO.resolve())
    source, wheels, venv = root / "source", root / "wheels", root / "venv"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*JUNK))
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels)]
    if _offline_build():
        build.append("--no-build-isolation")
    subprocess.run([*build, str(source)], check=True, cwd=root)
    [wheel] = wheels.glob("governance-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = _expected_wheel_files() - names
    assert not missing, f"the wheel lacks {sorted(missing)}"
    assert not [n for n in names if n.startswith("governance/_packs/tests/")]

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # installed first, in an environment where no other governance is visible
    install = ["install", "--quiet", "--no-index", "--no-deps", str(wheel)]
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), *install],
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
    )
    # then this environment's dependencies, behind the new one's own site-packages
    Path(purelib, "zz_dependencies.pth").write_text("\n".join(_dependency_paths()) + "\n", "utf-8")
    yield venv


@pytest.fixture(scope="module")
def user(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's project folder outside the checkout, with the Adult sample copied in."""
    folder = tmp_path_factory.mktemp("project")
    shutil.copytree(SAMPLE, folder / "samples" / "adult-income")
    return folder


@pytest.fixture(scope="module")
def env(installed: Path, user: Path) -> dict[str, str]:
    """The environment of a user's shell with the new environment first on PATH."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "GOVERNANCE_", "VIRTUAL_ENV"))
    }
    clean["PATH"] = f"{installed / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    clean["GOVERNANCE_STORE_URL"] = f"sqlite:///{user / 'audit.db'}"
    return clean


def governance(
    installed: Path, user: Path, env: dict[str, str], *args: str, expect: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run the installed `governance` command in the user's folder; assert its exit code."""
    done = subprocess.run(
        [str(installed / "bin" / "governance"), *args],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == expect, f"governance {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done


def python_says(installed: Path, user: Path, env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [str(installed / "bin" / "python"), "-c", code],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_governance_is_imported_from_the_new_environment(
    installed: Path, user: Path, env: dict[str, str]
) -> None:
    code = (
        "import governance, governance.resources as r\n"
        "print(governance.__file__); print(r.packs_dir()); print(r.default_templates())"
    )
    for location in python_says(installed, user, env, code).splitlines():
        assert Path(location).resolve().is_relative_to(installed.resolve()), location
    code = "import importlib.util; print(importlib.util.find_spec('tests'))"
    assert python_says(installed, user, env, code) == "None"  # the checkout is not on the path


def test_packs_are_listed_from_the_package(
    installed: Path, user: Path, env: dict[str, str]
) -> None:
    packs = json.loads(governance(installed, user, env, "packs", "--format", "json").stdout)
    assert sorted(pack["name"] for pack in packs) == sorted(
        path.stem for path in (REPO / "policies").glob("*.yaml")
    )
    assert all(Path(p["path"]).resolve().is_relative_to(installed.resolve()) for p in packs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str, deadline: float) -> tuple[int, bytes]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_user_project_gates_reports_verifies_traces_and_serves(
    installed: Path, user: Path, env: dict[str, str]
) -> None:
    def run(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        return governance(installed, user, env, *args, expect=expect)

    run("keys", "init", "--dir", "keys")
    signing = ["--signing-key", "keys/governance-dev-key.pem"]
    signing += ["--signing-cert", "keys/governance-dev-cert.pem"]
    trust = ["--trust-root", "keys/governance-dev-cert.pem"]
    (user / "reports").mkdir()

    run("lineage", "ingest", "samples/adult-income/lineage")
    checked = run(
        "check",
        "samples/adult-income/mitigated.yaml",
        *("--policy", "pack:fairness-baseline", "--policy", "pack:lineage-completeness"),
        *("--format", "text", "--format", "json=record.json"),
        *("--report", "reports/mitigated.pdf", *signing),
    )
    assert "Report (signed): reports/mitigated.pdf" in checked.stderr
    record = json.loads((user / "record.json").read_text(encoding="utf-8"))
    assert [p["name"] for p in record["policies"]] == ["fairness-baseline", "lineage-completeness"]
    for policy in record["policies"]:  # read from the installed package, named as a pack
        assert policy["path"] == f"pack:{policy['name']}"
    assert record["verdict"] == "passed"

    run("verify", "reports/mitigated.pdf", *trust, "--attestation", "reports/mitigated.intoto.json")
    run("report", "latest", "-o", "reports/again.pdf", *signing)
    run("verify", "reports/again.pdf", *trust)

    upstream = run("lineage", "upstream", MODEL_NODE).stdout
    assert "samples/adult-income/data/adult-train.csv.gz" in upstream

    _serve_answers(installed, user, env, record["evaluation_id"])


def _serve_answers(installed: Path, user: Path, env: dict[str, str], evaluation: str) -> None:
    port = _free_port()
    command = [str(installed / "bin" / "governance"), "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, cwd=user, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        status, body = _get(f"{base}/api/v1/health", deadline)
        assert status == 200, body
        status, body = _get(f"{base}/api/v1/models", deadline)
        assert status == 200 and b"adult-income" in body
        status, body = _get(f"{base}/evaluations/{evaluation}", deadline)  # the web view's pages
        assert status == 200 and b"adult-income" in body
        status, body = _get(f"{base}/static/style.css", deadline)
        assert status == 200 and body
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert server.returncode in (0, -15), output
