"""A CLI run prints only what governance means to say; --debug shows the libraries' warnings.

And an optional package that is not installed is one line naming the extra to install, before
anything is written. Each case runs `governance` in a fresh interpreter, as a user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from governance.extras import EXTRA_OF, MISSING_EXTRA, PURPOSES
from tests.conftest import BASELINE_POLICY, REPO, SAMPLE

# A library that warns when imported, as pyHanko does under cryptography 51 (a
# CryptographyDeprecationWarning, a UserWarning subclass, so Python shows it by default).
NOISY_LIBRARY = """
import warnings

class LibraryDeprecationWarning(UserWarning):
    pass

warnings.warn("DSA is deprecated", LibraryDeprecationWarning)
warnings.warn("old_api() is deprecated", DeprecationWarning)
warnings.warn("the default will change", FutureWarning)
warnings.warn("overflow in exp", RuntimeWarning)
"""
WARNINGS = ("DSA is deprecated", "old_api()", "the default will change", "overflow in exp")

# `policy lint`, with the noisy library imported on the way, as a command imports its libraries.
LINT_THROUGH_NOISY_LIBRARY = """
import sys
sys.path.insert(0, {folder!r})
import governance.policy.lint as lint_module

real_lint = lint_module.lint

def lint(*args, **kwargs):
    import noisy_library  # noqa: F401
    return real_lint(*args, **kwargs)

lint_module.lint = lint
from governance.cli import main
main({args!r})
"""

# `governance ARGS` with some packages made impossible to import, as in an install without them.
WITHOUT = """
import sys
for name in {missing!r}:
    sys.modules[name] = None
from governance.cli import main
main({args!r})
"""


def governance(
    script: str, cwd: Path, *flags: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v for k, v in os.environ.items() if k not in ("GOVERNANCE_DEBUG", "PYTHONWARNINGS")
    }
    return subprocess.run(
        [sys.executable, *flags, "-c", script],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**environ, "PYTHONPATH": str(REPO), **(env or {})},
        timeout=300,
        check=False,
    )


def lint_noisily(tmp_path: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    (tmp_path / "noisy_library.py").write_text(NOISY_LIBRARY, encoding="utf-8")
    script = LINT_THROUGH_NOISY_LIBRARY.format(
        folder=str(tmp_path), args=[*args, "policy", "lint", str(BASELINE_POLICY)]
    )
    return governance(script, tmp_path, **kwargs)  # type: ignore[arg-type]


def test_library_warnings_do_not_reach_the_terminal(tmp_path: Path) -> None:
    run = lint_noisily(tmp_path)
    assert run.returncode == 0, run.stderr
    assert "1 policy" in run.stdout
    assert run.stderr == ""


@pytest.mark.parametrize("how", ["--debug", "GOVERNANCE_DEBUG=1"])
def test_debug_shows_library_warnings(tmp_path: Path, how: str) -> None:
    if how == "--debug":
        run = lint_noisily(tmp_path, "--debug")
    else:
        run = lint_noisily(tmp_path, env={"GOVERNANCE_DEBUG": "1"})
    assert run.returncode == 0, run.stderr
    for message in WARNINGS:
        assert message in run.stderr, message
    assert "LibraryDeprecationWarning" in run.stderr


def test_pythons_own_warning_options_are_left_to_decide(tmp_path: Path) -> None:
    (tmp_path / "noisy_library.py").write_text(NOISY_LIBRARY, encoding="utf-8")
    script = LINT_THROUGH_NOISY_LIBRARY.format(
        folder=str(tmp_path), args=["policy", "lint", str(BASELINE_POLICY)]
    )
    run = governance(script, tmp_path, "-W", "always::FutureWarning")
    assert "the default will change" in run.stderr


def test_an_internal_error_points_to_debug(tmp_path: Path) -> None:
    script = """
import governance.policy.lint as lint_module
def lint(*args, **kwargs):
    raise ZeroDivisionError("a bug")
lint_module.lint = lint
from governance.cli import main
main({args!r})
"""
    quiet = governance(script.format(args=["policy", "lint", "x.yaml"]), tmp_path)
    assert quiet.returncode == 3
    assert quiet.stderr.splitlines() == [
        "Internal error: ZeroDivisionError: a bug "
        "(run with --debug or GOVERNANCE_DEBUG=1 for the traceback; please report it)"
    ]
    debug = governance(script.format(args=["--debug", "policy", "lint", "x.yaml"]), tmp_path)
    assert debug.returncode == 3
    assert "Traceback (most recent call last)" in debug.stderr


def missing(module: str) -> str:
    extra = EXTRA_OF[module]
    message = MISSING_EXTRA.format(module=module, purpose=PURPOSES[extra], extra=extra)
    return f"Error: {message} (or 'governance[full]' for every command)\n"


def check_args(tmp_path: Path, policy: Path, *more: str) -> list[str]:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    return [
        "check",
        str(SAMPLE / "baseline.yaml"),
        "--policy",
        str(policy),
        "--store",
        store,
        *more,
    ]


@pytest.mark.parametrize(
    ("absent", "args", "named"),
    [
        (["sqlalchemy", "numpy"], "check", "sqlalchemy"),
        (["weasyprint"], "check --report", "weasyprint"),
        (["shap"], "check explainability", "shap"),
        (["pyhanko"], "verify", "pyhanko"),
        (["fastapi"], "serve", "fastapi"),
    ],
)
def test_a_missing_extra_is_one_line_naming_it_and_nothing_is_written(
    tmp_path: Path, absent: list[str], args: str, named: str
) -> None:
    command = {
        "check": check_args(tmp_path, BASELINE_POLICY),
        "check --report": check_args(
            tmp_path, BASELINE_POLICY, "--report", str(tmp_path / "r.pdf"), "--no-sign"
        ),
        "check explainability": check_args(tmp_path, REPO / "policies" / "explainability.yaml"),
        "verify": ["verify", str(tmp_path / "r.pdf")],
        "serve": ["serve", "--store", f"sqlite:///{tmp_path / 'audit.db'}"],
    }[args]
    if args == "verify":
        (tmp_path / "r.pdf").write_bytes(b"%PDF-1.7\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    run = governance(WITHOUT.format(missing=absent, args=command), tmp_path)
    assert (run.returncode, run.stderr, run.stdout) == (2, missing(named), "")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_policy_lint_needs_no_extra(tmp_path: Path) -> None:
    # the pre-commit hook installs the bare package: linting must not import any extra's package
    script = WITHOUT.format(
        missing=sorted(EXTRA_OF), args=["policy", "lint", str(REPO / "policies")]
    )
    run = governance(script, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "no problems" in run.stdout


def test_every_module_of_an_extra_is_what_that_extra_installs() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    assert set(PURPOSES) | {"full", "dev"} == set(extras)
    core = " ".join(project["dependencies"]).lower()
    for heavy in ("shap", "weasyprint", "numpy", "scikit-learn", "pyhanko", "fastapi"):
        assert heavy not in core, heavy
    # the distribution that provides each module is named in its extra (or pulled in by one)
    provided_by = {"sklearn": "scikit-learn", "openlineage": "openlineage-python"}
    transitive = {"joblib", "scipy", "asn1crypto", "pyhanko_certvalidator", "anyio", "starlette"}
    for module, extra in EXTRA_OF.items():
        if module in transitive:
            continue
        requirement = provided_by.get(module, module.replace("_", "-"))
        assert any(spec.lower().startswith(requirement) for spec in extras[extra]), module
    assert extras["full"] == ["governance[gate,report,explain,serve]"]
