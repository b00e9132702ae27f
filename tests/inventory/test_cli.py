"""``governance models``: text, JSON and CSV for a risk register; bad input exits 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from governance.inventory.export import COLUMNS
from tests.inventory.records import Seeded, append, record, seed

REQUIRED_YML = "required_policies:\n  high: [eu-ai-act]\n"


def config(tmp_path: Path) -> Path:
    path = tmp_path / "governance.yml"
    path.write_text(REQUIRED_YML, encoding="utf-8")
    return path


def test_the_text_table_names_each_version_and_its_state(
    run: Any, seeded: Seeded, tmp_path: Path
) -> None:
    result = run("models", "--store", seeded.url, "--config", config(tmp_path))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "MODEL",
        "VERSION",
        "TIER",
        "VERDICT",
        "EVALUATED",
        "WAIVERS",
        "MONITORING",
    ]
    churn = next(line for line in lines if line.startswith("churn"))
    assert "incomplete (missing eu-ai-act)" in churn
    credit = next(line for line in lines if line.startswith("credit ") and "1.0.0" in line)
    assert "failed (window to 2026-12-15T00:00:00Z)" in credit
    fraud = next(line for line in lines if line.startswith("fraud"))
    assert "demographic-parity until 2099-12-31" in fraud
    assert "equalized-odds EXPIRED 2020-01-31" in fraud
    assert "fraud 3.1.0: evaluation" in result.stdout
    assert "registry models:/fraud/7" in result.stdout


def test_json_has_stable_columns_and_one_row_per_version(
    run: Any, seeded: Seeded, tmp_path: Path
) -> None:
    out = tmp_path / "inventory.json"
    result = run(
        "models", "--store", seeded.url, "--config", config(tmp_path), "--format", "json", "-o", out
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["inventory_version"] == 1
    assert document["columns"] == list(COLUMNS)
    assert all(list(row) == list(COLUMNS) for row in document["rows"])
    by_key = {(row["model"], row["version"]): row for row in document["rows"]}
    assert by_key[("churn", "1.0.0")]["verdict"] == "incomplete"
    assert by_key[("churn", "1.0.0")]["missing_policies"] == ["eu-ai-act"]
    fraud = by_key[("fraud", "3.1.0")]
    assert fraud["open_waivers"][0]["rule_id"] == "demographic-parity"
    assert fraud["expired_waivers"][0]["expired"] is True
    assert fraud["next_waiver_expiry"] == "2099-12-31"
    assert by_key[("credit", "2.0.0")]["report_signed"] is True


def test_csv_has_the_documented_header_and_lists_joined(
    run: Any, seeded: Seeded, tmp_path: Path
) -> None:
    result = run("models", "--store", seeded.url, "--config", config(tmp_path), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(table[0]) == list(COLUMNS)
    fraud = next(row for row in table if row["model"] == "fraud")
    assert fraud["open_waivers"] == "demographic-parity until 2099-12-31"
    assert fraud["expired_waivers"] == "equalized-odds expired 2020-01-31"
    assert fraud["registry_uri"] == "models:/fraud/7"
    credit = next(row for row in table if row["model"] == "credit" and row["version"] == "1.0.0")
    assert credit["monitoring"] == "failed"
    assert credit["approvals"] == "none required"  # no roles configured for any tier


def test_a_csv_cell_a_spreadsheet_would_run_is_defused(run: Any, tmp_path: Path) -> None:
    from governance.audit import AuditStore

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with AuditStore.open(url) as store:
        append(store, record('=HYPERLINK("http://x")', "1.0.0"))
    result = run("models", "--store", url, "--format", "csv")
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert row["model"] == '\'=HYPERLINK("http://x")'


def test_only_one_model_when_asked(run: Any, seeded: Seeded) -> None:
    result = run("models", "--store", seeded.url, "--model", "credit", "--format", "json")
    assert {row["model"] for row in json.loads(result.stdout)["rows"]} == {"credit"}


def test_a_missing_store_is_one_line_and_exit_2(run: Any, tmp_path: Path) -> None:
    result = run("models", "--store", f"sqlite:///{tmp_path / 'none.db'}")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "none.db").exists()


def test_an_unwritable_output_is_refused_before_reading(run: Any, tmp_path: Path) -> None:
    seeded = seed(tmp_path / "audit.db")
    result = run("models", "--store", seeded.url, "-o", tmp_path / "missing" / "out.csv")
    assert result.exit_code == 2
    assert "missing" in result.stderr
