"""governance.check(): strings in, a typed Evaluation out, nothing written on a bad argument."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import governance
from governance.errors import InputError
from tests.api.conftest import log_size
from tests.conftest import CliRun


def test_check_takes_strings_and_returns_a_typed_evaluation(
    manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "audit.db"
    result = governance.check(
        str(manifest_path), str(policy_path), fail_on="medium", store=f"sqlite:///{db}"
    )
    assert isinstance(result, governance.Evaluation)
    assert (result.verdict, result.passed, result.exit_code) == ("passed", True, 0)
    assert result.recorded and result.report is None
    first = result.findings[0]
    assert (first.rule_id, first.severity, first.outcome) == ("dp-ratio", "high", "pass")
    assert first.threshold is not None and first.threshold.min == 0.8
    assert isinstance(first.measured, float) and first.blocking is False
    assert result.to_dict()["fail_on"] == "medium"
    assert log_size(db) == 3  # START, the evaluation, COMPLETE
    with governance.AuditStore.open(f"sqlite:///{db}", create=False) as store:
        assert store.get_evaluation(result.evaluation_id) == result.to_dict()


def test_check_store_default_is_the_configured_store(
    manifest_path: Path, policy_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "configured.db"
    monkeypatch.setenv("GOVERNANCE_STORE_URL", f"sqlite:///{db}")
    governance.check(manifest_path, [policy_path])
    assert log_size(db) == 3


def _bad_waivers(tmp_path: Path) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text("kind: Waivers\nwaivers: [oops\n", encoding="utf-8")
    return path


BAD: dict[str, Callable[[Path, Path, Path], tuple[dict[str, Any], list[str]]]] = {
    # name: (manifest, policy, tmp) -> (check() arguments, the same as CLI arguments)
    "fail_on": lambda m, p, t: ({"fail_on": "hihg"}, []),
    "missing manifest": lambda m, p, t: ({"manifest": t / "nope.yaml"}, []),
    "bad policy": lambda m, p, t: ({"policies": t / "nope-policy.yaml"}, []),
    "bad waiver file": lambda m, p, t: (
        {"waivers": [_bad_waivers(t)]},
        ["--waivers", str(t / "waivers.yaml")],
    ),
    "report path is a folder": lambda m, p, t: (
        {"report": t, "sign": False},
        ["--report", str(t), "--no-sign"],
    ),
    "bad store URL": lambda m, p, t: (
        {"store": "mysql://user:pw@host/db"},
        ["--store", "mysql://user:pw@host/db"],
    ),
    "dry run with a report": lambda m, p, t: (
        {"dry_run": True, "report": t / "r.pdf", "sign": False},
        ["--dry-run", "--report", str(t / "r.pdf"), "--no-sign"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_argument_is_the_clis_input_error_and_the_store_is_untouched(
    case: str, manifest_path: Path, policy_path: Path, tmp_path: Path, run_cli: CliRun
) -> None:
    db = tmp_path / "audit.db"
    url = f"sqlite:///{db}"
    governance.check(manifest_path, policy_path, store=url)
    before = db.read_bytes(), log_size(db)
    arguments, cli = BAD[case](manifest_path, policy_path, tmp_path)
    call: dict[str, Any] = {"manifest": manifest_path, "policies": policy_path, "store": url}
    call.update(arguments)
    with pytest.raises(InputError) as caught:
        governance.check(call.pop("manifest"), call.pop("policies"), **call)
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)
    assert (db.read_bytes(), log_size(db)) == before
    if cli:  # the CLI says the very same line
        manifest = str(arguments.get("manifest", manifest_path))
        policy = str(arguments.get("policies", policy_path))
        store = [] if "--store" in cli else ["--store", url]
        result = run_cli("check", manifest, "-p", policy, *store, *cli)
        assert (result.exit_code, result.stderr) == (2, f"Error: {caught.value}\n")
        assert (db.read_bytes(), log_size(db)) == before


def test_check_options_take_the_documented_string_for_fail_on(
    manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    """CheckOptions(fail_on="high") crashed mid-evaluation, leaving START and FAIL events."""
    from governance.gate import CheckOptions, GateRun, run_gate

    db = tmp_path / "audit.db"
    options = CheckOptions(manifest=manifest_path, policies=[policy_path], fail_on="high")  # type: ignore[arg-type]
    record = run_gate(GateRun(options=options, store_url=f"sqlite:///{db}")).record
    assert record["fail_on"] == "high"
    assert log_size(db) == 3
    with pytest.raises(InputError, match="fail_on must be one of critical, high, medium"):
        CheckOptions(manifest=manifest_path, policies=[policy_path], fail_on="urgent")  # type: ignore[arg-type]


def test_outputs_are_planned_before_anything_is_recorded(
    manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "audit.db"
    with pytest.raises(InputError, match="the output folder does not exist"):
        governance.check(
            manifest_path,
            policy_path,
            store=f"sqlite:///{db}",
            outputs=[f"sarif={tmp_path / 'missing' / 'out.sarif'}"],
        )
    assert not db.exists()
    governance.check(
        manifest_path, policy_path, store=f"sqlite:///{db}", outputs=[f"junit={tmp_path / 'j.xml'}"]
    )
    assert (tmp_path / "j.xml").read_text(encoding="utf-8").startswith("<?xml")


def test_evaluation_shows_as_an_escaped_table_in_a_notebook(
    manifest_path: Path, policy_path: Path
) -> None:
    result = governance.check(manifest_path, policy_path, dry_run=True)
    record = result.to_dict()
    record["findings"][0]["message"] = "<script>alert(1)</script>"
    shown = governance.Evaluation.from_record(record, recorded=False)._repr_html_()
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert shown.count("<tr>") == 1 + len(result.findings)
    assert "PASSED" in shown and "dry run: not recorded" in shown
    text = repr(result)
    assert text.startswith("<Evaluation synthetic 0.1.0: PASSED (exit 0), 2 findings, 0 blocking")
    assert "dry run: not recorded" in text
