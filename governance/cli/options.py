"""Options shared by several commands, and settings resolution from them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from governance.config import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])


def store_option(function: F) -> F:
    """``--store URL`` (else GOVERNANCE_STORE_URL, governance.yml, or .governance/audit.db)."""
    return click.option(
        "--store",
        "store_url",
        metavar="URL",
        help="Audit store URL (sqlite:///file.db or postgresql+psycopg://...).",
    )(function)


def config_option(function: F) -> F:
    """``--config FILE``."""
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Settings file (default: ./governance.yml if present).",
    )(function)


def settings(config_file: Path | None, **flags: str | None) -> Settings:
    """Resolve settings with these flag values on top."""
    return load_settings(flags, config_file=config_file)


def resolve_store_url(config_file: Path | None, flag: str | None) -> str:
    """The audit store URL: ``--store``, else GOVERNANCE_STORE_URL, governance.yml, the default."""
    return settings(config_file, store_url=flag).require("store_url", "pass --store URL")


def write_output(text: str, output: Path | None = None) -> None:
    """Write ``text`` to ``output`` atomically, or to stdout."""
    if output is None:
        click.echo(text, nl=False)
        return
    from governance.reporting.formats.output import write_text_atomic

    write_text_atomic(output, text)
