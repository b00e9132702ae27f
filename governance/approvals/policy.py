"""Who may approve what, from the settings: approvers' key ids, roles, the owner rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.approval_settings import Approver, known_roles
from governance.config import Settings
from governance.errors import ConfigError, SigningError

__all__ = ["Approvers", "record_digest"]

KEY_FILE_UNUSABLE = "approvers: {name}'s key {key}: {problem}"


def record_digest(record: Mapping[str, Any]) -> str:
    """``sha256:`` and the hex sha256 of a record's canonical JSON (its log entry's payload)."""
    from governance.canonical import canonical_json, sha256_hex

    return "sha256:" + sha256_hex(canonical_json(dict(record)))


@dataclass(frozen=True)
class Approvers:
    """The configured approvers by key id, and the rules that say what each may approve."""

    by_key: Mapping[str, Approver]
    roles: frozenset[str]
    owner_may_approve: bool

    @classmethod
    def of(cls, settings: Settings) -> Approvers:
        """Resolve every approver's key to its id (a key file is read now).

        Raises
        ------
        ConfigError
            If an approver's key file is missing or holds no public key.
        """
        from governance.approvals.sign import load_public_key_id

        by_key: dict[str, Approver] = {}
        for approver in settings.approvers:
            if approver.key_is_id:
                by_key[approver.key] = approver
                continue
            try:
                by_key[load_public_key_id(Path(approver.key))] = approver
            except SigningError as exc:
                raise ConfigError(
                    KEY_FILE_UNUSABLE.format(
                        name=approver.name, key=approver.key, problem=exc.message
                    )
                ) from None
        roles = frozenset(known_roles(settings.approvers, settings.approval_roles))
        return cls(by_key, roles, settings.owner_may_approve)

    def refusal(self, key_id: str, role: str, owner: str | None) -> str | None:
        """Why ``key_id`` may not approve in ``role`` a model owned by ``owner``, or ``None``."""
        approver = self.by_key.get(key_id)
        if approver is None:
            return f"the key {key_id} is not an approver's key in the configuration"
        if role not in approver.roles:
            allowed = ", ".join(approver.roles) or "none"
            return (
                f"{approver.name}'s key {key_id} is not allowed the role {role} "
                f"(allowed: {allowed})"
            )
        if owner is not None and approver.name == owner and not self.owner_may_approve:
            return (
                f"{approver.name} owns the model and may not approve it "
                "(owner_may_approve is false)"
            )
        return None
