"""One policy file: read, validated and compiled into a :class:`Policy`; errors name file:line.

:func:`load_policy` reads one file and nothing it extends (that is
:func:`governance.policy.loader.load_policies`, through :mod:`governance.policy.compose`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from governance.canonical import CanonicalJSONError, canonical_json
from governance.checks.registry import CheckRegistry
from governance.errors import PolicyError
from governance.policy.cel_words import template_problem
from governance.policy.expr import ExpressionKind, Located, compile_expression
from governance.policy.model import Policy, PolicySpec, Rule
from governance.policy.waivers import located_waivers
from governance.validation import dotted, validate_document
from governance.yaml_source import LocatedDict, load_yaml_text, position_of, read_text


def error_at(
    message: str, document: Any, path: Path, *location: str | int, hint: str | None = None
) -> PolicyError:
    """A PolicyError at the value found at ``location``, naming the field."""
    line, column = position_of(document, location, value=True) or (None, None)
    return PolicyError(
        message, path=path, line=line, column=column, field=dotted(location), hint=hint
    )


def _plain(value: Any) -> Any:
    """Located containers -> plain dicts and lists, dates -> ISO text (for the digest)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def policy_digest(document: Any) -> str:
    """``sha256:<hex>`` of the policy's canonical JSON form (whitespace and order free)."""
    canonical = canonical_json(_plain(document)).encode("utf-8")
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def _expression(
    text: str | None,
    kind: ExpressionKind,
    document: LocatedDict,
    path: Path,
    source: str,
    where: tuple[str | int, ...],
) -> Any:
    if text is None:
        return None
    key = "assert" if kind == "assert" else "when"
    location = (*where, key)
    raw = document["rules"][where[1]].get(key)
    located = Located(
        text=raw if isinstance(raw, str) else text,
        path=path,
        value_position=position_of(document, location, value=True),
        source=source,
    )
    return compile_expression(located, kind, field=dotted(location))


def _load_rules(
    spec: PolicySpec, document: LocatedDict, path: Path, registry: CheckRegistry, source: str
) -> tuple[Rule, ...]:
    rules = []
    seen: set[str] = set()
    for index, rule_spec in enumerate(spec.rules):
        where = ("rules", index)
        if rule_spec.id in seen:
            raise error_at(f"duplicate rule id {rule_spec.id!r}", document, path, *where, "id")
        seen.add(rule_spec.id)
        check = registry.get(rule_spec.check)
        if check is None:
            raise error_at(
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
        line, column = position_of(document, where) or (None, None)
        if rule_spec.threshold is None and rule_spec.assertion is None:
            raise PolicyError(
                f"check {check.name} needs a threshold (min and/or max) or an assert expression",
                path=path,
                line=line,
                column=column,
                field=f"rules[{index}].threshold",
            )
        if rule_spec.message is not None:
            problem = template_problem(rule_spec.message)
            if problem is not None:
                raise error_at(problem, document, path, *where, "message")
        rules.append(
            Rule(
                spec=rule_spec,
                params=params,
                policy=spec.metadata.name,
                path=path,
                line=line,
                column=column,
                assertion=_expression(rule_spec.assertion, "assert", document, path, source, where),
                condition=_expression(rule_spec.when, "when", document, path, source, where),
            )
        )
    return tuple(rules)


def read_document(path: Path, kind: str) -> tuple[LocatedDict, str]:
    """The one YAML mapping in ``path`` with ``kind: <kind>``, and the file's text."""
    text = read_text(path, PolicyError, f"{kind.lower()} file")
    documents = [doc for doc in load_yaml_text(text, path, PolicyError) if doc is not None]
    if len(documents) != 1:
        raise PolicyError(f"expected one YAML document, found {len(documents)}", path=path, line=1)
    document = documents[0]
    if not isinstance(document, LocatedDict):
        raise PolicyError(f"expected a mapping with kind: {kind}", path=path, line=1)
    if document.get("kind") != kind:
        raise error_at(
            f"kind must be {kind!r}, found {document.get('kind')!r}", document, path, "kind"
        )
    return document, text


def load_policy(path: str | Path, registry: CheckRegistry) -> Policy:
    """Read and validate one policy file (the policies it extends are not loaded)."""
    path = Path(path)
    try:
        document, text = read_document(path, "Policy")
        spec = validate_document(PolicySpec, document, path=path, error=PolicyError)
        rules = _load_rules(spec, document, path, registry, text)
        digest = policy_digest(document)
    except RecursionError:
        raise PolicyError("the policy nests too deeply", path=path, line=1) from None
    except CanonicalJSONError as exc:
        raise PolicyError(f"cannot digest the policy: {exc}", path=path, line=1) from None
    return Policy(
        path=path,
        spec=spec,
        rules=rules,
        digest=digest,
        waivers=located_waivers(spec.waivers, document, path),
        document=document,
    )


def check_unique_rule_ids(policies: Sequence[Policy]) -> None:
    """Rule ids must be unique across every policy loaded together."""
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
