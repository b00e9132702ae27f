"""`governance --help` stays light: heavy libraries are imported only by the commands using them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "shap",
    "weasyprint",
    "fairlearn",
    "sklearn",
    "pandas",
    "sqlalchemy",
    "pyhanko",
    "openlineage",
    "matplotlib",
    "celpy",
    "numpy",
    "pydantic",
)

PROBE = """
import sys
from governance.cli import main
try:
    main({args!r})
except SystemExit as exc:
    code = exc.code
loaded = sorted(name for name in {heavy!r} if name in sys.modules)
print("LOADED", ",".join(loaded), "CODE", code, file=sys.stderr)
"""


def probe(args: list[str]) -> tuple[str, str]:
    script = PROBE.format(args=args, heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    marker = result.stderr.strip().splitlines()[-1]
    return marker, result.stdout


def test_help_imports_no_heavy_library() -> None:
    for args in (["--help"], ["check", "--help"], ["audit", "--help"], ["--version"]):
        marker, stdout = probe(args)
        assert marker == "LOADED  CODE 0", (args, marker)
        assert stdout


def test_python_dash_m_governance_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "governance", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "check" in result.stdout and "verify" in result.stdout


def test_import_governance_is_light() -> None:
    script = f"import sys, governance; print(','.join(n for n in {HEAVY!r} if n in sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.strip() == ""
