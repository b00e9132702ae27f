"""The policy packs shipped with governance, named ``pack:NAME`` wherever a policy file may be.

A pack is a policy file of ``policies/`` in the repository, installed in the package
(:func:`governance.resources.packs_dir`); its name is the file's name without ``.yaml``, which is
also its ``metadata.name``. ``--policy pack:fair-lending`` and ``extends: [pack:fair-lending]``
load it from the installed package: it is the package's own data, not a path, so the folders a
policy may name (:mod:`governance.paths`) do not apply to it, and only the names of shipped packs
are accepted (``pack:../x`` is an unknown pack, never a path).
"""

from __future__ import annotations

from pathlib import Path

from governance.errors import PolicyError
from governance.paths import portable_name, project_root
from governance.resources import packs_dir

__all__ = [
    "PACK_PREFIX",
    "evidence_name",
    "find_pack",
    "is_pack_ref",
    "pack_files",
    "pack_names",
    "pack_ref_of",
    "resolve_pack_ref",
    "unknown_pack",
]

PACK_PREFIX = "pack:"
PACK_SUFFIXES = (".yaml", ".yml")
UNKNOWN_PACK = "unknown policy pack {name!r} (shipped packs: {names})"
UNKNOWN_PACK_HINT = "governance packs lists them"


def is_pack_ref(ref: str | Path) -> bool:
    """Whether ``ref`` names a shipped pack (``pack:NAME``) rather than a path."""
    return str(ref).startswith(PACK_PREFIX)


def pack_files() -> dict[str, Path]:
    """The shipped packs' files by pack name, sorted."""
    folder = packs_dir()
    return {
        path.name.removesuffix(path.suffix): path
        for path in sorted(folder.iterdir())
        if path.suffix in PACK_SUFFIXES and ".test." not in path.name and path.is_file()
    }


def pack_names() -> list[str]:
    """The names of the shipped packs, sorted."""
    return sorted(pack_files())


def find_pack(name: str) -> Path | None:
    """The file of the shipped pack ``name`` (without ``pack:``), or None if there is none."""
    return pack_files().get(name)


def pack_ref_of(path: str | Path) -> str | None:
    """``pack:NAME`` for the installed file of a shipped pack, else None.

    Evidence names a pack so, never by its installed path (which names the machine).
    """
    resolved = Path(path).resolve()
    for name, file in pack_files().items():
        if file.resolve() == resolved:
            return f"{PACK_PREFIX}{name}"
    return None


def evidence_name(path: str | Path) -> str:
    """What evidence calls a policy or waiver file: ``pack:NAME``, or its project-relative path.

    A file of a shipped pack is ``pack:NAME``; any other is named relative to the top of the git
    checkout holding it (:func:`governance.paths.portable_name`), never by its absolute path.
    """
    return pack_ref_of(path) or portable_name(path, project_root(Path(path).resolve().parent))


def unknown_pack(name: str) -> str:
    """The one-line message for a ``pack:`` name that no shipped pack has."""
    return UNKNOWN_PACK.format(name=name, names=", ".join(pack_names()))


def resolve_pack_ref(ref: str | Path) -> Path:
    """The file of the shipped pack that ``ref`` (``pack:NAME``) names.

    Parameters
    ----------
    ref
        ``pack:NAME``.

    Returns
    -------
    Path
        The pack's policy file, inside the installed package.

    Raises
    ------
    PolicyError
        No shipped pack has that name (the message lists the shipped packs; exit 2).
    """
    name = str(ref).removeprefix(PACK_PREFIX)
    path = find_pack(name)
    if path is None:
        raise PolicyError(unknown_pack(name), hint=UNKNOWN_PACK_HINT)
    return path
