"""The layering of docs/architecture.md holds: the import-linter contracts of pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_the_layer_contracts_are_kept() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.skip("import-linter is not installed (requirements/dev.lock has it)")
    result = subprocess.run(
        [lint_imports, "--no-cache"], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_store_names_no_domain_module() -> None:
    """The store knows no lineage, report or fairness code: it is given its projectors."""
    store = REPO / "governance" / "store"
    for path in store.rglob("*.py"):
        if "migrations" in path.parts:  # the schema's history names every table it created
            continue
        text = path.read_text(encoding="utf-8")
        for domain in ("governance.lineage", "governance.evaluations", "governance.reporting"):
            assert f"from {domain}" not in text and f"import {domain}" not in text, path
