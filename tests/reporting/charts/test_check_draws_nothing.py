"""`governance check` without `--report` draws no chart: matplotlib and WeasyPrint stay unloaded.

Charts are drawn from the record when a report or web page is rendered; the check only counts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

ADULT = REPO / "samples" / "adult-income" / "baseline.yaml"
PROBE = """
import sys
from governance.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
watched = (
    "matplotlib",
    "weasyprint",
    "shap",
    "governance.reporting.charts",
    "governance.evaluators.charts",  # where version 1 drew them, during the check
    "governance.evaluators.explain_charts",
)
loaded = sorted(name for name in watched if name in sys.modules)
print("LOADED", ",".join(loaded), "CODE", code, file=sys.stderr)
"""


def loaded_by(*args: str | Path) -> tuple[set[str], int]:
    """The watched modules a CLI run imported, and its exit code."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    marker = result.stderr.strip().splitlines()[-1].split()
    assert marker[0] == "LOADED" and marker[-2] == "CODE", result.stderr
    names = set(marker[1].split(",")) if len(marker) == 4 else set()
    return names, int(marker[-1])


def test_a_fairness_and_performance_check_imports_no_plotting_and_no_pdf_library(
    manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    out = tmp_path / "record.json"
    loaded, code = loaded_by(
        "check", manifest_path, "-p", policy_path, "--store", store, "--format", f"json={out}"
    )
    assert code == 0 and out.is_file()
    assert loaded == set()


def test_explainability_rules_load_matplotlib_only_through_shap(tmp_path: Path) -> None:
    """SHAP imports matplotlib (for its own plots) when installed; governance draws nothing."""
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    policy = REPO / "policies" / "explainability.yaml"
    loaded, _ = loaded_by("check", ADULT, "-p", policy, "--store", store)
    assert "shap" in loaded
    assert loaded == {"shap", "matplotlib"}
