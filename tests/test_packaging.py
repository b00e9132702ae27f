"""pyproject.toml ships every package and data file (the wheel test builds it; this is quick)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Any

from tests.conftest import REPO

MAPPED = {"governance._packs": "policies", "governance._templates": "report_templates"}


def setuptools_table() -> dict[str, Any]:
    with (REPO / "pyproject.toml").open("rb") as handle:
        table: dict[str, Any] = tomllib.load(handle)["tool"]["setuptools"]
    return table


def package_folders() -> dict[str, Path]:
    """Every folder of governance/ holding files, by package name, and the mapped folders."""
    folders = {
        ".".join(folder.relative_to(REPO).parts): folder
        for folder in [REPO / "governance", *(REPO / "governance").rglob("*")]
        if folder.is_dir() and "__pycache__" not in folder.parts
    }
    folders.update({name: REPO / folder for name, folder in MAPPED.items()})
    return folders


def test_every_package_is_listed_and_the_data_folders_are_mapped() -> None:
    table = setuptools_table()
    assert table["package-dir"] == MAPPED
    assert sorted(table["packages"]) == sorted(package_folders())


def test_package_data_covers_every_data_file() -> None:
    patterns = setuptools_table()["package-data"]["*"]
    uncovered = []
    for name, folder in package_folders().items():
        for path in folder.iterdir():
            data = path.is_file() and path.suffix not in (".py", ".pyc")
            if data and not any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns):
                uncovered.append(f"{name}: {path.name}")
    assert not uncovered, "add a package-data pattern for " + ", ".join(uncovered)
