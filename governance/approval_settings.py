"""Who may approve an evaluation, and which roles a risk tier needs: parsed settings values.

The three settings of docs/approvals.md, read by :mod:`governance.config`: ``approvers`` (name
-> key and roles), ``approval_roles`` (risk tier -> roles that must approve) and
``owner_may_approve``. Each parser takes the setting's text (JSON for the structured ones, as
governance.yml's lists and mappings are handed over) and raises ``ValueError`` saying what the
value must be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "APPROVERS_SHAPE",
    "Approver",
    "RequiredRoles",
    "parse_approval_roles",
    "parse_approvers",
    "parse_flag",
]

EVERY_TIER = "all"
RISK_TIERS = ("minimal", "limited", "high", "unacceptable")
KEY_ID = re.compile(r"sha256:[0-9a-f]{64}")
ROLE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
APPROVERS_SHAPE = (
    "a mapping of approver name to {key: a public key or certificate file, or its key id "
    "sha256:<64 hex>; roles: [role, ...]}"
)
ROLES_SHAPE = (
    f"a list of roles, or a mapping of {EVERY_TIER} or a risk tier ({', '.join(RISK_TIERS)}) "
    "to such lists (a role: a letter, then letters, digits, _ . -)"
)
FLAG_SHAPE = "true or false"


@dataclass(frozen=True)
class Approver:
    """A person who may approve, the key they sign with, and the roles they may approve in."""

    name: str
    key: str
    """``sha256:<64 hex>`` (a key id) or the path of a public key or certificate file."""
    roles: tuple[str, ...]

    @property
    def key_is_id(self) -> bool:
        """Whether :attr:`key` is a key id rather than a file."""
        return KEY_ID.fullmatch(self.key) is not None


@dataclass(frozen=True)
class RequiredRoles:
    """The roles that must approve an evaluation, for every model and per risk tier."""

    by_tier: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __bool__(self) -> bool:
        return any(roles for _, roles in self.by_tier)

    def for_tier(self, risk_tier: str | None) -> tuple[str, ...]:
        """The roles a model of ``risk_tier`` needs: those of ``all``, then the tier's."""
        found = [
            r for tier, roles in self.by_tier if tier in (EVERY_TIER, risk_tier) for r in roles
        ]
        return tuple(dict.fromkeys(found))

    def names(self) -> set[str]:
        """Every role any tier requires."""
        return {role for _, roles in self.by_tier for role in roles}


def _json(text: str) -> object:
    stripped = text.strip()
    if stripped[:1] not in ("[", "{"):
        return [part.strip() for part in stripped.split(",") if part.strip()]
    return json.loads(stripped)


def _roles(value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(
        isinstance(item, str) and ROLE.fullmatch(item) for item in items
    ):
        raise ValueError(ROLES_SHAPE)
    return tuple(dict.fromkeys(items))


def parse_approvers(text: str) -> tuple[Approver, ...]:
    """Read ``{name: {key: ..., roles: [...]}}`` (JSON text).

    Raises
    ------
    ValueError
        If the text is not such a mapping, a role is malformed, or two approvers share a key.
    """
    try:
        value = json.loads(text)
    except ValueError:
        raise ValueError(APPROVERS_SHAPE) from None
    if not isinstance(value, dict):
        raise ValueError(APPROVERS_SHAPE)
    approvers = []
    for name, entry in value.items():
        if not name.strip() or not isinstance(entry, dict) or set(entry) - {"key", "roles"}:
            raise ValueError(APPROVERS_SHAPE)
        key, roles = entry.get("key"), entry.get("roles")
        if not isinstance(key, str) or not key.strip() or roles is None:
            raise ValueError(APPROVERS_SHAPE)
        try:
            approvers.append(Approver(name.strip(), key.strip(), _roles(roles)))
        except ValueError:
            raise ValueError(f"{APPROVERS_SHAPE}; {name}'s roles: {ROLES_SHAPE}") from None
    keys = [approver.key for approver in approvers]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{APPROVERS_SHAPE}, each approver with a key of their own")
    return tuple(approvers)


def parse_approval_roles(text: str) -> RequiredRoles:
    """Read ``validator,risk_owner`` (every model), or JSON: a list, or tier -> list.

    Raises
    ------
    ValueError
        If the text is not such a list or mapping, or names an unknown tier.
    """
    try:
        value = _json(text)
    except ValueError:
        raise ValueError(ROLES_SHAPE) from None
    if isinstance(value, list):
        value = {EVERY_TIER: value}
    if not isinstance(value, dict):
        raise ValueError(ROLES_SHAPE)
    pairs = []
    for tier, roles in value.items():
        if tier not in (EVERY_TIER, *RISK_TIERS):
            raise ValueError(ROLES_SHAPE)
        pairs.append((tier, _roles(roles)))
    return RequiredRoles(tuple(pairs))


def parse_flag(text: str) -> bool:
    """Read ``true`` / ``false`` (any case; YAML's booleans arrive as ``True`` / ``False``)."""
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(FLAG_SHAPE)
    return lowered == "true"


def known_roles(approvers: Iterable[Approver], required: RequiredRoles) -> set[str]:
    """Every role the configuration names: approvers' roles and required ones."""
    return {role for approver in approvers for role in approver.roles} | required.names()
