"""Docs stay true: the CLI reference is generated from --help, every check is documented.

Regenerate docs/cli.md with: UPDATE_DOCS=1 .venv/bin/python -m pytest tests/test_docs.py
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.testing import CliRunner

from governance.checks import default_registry
from governance.cli import cli

REPO = Path(__file__).resolve().parents[1]
CLI_DOC = REPO / "docs" / "cli.md"

HEADER = """# CLI reference

Generated from `governance --help` by `tests/test_docs.py`; do not edit by hand
(`UPDATE_DOCS=1 .venv/bin/python -m pytest tests/test_docs.py` regenerates it).
"""


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = [*prefix, name]
        found.append(path)
        if isinstance(command, click.Group):
            found.extend(_commands(command, path))
    return found


def generate() -> str:
    runner = CliRunner()
    sections = [HEADER]
    for path in [[], *_commands(cli, [])]:
        result = runner.invoke(cli, [*path, "--help"], prog_name="governance", terminal_width=100)
        assert result.exit_code == 0, result.output
        title = " ".join(["governance", *path])
        sections.append(f"## `{title}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(sections)


def test_cli_reference_is_current() -> None:
    text = generate()
    if os.environ.get("UPDATE_DOCS"):
        CLI_DOC.write_text(text, encoding="utf-8")
    assert CLI_DOC.read_text(encoding="utf-8") == text, "regenerate: UPDATE_DOCS=1 pytest"


def test_every_check_type_is_documented() -> None:
    text = (REPO / "docs" / "checks.md").read_text(encoding="utf-8")
    for check in default_registry():
        assert f"`{check.name}`" in text, check.name
        for param in check.params.model_fields:
            assert f"`{param}`" in text, (check.name, param)


def test_readme_quick_start_is_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
