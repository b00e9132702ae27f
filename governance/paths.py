"""Where a file may point: the paths a manifest or policy names stay inside trusted folders.

A manifest names its evaluation data and model; a policy names the policies it ``extends``; a
policy test names the policies it tests. Those files may come from the change under review (a
pull request), so what they name must not reach the machine's own files (``/etc/passwd``,
``~/.ssh/id_rsa``, a CI runner's credentials beside the checkout). A named path is resolved
against the folder of the file naming it, symbolic links followed, and is accepted only inside

- that folder (a manifest with its data beside it), or
- the working directory (the CI checkout: ``manifests/`` naming ``../data/`` and ``../models/``),
  unless the working directory is the file system's root, which would confine nothing, or
- a folder listed in ``GOVERNANCE_ALLOWED_PATHS`` (separated by the OS path separator), the
  escape hatch for data kept elsewhere (a mounted volume). It is read from the environment only,
  never from ``governance.yml``, which the change under review could edit.

See docs/manifest.md and docs/policies.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ALLOWED_PATHS_ENV = "GOVERNANCE_ALLOWED_PATHS"
OUTSIDE = (
    "{what} {named!r} is outside the folders it may name (the folder of this file, the working "
    "directory, or a folder in " + ALLOWED_PATHS_ENV + ")"
)


def allowed_roots(base: Path, env: Mapping[str, str] | None = None) -> list[Path]:
    """The folders a file in ``base`` may name paths in, symbolic links resolved.

    Parameters
    ----------
    base
        The folder of the file that names the paths.
    env
        The environment (``os.environ`` by default), for ``GOVERNANCE_ALLOWED_PATHS``.

    Returns
    -------
    list of Path
        ``base``, the working directory unless it is the file system's root, and the folders
        of ``GOVERNANCE_ALLOWED_PATHS``.
    """
    env = os.environ if env is None else env
    roots = [base.resolve()]
    cwd = Path.cwd().resolve()
    if cwd != Path(cwd.anchor):
        roots.append(cwd)
    listed = env.get(ALLOWED_PATHS_ENV, "")
    roots.extend(Path(entry).resolve() for entry in listed.split(os.pathsep) if entry.strip())
    return roots


def confined(named: str, base: Path, env: Mapping[str, str] | None = None) -> Path | None:
    """``named`` resolved against ``base``, or None when it leaves every allowed root.

    Parameters
    ----------
    named
        A path as a file gives it: relative to ``base``, or absolute; ``~`` is not expanded.
    base
        The folder of the file that names it.
    env
        The environment (``os.environ`` by default), for ``GOVERNANCE_ALLOWED_PATHS``.

    Returns
    -------
    Path or None
        The resolved path (symbolic links followed, so a link cannot lead out), or None.
    """
    resolved = (base / named).resolve()
    if any(resolved.is_relative_to(root) for root in allowed_roots(base, env)):
        return resolved
    return None


# -- portable names ------------------------------------------------------------------------------
#
# What the record, the OpenLineage events, the report and the attestation call a file: never the
# checking machine's absolute path (it leaks user and workspace names, and makes the same
# evaluation differ between a laptop and a CI runner), but its path relative to the project root,
# the name a training pipeline gives the same file (docs/lineage.md, "Names of files").

CHECKOUT_MARKER = ".git"
"""What marks the top of a project: a git checkout's ``.git`` (a folder; a file in a worktree)."""


def project_root(start: Path) -> Path:
    """The folder names are relative to: the top of the git checkout holding ``start``.

    Parameters
    ----------
    start
        A folder (a manifest's, a training script's); it need not exist yet.

    Returns
    -------
    Path
        The nearest folder at or above ``start`` (symbolic links resolved) that holds a
        ``.git``; when none does, the working directory if ``start`` is inside it (where the
        command's relative paths, and a CI job's workspace, begin), else ``start`` itself.
    """
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / CHECKOUT_MARKER).exists():
            return candidate
    here = Path.cwd().resolve()
    return here if folder.is_relative_to(here) else folder


def portable_name(path: Path | str, root: Path, digest: str | None = None) -> str:
    """What to call ``path`` in evidence: relative to ``root``, never absolute.

    Parameters
    ----------
    path
        A file (relative paths are taken from the working directory).
    root
        The project root (:func:`project_root`).
    digest
        The file's ``sha256:<hex>``, for a file that shares no folder with ``root``.

    Returns
    -------
    str
        ``root``-relative with ``/`` (``samples/adult-income/models/mitigated.skops``); with
        ``..`` for a file beside the project (``../shared/data.csv``); the file name, then
        ``@`` and its digest when given, for a file whose only common folder with ``root`` is
        the file system's root (another drive, ``/mnt/data``).
    """
    resolved = Path(path).resolve()
    root = root.resolve()
    if resolved.is_relative_to(root):
        return resolved.relative_to(root).as_posix() or "."
    try:
        common = Path(os.path.commonpath([resolved, root]))
    except ValueError:  # another drive
        common = Path(resolved.anchor)
    if common == Path(common.anchor):
        return resolved.name if digest is None else f"{resolved.name}@{digest}"
    return Path(os.path.relpath(resolved, root)).as_posix()


def shown_name(name: str) -> str:
    """A recorded file name as evidence shows it: an absolute path becomes its file name.

    Records written before names were portable hold absolute paths; a report or attestation
    rendered from one now names the file only (its digest is beside it).
    """
    if name.startswith(("/", "\\")) or (len(name) > 2 and name[1] == ":" and name[2] in "/\\"):
        return Path(name.replace("\\", "/")).name or name
    return name
