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
