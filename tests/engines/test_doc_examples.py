"""The engine manifests shown in README.md and docs/engines.md are valid `data:` sections."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from governance.manifest import DataSpec

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```yaml\n(data:\n.*?)```", re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    found = []
    for name in ("README.md", "docs/engines.md"):
        text = (REPO / name).read_text(encoding="utf-8")
        found += [(name, block) for block in BLOCK.findall(text) if "engine:" in block]
    return found


def test_the_docs_show_engine_manifests() -> None:
    names = {name for name, _ in _examples()}
    assert names == {"README.md", "docs/engines.md"}


@pytest.mark.parametrize(("name", "block"), _examples())
def test_each_engine_example_is_a_valid_data_section(name: str, block: str) -> None:
    data = yaml.safe_load(block)["data"]
    spec = DataSpec.model_validate(data)
    assert spec.engine in ("duckdb", "spark"), name
