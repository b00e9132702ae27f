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
