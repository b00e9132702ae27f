"""Fixtures of the document tests: the CLI runner."""

from tests.cli.conftest import run  # noqa: F401 - the CLI fixture
