"""The record the format tests render, and golden files that fail a test when output changes.

record.json is a real check's record (build_record.py). Regenerate the golden files after a
deliberate change with ``UPDATE_GOLDEN=1 .venv/bin/pytest tests/reporting/formats`` and review the
diff.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import run  # noqa: F401 - the CLI runner fixture, for end-to-end tests

HERE = Path(__file__).parent
RECORD = HERE / "record.json"
GOLDEN = HERE / "golden"

Golden = Callable[[str, str], None]


@pytest.fixture(scope="session")
def record_fixture() -> dict[str, Any]:
    return json.loads(RECORD.read_text(encoding="utf-8"))


@pytest.fixture
def record(record_fixture: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the fixture record, free to modify."""
    return copy.deepcopy(record_fixture)


@pytest.fixture
def golden() -> Golden:
    """Compare text with golden/<name>, byte for byte (UPDATE_GOLDEN=1 rewrites it)."""

    def _golden(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN"):
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
        expected = path.read_bytes().decode("utf-8")
        assert text == expected, f"{name} changed: review, then UPDATE_GOLDEN=1 to accept"

    return _golden


def findings_by_outcome(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fixture has one finding of each kind; name them."""
    by_id = {f["rule_id"]: f for f in record["findings"]}
    return {
        "blocking_fail": by_id["four-fifths-sex"],
        "warning_fail": by_id["accuracy-floor"],
        "waived": by_id["parity-difference-group"],
        "expired_waiver": by_id["equalized-odds-sex"],
        "warning_insufficient": by_id["intersectional-groups"],
        "blocking_error": by_id["recall-by-group"],
        "skipped": by_id["minimal-risk-only"],
        "pass": by_id["balanced-accuracy"],
    }
