"""`governance check` imports only what the check uses (issue 14: the whole check of 1M rows in
under 1.5 s, where interpreter start and imports are a large part).

A store already at the newest schema is opened without Alembic (an import of 0.15 s and a read
of every migration script). Without a configured OpenLineage transport, openlineage-python (0.2 to
0.5 s: its package loads the client and every transport) is not imported: the gate builds its
events as plain JSON. Neither matplotlib nor WeasyPrint is imported: charts are drawn when a
report is.
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
watched = {"alembic", "openlineage", "matplotlib", "weasyprint"}
loaded = sorted({name.split(".")[0] for name in sys.modules} & watched)
print("LOADED", ",".join(loaded), "CODE", code, file=sys.stderr)
"""


def checked(folder: Path, **variables: str) -> str:
    """Run ``governance check`` in ``folder``, with no OpenLineage settings but ``variables``;
    the probe's last line."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("OPENLINEAGE")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")])
    env["HOME"] = str(folder / "home")  # no ~/.openlineage/openlineage.yml
    env.update(variables)
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


def test_a_check_imports_openlineage_only_to_forward_its_events(tmp_path: Path) -> None:
    synthetic_frame().to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    assert checked(tmp_path) == "LOADED alembic CODE 0"  # alembic: the new store
    forwarded = tmp_path / "events.jsonl"
    transport = {"OPENLINEAGE__TRANSPORT__TYPE": "file", "OPENLINEAGE__TRANSPORT__APPEND": "true"}
    transport["OPENLINEAGE__TRANSPORT__LOG_FILE_PATH"] = str(forwarded)
    assert checked(tmp_path, **transport) == "LOADED openlineage CODE 0"
    assert len(forwarded.read_text(encoding="utf-8").splitlines()) == 2  # START, COMPLETE


def test_the_head_revision_is_the_newest_migration() -> None:
    assert head_revision() == HEAD_REVISION
