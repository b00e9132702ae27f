"""The shipped packs described for ``governance packs``: each loaded with what it extends."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance.checks.registry import CheckRegistry
from governance.policy.controls import framework_of
from governance.policy.loader import load_policies
from governance.policy.packs import PACK_PREFIX, pack_files


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
    found = []
    for name, path in pack_files().items():
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
