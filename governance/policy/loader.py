"""Load and validate policy files; every problem names the file, line and field."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from governance.checks.registry import CheckRegistry
from governance.errors import PolicyError
from governance.policy.model import Policy, PolicySpec, Rule
from governance.store.canonical import canonical_json
from governance.validation import dotted, validate_document
from governance.yaml_source import LocatedDict, load_yaml_text, position_of, read_text

POLICY_SUFFIXES = (".yaml", ".yml")


def _error(
    message: str, document: Any, path: Path, *location: str | int, hint: str | None = None
) -> PolicyError:
    """A PolicyError at the value found at ``location``, naming the field."""
    line, column = position_of(document, location, value=True) or (None, None)
    return PolicyError(
        message, path=path, line=line, column=column, field=dotted(location), hint=hint
    )


def _plain(value: Any) -> Any:
    """Located containers -> plain dicts and lists (for the canonical digest)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def policy_digest(document: Any) -> str:
    """``sha256:<hex>`` of the policy's canonical JSON form (whitespace and order free)."""
    canonical = canonical_json(_plain(document)).encode("utf-8")
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def _load_rules(
    spec: PolicySpec, document: LocatedDict, path: Path, registry: CheckRegistry
) -> tuple[Rule, ...]:
    rules = []
    seen: set[str] = set()
    for index, rule_spec in enumerate(spec.rules):
        where = ("rules", index)
        if rule_spec.id in seen:
            raise _error(f"duplicate rule id {rule_spec.id!r}", document, path, *where, "id")
        seen.add(rule_spec.id)
        check = registry.get(rule_spec.check)
        if check is None:
            raise _error(
                f"unknown check {rule_spec.check!r}",
                document,
                path,
                *where,
                "check",
                hint="`governance checks` lists the known checks",
            )
        raw_params = document["rules"][index].get("params") or LocatedDict()
        params = validate_document(
            check.params,
            raw_params,
            path=path,
            error=PolicyError,
            prefix=("rules", index, "params"),
        )
        if rule_spec.threshold is None:
            line, column = position_of(document, where) or (None, None)
            raise PolicyError(
                f"check {check.name} needs a threshold (min and/or max)",
                path=path,
                line=line,
                column=column,
                field=f"rules[{index}].threshold",
            )
        line, column = position_of(document, where) or (None, None)
        rules.append(
            Rule(
                spec=rule_spec,
                params=params,
                policy=spec.metadata.name,
                path=path,
                line=line,
                column=column,
            )
        )
    return tuple(rules)


def load_policy(path: str | Path, registry: CheckRegistry) -> Policy:
    """Read and validate one policy file."""
    path = Path(path)
    text = read_text(path, PolicyError, "policy file")
    documents = [doc for doc in load_yaml_text(text, path, PolicyError) if doc is not None]
    if len(documents) != 1:
        raise PolicyError(f"expected one YAML document, found {len(documents)}", path=path, line=1)
    document = documents[0]
    if not isinstance(document, LocatedDict):
        raise PolicyError("expected a mapping with kind: Policy", path=path, line=1)
    if document.get("kind") != "Policy":
        raise _error(
            f"kind must be 'Policy', found {document.get('kind')!r}", document, path, "kind"
        )
    spec = validate_document(PolicySpec, document, path=path, error=PolicyError)
    rules = _load_rules(spec, document, path, registry)
    return Policy(path=path, spec=spec, rules=rules, digest=policy_digest(document))


def expand_policy_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and ``*.yaml``/``*.yml`` files inside directories, sorted."""
    expanded: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in POLICY_SUFFIXES)
            if not found:
                raise PolicyError("directory holds no policy files (*.yaml, *.yml)", path=path)
            expanded.extend(found)
        else:
            expanded.append(path)
    return expanded


def load_policies(paths: Sequence[str | Path], registry: CheckRegistry) -> list[Policy]:
    """Load several policies; rule ids must be unique across all of them."""
    files = expand_policy_paths(paths)
    if not files:
        raise PolicyError("no policy given", hint="pass --policy FILE")
    policies = [load_policy(path, registry) for path in files]
    owners: dict[str, Rule] = {}
    for policy in policies:
        for rule in policy.rules:
            earlier = owners.get(rule.id)
            if earlier is not None:
                raise PolicyError(
                    f"rule id {rule.id!r} is already used in {earlier.path}:{earlier.line}",
                    path=rule.path,
                    line=rule.line,
                    column=rule.column,
                    field="id",
                )
            owners[rule.id] = rule
    return policies
