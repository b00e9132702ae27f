"""docs/policy-catalogue.md is what `governance policy docs policies/` writes for the shipped packs.

Regenerate it with: UPDATE_DOCS=1 .venv/bin/python -m pytest tests/policy/test_packs_catalogue.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.cli import cli
from tests.conftest import REPO

CATALOGUE = REPO / "docs" / "policy-catalogue.md"


def generated_catalogue(tmp_path: Path) -> str:
    # run from the repository root, as the documented command is, so paths read `policies/...`
    output = tmp_path / "catalogue.md"
    result = CliRunner().invoke(
        cli, ["policy", "docs", "policies/", "-o", str(output)], prog_name="governance"
    )
    assert result.exit_code == 0, result.output
    return output.read_text(encoding="utf-8")


def test_committed_catalogue_is_the_generated_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    text = generated_catalogue(tmp_path)
    if os.environ.get("UPDATE_DOCS"):
        CATALOGUE.write_text(text, encoding="utf-8")
    assert CATALOGUE.read_text(encoding="utf-8") == text, "regenerate: UPDATE_DOCS=1 pytest"


def test_catalogue_covers_every_shipped_pack() -> None:
    text = CATALOGUE.read_text(encoding="utf-8")
    for path in sorted((REPO / "policies").glob("*.yaml")):
        assert f"- file: `policies/{path.name}`" in text, path.name
