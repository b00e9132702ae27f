"""Fixtures of the inventory tests: a store of several model versions in several states."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run  # noqa: F401 - the CLI fixture
from tests.inventory.records import Seeded, seed
from tests.serve.conftest import client_for  # noqa: F401 - the web view's client fixture


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    """Passed, failed, incomplete (``churn``), waived (``fraud``) and monitored versions."""
    return seed(tmp_path / "audit.db")
