from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import governance
from tests.conftest import REPO


def test_every_public_name_resolves_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in governance.__all__:
            assert getattr(governance, name) is not None, name


def test_the_new_entry_points_are_public() -> None:
    for name in ("check", "evaluate_model", "Evaluation", "write_report"):
        assert name in governance.__all__


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("run_gate", "governance.check()"),
        ("GateRun", "governance.check()"),
        ("CheckOptions", "governance.check()"),
        ("GateResult", "governance.Evaluation"),
        ("prepare_check", "governance.check()"),
        ("run_check", "governance.check()"),
        ("evaluate", "governance.check() or governance.evaluate_model()"),
        ("render_pdf", "governance.write_report()"),
    ],
)
def test_old_entry_points_warn_naming_their_replacement(name: str, replacement: str) -> None:
    with pytest.warns(DeprecationWarning) as caught:
        value = getattr(governance, name)
    assert callable(value)
    message = str(caught[0].message)
    assert message == (
        f"governance.{name} is deprecated since 0.1.0 and goes in 0.2.0: use {replacement}"
    )
    assert name not in governance.__all__


def test_the_two_run_checks_have_distinct_names() -> None:
    from governance.gate import record_check
    from governance.policy.engine import run_check

    with pytest.warns(DeprecationWarning):
        assert governance.run_check is record_check
    assert run_check is not record_check


def test_run_gate_still_refuses_a_report_it_cannot_write_before_recording(tmp_path: Path) -> None:
    from governance.errors import ConfigError

    store = tmp_path / "audit.db"
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.warns(DeprecationWarning):
        run = governance.GateRun(
            options=governance.CheckOptions(
                manifest=REPO / "samples" / "adult-income" / "baseline.yaml",
                policies=[REPO / "policies" / "fairness-baseline.yaml"],
            ),
            store_url=f"sqlite:///{store}",
            report=folder,
            sign=False,
        )
        with pytest.raises(ConfigError, match="is a directory"):
            governance.run_gate(run)
    assert not store.exists()  # nothing evaluated, nothing recorded


def test_check_takes_a_shipped_pack_by_name(tmp_path: Path) -> None:
    result = governance.check(
        REPO / "samples" / "adult-income" / "mitigated.yaml",
        "pack:fairness-baseline",
        store=tmp_path / "audit.db",
    )
    [policy] = result.to_dict()["policies"]
    assert policy["name"] == "fairness-baseline"
    assert policy["path"] == "pack:fairness-baseline"  # not its installed path
    assert (tmp_path / "audit.db").exists()  # a Path is a SQLite store
