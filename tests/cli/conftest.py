from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from governance.cli import main


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


Run = Callable[..., Result]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run the CLI in-process through its real entry point (error boundary included)."""
    for name in ("GOVERNANCE_STORE_URL", "GOVERNANCE_SIGNING_KEY", "GOVERNANCE_SIGNING_CERT"):
        monkeypatch.delenv(name, raising=False)

    def _run(*args: str) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as caught:
            main([str(a) for a in args])
        out, err = capsys.readouterr()
        code = caught.value.code
        return Result(code if isinstance(code, int) else 1, out, err)

    return _run
