"""The data's snapshot identity the record carries: file digests, or a table folder's versions."""

from __future__ import annotations

import json
from pathlib import Path

from governance.data.engines import file_snapshot
from governance.manifest import load_manifest
from tests.conftest import MANIFEST


def test_a_table_folder_is_listed_not_read_and_names_its_delta_and_iceberg_versions(
    tmp_path: Path,
) -> None:
    table = tmp_path / "decisions"
    (table / "_delta_log").mkdir(parents=True)
    (table / "metadata").mkdir()
    (table / "part-0.parquet").write_bytes(b"x" * 10)
    for version in (0, 1, 7):
        (table / "_delta_log" / f"{version:020d}.json").write_text("{}")
    (table / "metadata" / "v2.metadata.json").write_text(json.dumps({"current-snapshot-id": 42}))
    (tmp_path / "manifest.yaml").write_text(MANIFEST.replace("data.csv", "decisions"))
    manifest = load_manifest(tmp_path / "manifest.yaml")
    first = file_snapshot(manifest, (table,))
    assert first["delta_version"] == 7 and first["iceberg_snapshot_id"] == 42
    assert first["files"] == 5 and first["path"] == "decisions"
    (table / "part-1.parquet").write_bytes(b"y")
    assert file_snapshot(manifest, (table,))["digest"] != first["digest"]


def test_files_are_named_portably_with_sizes_and_digests(tmp_path: Path) -> None:
    (tmp_path / "a.parquet").write_bytes(b"abc")
    (tmp_path / "manifest.yaml").write_text(MANIFEST.replace("data.csv", "a.parquet"))
    manifest = load_manifest(tmp_path / "manifest.yaml")
    found = file_snapshot(manifest, (tmp_path / "a.parquet",))
    [entry] = found["files"]
    assert entry == {
        "path": "a.parquet",
        "size": 3,
        "digest": "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    }
