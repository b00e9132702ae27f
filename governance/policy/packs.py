"""The policy packs shipped with governance, named ``pack:NAME`` wherever a policy file may be.

A pack is a policy file of ``policies/`` in the repository, installed in the package
(:func:`governance.resources.packs_dir`); its name is the file's name without ``.yaml``, which is
also its ``metadata.name``. ``--policy pack:fair-lending`` and ``extends: [pack:fair-lending]``
load it from the installed package: it is the package's own data, not a path, so the folders a
policy may name (:mod:`governance.paths`) do not apply to it, and only the names of shipped packs
are accepted (``pack:../x`` is an unknown pack, never a path).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance.checks.registry import CheckRegistry
from governance.errors import PolicyError
from governance.policy.controls import framework_of
from governance.resources import packs_dir

__all__ = [
    "PACK_PREFIX",
    "PackInfo",
    "find_pack",
    "is_pack_ref",
    "pack_names",
    "resolve_pack_ref",
    "shipped_packs",
    "unknown_pack",
]

PACK_PREFIX = "pack:"
PACK_SUFFIXES = (".yaml", ".yml")
UNKNOWN_PACK = "unknown policy pack {name!r} (shipped packs: {names})"
UNKNOWN_PACK_HINT = "governance packs lists them"


def is_pack_ref(ref: str | Path) -> bool:
    """Whether ``ref`` names a shipped pack (``pack:NAME``) rather than a path."""
    return str(ref).startswith(PACK_PREFIX)


def _pack_files() -> dict[str, Path]:
    folder = packs_dir()
    return {
        path.name.removesuffix(path.suffix): path
        for path in sorted(folder.iterdir())
        if path.suffix in PACK_SUFFIXES and ".test." not in path.name and path.is_file()
    }


def pack_names() -> list[str]:
    """The names of the shipped packs, sorted."""
    return sorted(_pack_files())


def find_pack(name: str) -> Path | None:
    """The file of the shipped pack ``name`` (without ``pack:``), or None if there is none."""
    return _pack_files().get(name)


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


@dataclass(frozen=True)
class PackInfo:
    """What ``governance packs`` shows of one shipped pack.

    Parameters
    ----------
    name
        The pack's name: ``--policy pack:NAME``.
    version
        ``metadata.version``.
    digest
        ``sha256:<hex>`` of the policy's canonical form, as the gate records it with a verdict.
    rules
        How many rules the pack itself holds.
    controls
        Distinct controls its rules name, counted per framework (``{"EU AI Act": 31}``).
    description
        ``metadata.description``.
    path
        The pack's file in the installed package.
    """

    name: str
    version: str
    digest: str
    rules: int
    controls: Mapping[str, int] = field(default_factory=dict)
    description: str | None = None
    path: Path | None = None

    @property
    def ref(self) -> str:
        """How a command or an ``extends`` names the pack: ``pack:NAME``."""
        return PACK_PREFIX + self.name

    def as_dict(self) -> dict[str, Any]:
        """The pack as JSON (``governance packs --format json``)."""
        return {
            "name": self.name,
            "ref": self.ref,
            "version": self.version,
            "digest": self.digest,
            "rules": self.rules,
            "controls": {"count": sum(self.controls.values()), "frameworks": dict(self.controls)},
            "description": self.description,
            "path": str(self.path) if self.path is not None else None,
        }


def shipped_packs(registry: CheckRegistry) -> list[PackInfo]:
    """Load every shipped pack (with what it extends) and describe it.

    Parameters
    ----------
    registry
        The check types its rules may use.

    Returns
    -------
    list of PackInfo
        One per pack, sorted by name.
    """
    from governance.policy.loader import load_policies

    found = []
    for name, path in _pack_files().items():
        key = path.resolve()
        policy = next(p for p in load_policies([path], registry) if p.path.resolve() == key)
        distinct = {control for rule in policy.rules for control in rule.spec.controls}
        per_framework = Counter(framework_of(control) for control in distinct)
        found.append(
            PackInfo(
                name=name,
                version=policy.version,
                digest=policy.digest,
                rules=len(policy.rules),
                controls=dict(sorted(per_framework.items())),
                description=policy.spec.metadata.description,
                path=path,
            )
        )
    return found
