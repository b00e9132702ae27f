"""Usage errors: one line on stderr naming the command and where its help is, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run


@pytest.mark.parametrize(
    ("args", "command", "says"),
    [
        (["check", "m.yaml"], "governance check", "Missing option '--policy' / '-p'"),
        (["check", "m.yaml", "-p", "p.yaml", "--fail-on", "none"], "governance check", "'none'"),
        (["nosuch"], "governance", "No such command 'nosuch'"),
        (["--bogus"], "governance", "No such option '--bogus'"),
        (
            ["lineage", "history", "job:a:b", "--since", "yesterday"],
            "governance lineage history",
            "RFC 3339",
        ),
    ],
)
def test_a_usage_error_is_one_line(run: Run, args: list[str], command: str, says: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"Error: {command}: ")
    assert says in result.stderr
    assert result.stderr.endswith(f"(see '{command} --help')\n")


def test_a_group_without_its_command_shows_its_help(run: Run) -> None:
    result = run("lineage")
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: governance lineage [OPTIONS] COMMAND")
    assert "upstream" in result.stderr


def test_an_error_naming_what_the_user_typed_stays_on_one_line(run: Run, tmp_path: Path) -> None:
    from governance.audit import AuditStore

    url = f"sqlite:///{tmp_path / 'a.db'}"
    AuditStore.open(url).close()
    result = run("lineage", "upstream", "dataset:ns:line1\nline2\x1b[31m", "--store", url)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "line1\\nline2\\x1b[31m" in result.stderr
