"""The ``governance`` command: thin over the library, with one error boundary.

Expected failures (:class:`~governance.errors.GovernanceError`) print ``Error: <message>`` on one
line and exit with the error's code; an optional package that is not installed is one such line
naming the extra to install (:mod:`governance.extras`); anything else is an internal error
(exit 3).

A run prints only what governance means to say: Python warnings from the libraries it uses
(deprecations and the like) are not shown. ``--debug`` (or ``GOVERNANCE_DEBUG=1``) shows them and
the traceback of an internal error; Python's own ``-W`` / ``PYTHONWARNINGS`` are left to decide.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import click

from governance._version import __version__
from governance.cli.lazy import LazyGroup
from governance.errors import EXIT_INTERNAL, EXIT_USAGE, GovernanceError
from governance.extras import missing_extra

DEBUG_ENV = "GOVERNANCE_DEBUG"
DEBUG_HELP = (
    "Show the warnings of the libraries governance uses (hidden otherwise) and the traceback "
    f"of an internal error. Same as {DEBUG_ENV}=1."
)


@dataclass
class Debug:
    """Whether this run shows library warnings and internal tracebacks."""

    on: bool = False


def show_warnings(debug: Debug) -> None:
    """Let library warnings through from now on (``--debug``), unless ``-W`` said otherwise."""
    debug.on = True
    if not sys.warnoptions:
        warnings.simplefilter("default")


def _debug_option(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    # eager: runs while the group's options are parsed, before a subcommand's module is imported
    if value and isinstance(ctx.obj, Debug):
        show_warnings(ctx.obj)


COMMANDS = {
    "check": "governance.cli.check:check",
    "verify": "governance.cli.verify:verify",
    "verify-model": "governance.cli.verify_model:verify_model",
    "vsa": "governance.cli.vsa:vsa",
    "keys": "governance.cli.keys:keys",
    "audit": "governance.cli.audit:audit",
    "checks": "governance.cli.checks:checks",
    "lineage": "governance.cli.lineage:lineage",
    "report": "governance.cli.report:report",
    "packs": "governance.cli.packs:packs",
    "policy": "governance.cli.policy:policy",
    "serve": "governance.cli.serve:serve",
    "init": "governance.cli.init:init",
    "monitor": "governance.cli.monitor:monitor",
    "models": "governance.cli.models:models",
    "document": "governance.cli.document:document",
    "diff": "governance.cli.diff:diff",
    "approve": "governance.cli.approve:approve",
    "approvals": "governance.cli.approve:approvals",
}


@click.group(
    cls=LazyGroup,
    lazy_subcommands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="governance")
@click.option(
    "--debug",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_debug_option,
    help=DEBUG_HELP,
)
def cli() -> None:
    """Decide whether a machine-learning model may be deployed, prove why, and keep the proof.

    Exit codes: 0 passed, 1 gate failed (or verification failed), 2 invalid input or usage,
    3 internal error.
    """


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI and exit with its code."""
    debug = Debug(on=bool(os.environ.get(DEBUG_ENV)))
    try:
        with warnings.catch_warnings():
            if not sys.warnoptions:
                warnings.simplefilter("default" if debug.on else "ignore")
            result = cli.main(args=argv, prog_name="governance", standalone_mode=False, obj=debug)
    except GovernanceError as exc:
        click.echo(f"Error: {one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:  # a group without its command: the help
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.UsageError as exc:
        click.echo(usage_line(exc), err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_USAGE)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        if debug.on:
            traceback.print_exc()
        missing = missing_extra(exc)
        if missing is not None:  # an optional package is not installed: say which extra
            click.echo(f"Error: {one_line(str(missing))}", err=True)
            sys.exit(missing.exit_code)
        click.echo(
            f"Internal error: {type(exc).__name__}: {exc} "
            f"(run with --debug or {DEBUG_ENV}=1 for the traceback; please report it)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(result if isinstance(result, int) else 0)


def usage_line(exc: click.exceptions.UsageError) -> str:
    """A usage error on one line: the command, what is wrong, where the help is."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    command = exc.ctx.command_path if exc.ctx is not None else "governance"
    return f"Error: {command}: {message} (see '{command} --help')"


def one_line(text: str) -> str:
    """``text`` on one line (:func:`governance.escapes.visible`), tabs kept.

    An error names what the user gave (a node name, a file name), which may hold a newline; the
    error must still be one line, and a terminal escape must not act.
    """
    from governance.escapes import visible

    return visible(text, keep="\t")
