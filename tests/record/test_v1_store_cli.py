"""A store written by main before the typed record still verifies and renders, from the CLI."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import CliRun
from tests.record.v1_store import v1_records, v1_store
from tests.reporting.conftest import pypdf_text


def test_audit_verify_passes_on_a_store_written_by_main(run_cli: CliRun, tmp_path: Path) -> None:
    result = run_cli("audit", "verify", "--store", v1_store(tmp_path))
    assert result.exit_code == 0, result.stderr


def test_report_of_a_version_1_record_renders_and_the_store_still_verifies(
    run_cli: CliRun, tmp_path: Path
) -> None:
    first, latest = v1_records(tmp_path)
    store = v1_store(tmp_path)
    for record in (first, latest):
        out = tmp_path / f"{record['evaluation_id']}.pdf"
        result = run_cli(
            "report", record["evaluation_id"], "-o", out, "--no-sign", "--store", store
        )
        assert result.exit_code == 0, result.stderr
        text = re.sub(r"\s+", "", pypdf_text(out))
        for finding in record["findings"]:
            assert finding["rule_id"] in text, finding["rule_id"]
        assert record["evaluation_id"] in text
    # the version-1 charts are drawn again, from the evidence: a report shows figures
    charted = [finding for finding in first["findings"] if finding["charts"]]
    assert charted and "Figure:" in pypdf_text(tmp_path / f"{first['evaluation_id']}.pdf")
    result = run_cli("audit", "verify", "--store", store)
    assert result.exit_code == 0, result.stderr
