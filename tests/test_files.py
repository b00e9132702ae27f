"""The one atomic writer (governance/files.py): all files or none, exact modes, no leftovers."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from governance.files import write_atomic, write_new


def test_write_atomic_replaces_every_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    first, second = tmp_path / "report.pdf", tmp_path / "report.intoto.json"
    first.write_bytes(b"old")
    write_atomic([(first, b"new pdf"), (second, b"{}")], mode=0o644)
    assert first.read_bytes() == b"new pdf"
    assert second.read_bytes() == b"{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.intoto.json", "report.pdf"]


def test_a_file_that_cannot_be_written_leaves_every_target_as_it_was(tmp_path: Path) -> None:
    kept = tmp_path / "report.pdf"
    kept.write_bytes(b"old")
    missing_folder = tmp_path / "nope" / "report.intoto.json"
    with pytest.raises(OSError) as caught:
        write_atomic([(kept, b"new"), (missing_folder, b"{}")])
    assert caught.value.filename == str(missing_folder.parent)
    assert kept.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["report.pdf"]


def test_the_mode_is_exact_whatever_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "api-keys.json"
    old = os.umask(0)
    try:
        write_atomic([(target, b"{}")], mode=0o600)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_without_a_mode_the_umask_applies(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    old = os.umask(0o077)
    try:
        write_atomic([(target, b"{}")])
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_write_new_refuses_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "key.pem"
    write_new(target, b"secret", 0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_new(target, b"other", 0o600)
    assert target.read_bytes() == b"secret"
