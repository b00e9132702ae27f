"""docs/python-api.md, run as written: its ```python blocks in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.conftest import log_size
from tests.conftest import REPO

PAGE = REPO / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
SHOWN = re.compile(r"^print\((.*)\)  # (.*)$", re.MULTILINE)


@pytest.mark.slow
def test_the_python_api_page_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    db = tmp_path / "audit.db"
    monkeypatch.setenv("GOVERNANCE_STORE_URL", f"sqlite:///{db}")
    monkeypatch.chdir(REPO)  # the page's paths are the repository's samples
    namespace: dict[str, object] = {}
    for block in blocks:
        capsys.readouterr()
        exec(compile(block, str(PAGE), "exec"), namespace)  # the page's own code
        printed = capsys.readouterr().out.splitlines()
        shown = [comment for _, comment in SHOWN.findall(block)]
        assert printed[: len(shown)] == shown, (block, printed)
    # the first check() recorded, evaluate_model() did not (a dry run), the last check() did
    assert log_size(db) == 6
