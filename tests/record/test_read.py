"""Reading stored records: version 1 (main before the typed record) and version 2."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from governance.errors import InputError, VerificationFailed
from governance.record import EvaluationRecord, read_record
from tests.record.v1_store import v1_records


def test_a_version_1_record_reads_and_gives_back_exactly_what_was_stored(
    tmp_path: Path,
) -> None:
    for stored in v1_records(tmp_path):
        record = read_record(stored)
        assert isinstance(record, EvaluationRecord) and record.schema_version == 1
        assert record.payload() == stored  # nothing added, dropped or retyped
        assert all(finding.charts is not None for finding in record.findings)


def test_fields_older_records_lack_read_as_their_defaults(tmp_path: Path) -> None:
    stored = v1_records(tmp_path)[0]
    for key in ("waiver_files", "strict", "waivers"):
        del stored[key]
    del stored["findings"][0]["location"]
    record = read_record(stored)
    assert record.waiver_files == [] and record.strict is False and record.waivers == []
    assert record.findings[0].location is None
    assert record.payload() == stored


def test_an_unknown_version_is_one_line_naming_it(tmp_path: Path) -> None:
    stored = v1_records(tmp_path)[0]
    stored["schema_version"] = 3
    with pytest.raises(InputError) as caught:
        read_record(stored)
    assert str(caught.value) == (
        f"evaluation record {stored['evaluation_id']}: schema_version 3 is not one this "
        "governance reads (1, 2) (a newer governance wrote it: upgrade governance to read it)"
    )


def test_a_wrong_field_is_one_line_naming_the_field(tmp_path: Path) -> None:
    stored = v1_records(tmp_path)[0]
    bad = copy.deepcopy(stored)
    bad["findings"][2]["outcome"] = "great"
    with pytest.raises(VerificationFailed) as caught:
        read_record(bad)
    message = str(caught.value)
    assert message.startswith(f"evaluation record {stored['evaluation_id']}: findings.2.outcome: ")
    assert "\n" not in message
    extra = copy.deepcopy(stored)
    extra["surprise"] = 1
    with pytest.raises(VerificationFailed, match=r": surprise: Extra inputs are not permitted"):
        read_record(extra)


def test_a_version_2_record_holds_no_svg(tmp_path: Path) -> None:
    stored = v1_records(tmp_path)[0]
    stored["schema_version"] = 2
    with pytest.raises(VerificationFailed, match=r"findings\.0\.charts: charts are drawn from"):
        read_record(stored)
    for finding in stored["findings"]:
        del finding["charts"]
    assert read_record(stored).payload() == stored
