"""Where each output format goes: ``--format NAME[=FILE]``, repeatable, and ``--output FILE``.

Rules (checked before the gate runs, so a bad combination writes nothing):

- ``NAME`` alone goes to ``--output FILE`` if given, else to stdout; ``NAME=FILE`` to that file;
  ``NAME=-`` to stdout. No ``--format`` at all means ``text``.
- At most one format goes to stdout, so stdout is always one parseable document.
- ``--output`` receives exactly one format; no two formats share a file; a destination must not
  be a directory, and its folder must already exist and take new files (missing folders are
  never created: a typo in a path is an error, not a new folder).

Files are written atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from governance.errors import ConfigError
from governance.files import write_atomic
from governance.reporting.formats import FORMAT_NAMES, format_record, github
from governance.reporting.formats.findings import Record

STDOUT = "-"
HINT = "e.g. --format text --format sarif=results.sarif --format junit=junit.xml"
OUTPUT_DIR_MISSING = "the output folder does not exist"
"""The same words as the PDF report's own check (:mod:`governance.reporting.render`)."""
OUTPUT_DIR_NOT_A_FOLDER = "the output folder is a file, not a folder"
OUTPUT_IS_DIR = "is a directory, not a file"
CANNOT_CREATE = "cannot create a file in the output folder: {reason}"


@dataclass(frozen=True)
class OutputTarget:
    """One format and where it goes (``path`` None: stdout)."""

    format: str
    path: Path | None = None


def _parse(spec: str) -> tuple[str, str | None]:
    """``NAME[=FILE]`` -> (name, destination or None when not given)."""
    name, sep, destination = spec.partition("=")
    name = name.strip().lower()
    if name not in FORMAT_NAMES:
        raise ConfigError(
            f"--format {spec}: unknown format {name!r}",
            hint=f"choose from {', '.join(FORMAT_NAMES)}",
        )
    if sep and not destination.strip():
        raise ConfigError(
            f"--format {spec}: no file after '='", hint="use NAME=FILE, or NAME=- for stdout"
        )
    return name, (destination if sep else None)


def check_writable(path: Path) -> None:
    """Refuse ``path`` unless a file can be written there; nothing is created on disk.

    ``path`` must not be a directory, and its folder must exist, be a folder, and take a new
    file (tried with an anonymous temporary file, which also catches folders that only look
    writable, such as ``/proc`` to root).

    Raises
    ------
    ConfigError
        Naming the path or folder at fault (exit 2).
    """
    if path.is_dir():
        raise ConfigError(OUTPUT_IS_DIR, path=path, hint="name a file to write")
    folder = path.parent
    if not folder.exists():
        raise ConfigError(OUTPUT_DIR_MISSING, path=folder)
    if not folder.is_dir():
        raise ConfigError(OUTPUT_DIR_NOT_A_FOLDER, path=folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(CANNOT_CREATE.format(reason="permission denied"), path=folder)
    try:
        with tempfile.TemporaryFile(dir=folder):  # O_TMPFILE on Linux: never has a name
            pass
    except OSError as exc:
        raise ConfigError(CANNOT_CREATE.format(reason=exc.strerror or exc), path=folder) from exc


def plan_outputs(
    specs: Sequence[str],
    output: Path | None = None,
    *,
    also_written: Mapping[Path, str] | None = None,
) -> list[OutputTarget]:
    """Targets for the ``--format`` values and ``--output``; ConfigError for a bad combination.

    ``also_written``: other files the command writes, with what they are (``the report``),
    which no format may overwrite.
    """
    parsed = [_parse(spec) for spec in specs] or [("text", None)]
    bare = [name for name, destination in parsed if destination is None]
    if output is not None and len(bare) != 1:
        problem = "no format without its own file" if not bare else f"{len(bare)} formats"
        raise ConfigError(f"--output takes exactly one format, got {problem}", hint=HINT)
    targets = []
    for name, destination in parsed:
        if destination is None:
            targets.append(OutputTarget(name, output))
        else:
            targets.append(OutputTarget(name, None if destination == STDOUT else Path(destination)))
    to_stdout = [t.format for t in targets if t.path is None]
    if len(to_stdout) > 1:
        raise ConfigError(
            f"only one format can go to stdout, got {', '.join(to_stdout)}",
            hint="give the others a file: " + HINT,
        )
    seen = {
        os.path.normcase(os.path.abspath(path)): what for path, what in (also_written or {}).items()
    }
    for target in targets:
        if target.path is None:
            continue
        key = os.path.normcase(os.path.abspath(target.path))
        if key in seen:
            raise ConfigError(
                f"{seen[key]} and format {target.format} would both write {target.path}", hint=HINT
            )
        seen[key] = f"format {target.format}"
        check_writable(target.path)
    return targets


def use_color(is_tty: bool, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set (no-color.org) or TERM=dumb."""
    return is_tty and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (:func:`~governance.files.write_atomic`).

    The folder must exist (ConfigError otherwise): it is never created.
    """
    if not path.parent.is_dir():
        check_writable(path)  # the reason, in the same words as the checks before a run
    try:
        write_atomic([(path, text.encode("utf-8"))])
    except OSError as exc:
        raise ConfigError(f"cannot write the output: {exc.strerror or exc}", path=path) from exc


def write_outputs(
    record: Record,
    targets: Sequence[OutputTarget],
    *,
    stdout: Callable[[str], None],
    color: bool = False,
    environ: Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> None:
    """Render every target; files first, then the GitHub step summary, then stdout.

    Parameters
    ----------
    record
        The evaluation record.
    targets
        From :func:`plan_outputs`.
    stdout
        Writes the one stdout document.
    color
        Colour the text format when it goes to stdout (see :func:`use_color`).
    environ
        Where ``GITHUB_STEP_SUMMARY`` is looked up; the ``github`` format appends the Markdown
        summary to that file when it is set.
    warn
        Told when the step summary cannot be written: a lost summary must not hide the verdict,
        so it is a warning, not an error. Without ``warn`` it is a ConfigError.
    """
    on_stdout = None
    for target in targets:
        if target.path is None:
            on_stdout = format_record(record, target.format, color=color)
        else:
            write_text_atomic(target.path, format_record(record, target.format))
    summary = github.step_summary_path(environ or {})
    if summary is not None and any(t.format == "github" for t in targets):
        try:
            github.append_step_summary(record, summary)
        except OSError as exc:
            problem = ConfigError(
                f"cannot append to ${github.STEP_SUMMARY_ENV}: {exc.strerror or exc}", path=summary
            )
            if warn is None:
                raise problem from exc
            warn(f"Warning: {problem}")
    if on_stdout is not None:
        stdout(on_stdout)
