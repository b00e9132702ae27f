from __future__ import annotations

import pytest

from tests.conftest import CliRun as Run


@pytest.fixture
def run(run_cli: Run) -> Run:
    """The CLI runner of tests/conftest.py, under the name these tests use."""
    return run_cli
