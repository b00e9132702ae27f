"""The verdict written back to the registry: tags on the version, an alias moved on a pass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from governance.errors import EXIT_USAGE, GovernanceError, InputError

ALIAS = r"^[A-Za-z0-9_-]{1,255}$"
BAD_ALIAS = "--promote {alias!r}: an alias is letters, digits, _ and - (and not 'latest')"
PROMOTE_DRY_RUN = "--promote moves an alias after a recorded evaluation: a dry run records nothing"
PROMOTE_DRY_RUN_HINT = "drop --dry-run (dry_run=True), or drop --promote (promote=)"
WRITE_FAILED = (
    "evaluation {id} is recorded ({verdict}), but writing it back to the MLflow registry at "
    "{tracking} failed: {reason}; {alias}"
)
WRITE_FAILED_HINT = (
    "the tags can be written again with `governance check` once the registry answers"
)
TAG_VERDICT = "governance.verdict"
TAG_EVALUATION = "governance.evaluation_id"
TAG_REPORT = "governance.report_digest"
TAG_POLICIES = "governance.policies"


class RegistryWriteError(GovernanceError):
    """Writing the verdict back to the registry failed after the evaluation was recorded.

    Exit 2, as for bad input, so a pipeline does not deploy a version whose tags or alias
    were not written; unlike an InputError, the evaluation is in the store (the message says
    so).
    """

    exit_code = EXIT_USAGE
    http_status = 502


@dataclass(frozen=True)
class WriteBack:
    """What was written to the registry: the tags, and where the alias points now."""

    tags: Mapping[str, str | None]
    alias: str | None = None
    promoted: bool = False
    alias_version: str | None = None
    """The version the alias points at afterwards (None: not set)."""

    def message(self, name: str, version: str) -> str | None:
        """One line on the alias, for the terminal; None without ``--promote``."""
        if self.alias is None:
            return None
        if self.promoted:
            return f"Promoted: alias {self.alias} of {name} now points at version {version}"
        where = (
            "is not set" if self.alias_version is None else f"stays at version {self.alias_version}"
        )
        return f"Not promoted: the gate did not pass, alias {self.alias} of {name} {where}"


def check_promote(alias: str | None, *, dry_run: bool) -> None:
    """An InputError for an alias MLflow would refuse, or ``--promote`` with a dry run."""
    import re

    if alias is None:
        return
    if not re.fullmatch(ALIAS, alias) or alias.lower() == "latest":
        raise InputError(BAD_ALIAS.format(alias=alias), field="promote")
    if dry_run:
        raise InputError(PROMOTE_DRY_RUN, field="promote", hint=PROMOTE_DRY_RUN_HINT)


def verdict_tags(record: Mapping[str, Any], report_digest: str | None) -> dict[str, str | None]:
    """The tags of a recorded evaluation; ``report_digest`` None removes an earlier one."""
    policies = ",".join(f"{p['name']}@{p['version']}" for p in record.get("policies", []))
    return {
        TAG_VERDICT: str(record["verdict"]),
        TAG_EVALUATION: str(record["evaluation_id"]),
        TAG_REPORT: report_digest,
        TAG_POLICIES: policies,
    }


def write_back(
    record: Mapping[str, Any], tracking: str, *, report_digest: str | None, promote: str | None
) -> WriteBack:
    """Tag the gated version with the verdict; move ``promote`` to it if the gate passed.

    Raises
    ------
    RegistryWriteError
        The registry refused or could not be reached (exit 2); the message says the evaluation
        is recorded, and whether the alias moved.
    """
    from governance.registry import mlflow as registry

    facts = record["registry"]
    name, version = str(facts["name"]), str(facts["version"])
    tags = verdict_tags(record, report_digest)
    passed = record.get("exit_code") == 0
    try:
        registry.write_tags(name, version, tags, tracking)
        if promote is not None and passed:
            registry.set_alias(name, promote, version, tracking)
            return WriteBack(tags, promote, promoted=True, alias_version=version)
        target = None if promote is None else registry.alias_target(name, promote, tracking)
    except Exception as exc:
        alias = "no alias was moved" if promote is None else f"alias {promote} was not moved"
        raise RegistryWriteError(
            WRITE_FAILED.format(
                id=record["evaluation_id"],
                verdict=record["verdict"],
                tracking=registry.portable_location(tracking),
                reason=registry.reason_of(exc, tracking),
                alias=alias,
            ),
            hint=WRITE_FAILED_HINT,
        ) from None
    return WriteBack(tags, promote, promoted=False, alias_version=target)
