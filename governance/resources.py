"""Files that ship in the package, found with :mod:`importlib.resources`.

The policy packs and the default report theme live at the top of the repository, in
``policies/`` and ``report_templates/``, where readers look for them; ``pyproject.toml`` maps them
into the package as :data:`PACKS_PACKAGE` and :data:`TEMPLATES_PACKAGE`, in a wheel and in an
editable install alike. The web view's templates and styles, the JSON schemas and the store's
migrations are ordinary package data. No path is computed from this file's location, so an
installed governance and a checkout find the same files the same way.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from governance.errors import SetupError

__all__ = [
    "PACKS_PACKAGE",
    "TEMPLATES_PACKAGE",
    "default_templates",
    "packs_dir",
    "resource_dir",
]

PACKS_PACKAGE = "governance._packs"
"""``policies/`` of the repository, as installed."""
TEMPLATES_PACKAGE = "governance._templates"
"""``report_templates/`` of the repository, as installed."""

MISSING = "this installation of governance has no {package} ({what})"
MISSING_HINT = "reinstall governance: pip install governance, or pip install -e . in a checkout"
NOT_ON_DISK = "{package} ({what}) is not a folder on disk: {location}"
NOT_ON_DISK_HINT = "install governance unpacked (pip install), not from a zip file"


def resource_dir(package: str, *parts: str, what: str) -> Path:
    """The folder of ``package`` (or ``parts`` below it), as a path on disk.

    Parameters
    ----------
    package
        A package of governance, e.g. ``governance.serve``.
    *parts
        Names below the package's folder, e.g. ``"templates"``.
    what
        What the folder holds, for the error message (``"policy packs"``).

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    SetupError
        The package is not installed, or not as files on disk (from a zip file).
    """
    try:
        root = files(package)
    except ModuleNotFoundError:
        raise SetupError(MISSING.format(package=package, what=what), hint=MISSING_HINT) from None
    folder = root.joinpath(*parts) if parts else root
    if not isinstance(folder, Path) or not folder.is_dir():
        raise SetupError(
            NOT_ON_DISK.format(package=package, what=what, location=folder), hint=NOT_ON_DISK_HINT
        )
    return folder


def packs_dir() -> Path:
    """The folder of the shipped policy packs (``policies/`` in the repository)."""
    return resource_dir(PACKS_PACKAGE, what="policy packs")


def default_templates() -> Path:
    """The default report theme (``report_templates/`` in the repository)."""
    return resource_dir(TEMPLATES_PACKAGE, what="the default report theme")
