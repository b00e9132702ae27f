"""record.json is what a check records today, so the golden files and docs/outputs.md are too.

The format tests render record.json; the golden files and the examples in docs/outputs.md are
its output. A fixture left at an earlier version of the record (it once was at schema version 1,
with messages that named no group) tests the formats on a record no check writes any more, and
shows readers messages no check says any more.
"""

from __future__ import annotations

from typing import Any

import pytest

from governance.record import RECORD_SCHEMA_VERSION
from tests.reporting.formats.build_record import build

STALE = (
    "tests/reporting/formats/record.json is not what the check records today: rebuild it "
    "(python -m tests.reporting.formats.build_record), review the diff, then "
    "UPDATE_GOLDEN=1 pytest tests/reporting/formats"
)


def test_the_fixture_is_a_record_of_the_current_schema_version(
    record_fixture: dict[str, Any],
) -> None:
    assert record_fixture["schema_version"] == RECORD_SCHEMA_VERSION, STALE


@pytest.mark.slow
def test_the_fixture_is_what_a_check_records_today(record_fixture: dict[str, Any]) -> None:
    today = build()
    assert [f["message"] for f in today["findings"]] == [
        f["message"] for f in record_fixture["findings"]
    ], STALE
    assert today == record_fixture, STALE
