"""`governance check` imports only what the check uses (issue 14: the whole check of 1M rows in
under 1.5 s, where interpreter start and imports are a large part).

A store already at the newest schema is opened without Alembic (an import of 0.15 s and a read
of every migration script).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from governance.store.migrate import HEAD_REVISION, head_revision
from tests.conftest import MANIFEST, synthetic_frame

POLICY = """apiVersion: governance/v1
kind: Policy
metadata: {name: p, version: 1.0.0}
rules:
  - {id: dp, title: DP, severity: high, check: fairness.demographic_parity_difference,
     threshold: {max: 1}}
"""
PROBE = """
import sys
from governance.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = sorted({name.split(".")[0] for name in sys.modules} & {"alembic"})
print("LOADED", ",".join(loaded), "CODE", code, file=sys.stderr)
"""


def checked(folder: Path) -> str:
    """Run ``governance check`` in ``folder``; the probe's last line."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-c", PROBE, "check", "manifest.yaml", "-p", "policy.yaml"]
    command += ["--store", f"sqlite:///{folder / 'audit.db'}"]
    result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    return result.stderr.strip().splitlines()[-1]


def test_a_check_into_a_store_at_the_newest_schema_does_not_import_alembic(
    tmp_path: Path,
) -> None:
    synthetic_frame().to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    assert checked(tmp_path) == "LOADED alembic CODE 0"  # the new store is created by Alembic
    assert checked(tmp_path) == "LOADED  CODE 0"


def test_the_head_revision_is_the_newest_migration() -> None:
    assert head_revision() == HEAD_REVISION
