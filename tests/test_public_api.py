from __future__ import annotations

from pathlib import Path

import pytest

import governance


def test_every_public_name_resolves() -> None:
    for name in governance.__all__:
        assert getattr(governance, name) is not None, name


def test_run_gate_refuses_a_report_it_cannot_write_before_recording(tmp_path: Path) -> None:
    from governance.errors import ConfigError
    from tests.conftest import REPO

    store = tmp_path / "audit.db"
    folder = tmp_path / "a-folder"
    folder.mkdir()
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


def test_run_gate_takes_a_shipped_pack_by_name(tmp_path: Path) -> None:
    from governance.resources import packs_dir
    from tests.conftest import REPO

    run = governance.GateRun(
        options=governance.CheckOptions(
            manifest=REPO / "samples" / "adult-income" / "mitigated.yaml",
            policies=["pack:fairness-baseline"],
        ),
        store_url=f"sqlite:///{tmp_path / 'audit.db'}",
    )
    record = governance.run_gate(run).record
    [policy] = record["policies"]
    assert policy["name"] == "fairness-baseline"
    assert Path(policy["path"]).parent.samefile(packs_dir())
