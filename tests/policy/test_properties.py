"""Property tests: whatever the loaders are given, the user sees a PolicyError, not a traceback."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.checks import default_registry
from governance.errors import PolicyError
from governance.policy.expr import _environment
from governance.policy.loader import load_policies, load_policy
from governance.policy.testing import run_test_file
from governance.policy.waivers import load_waivers

REGISTRY = default_registry()
_environment()  # cel-python raises the recursion limit once; do it before hypothesis runs
SETTINGS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

CEL_TOKENS = [
    "measured",
    "evidence",
    "model",
    "data",
    "threshold",
    "x",
    ".",
    "tables",
    "groups",
    "count",
    "risk_tier",
    "all",
    "exists",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "g",
    "t",
    "&&",
    "||",
    "!",
    ">=",
    "<",
    "==",
    "!=",
    "+",
    "*",
    "/",
    "?",
    "0.8",
    "30",
    "'high'",
    '"',
    "null",
    "true",
    "size",
    "has",
    "in",
    "filter",
    "map",
    "\n",
    " ",
]
cel = st.lists(st.sampled_from(CEL_TOKENS), max_size=14).map("".join)

RULE_VALUES: dict[str, Any] = {
    "id": st.one_of(st.sampled_from(["r", "r.1", "dup", "", "*", "a b"]), st.text(max_size=10)),
    "title": st.one_of(st.just("A title"), st.text(max_size=5)),
    "severity": st.sampled_from(["critical", "high", "medium", "low", "info", "urgent", 3]),
    "check": st.sampled_from(
        [*REGISTRY.names(), "fairness.nope", "", "documentation.field_present"]
    ),
    "params": st.one_of(
        st.dictionaries(
            st.sampled_from(
                ["metric", "fields", "method", "min_group_size", "sensitive_features", "zzz"]
            ),
            st.one_of(
                st.sampled_from(["accuracy", "between_groups", "f1", ["sex"], ["model_card.x"]]),
                values,
            ),
            max_size=3,
        ),
        values,
    ),
    "threshold": st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "min": st.one_of(st.floats(), st.integers(), st.text(max_size=3)),
                "max": st.one_of(st.floats(), st.integers()),
            },
        ),
        values,
    ),
    "assert": st.one_of(cel, values),
    "when": st.one_of(cel, values),
    "on_error": st.sampled_from(["block", "warn", "ignore"]),
    "on_insufficient": st.sampled_from(["block", "warn", None]),
    "controls": st.one_of(st.lists(st.text(max_size=10), max_size=3), values),
    "remediation": st.one_of(st.text(max_size=10), values),
}
rules = st.lists(
    st.fixed_dictionaries({}, optional={key: strategy for key, strategy in RULE_VALUES.items()}),
    max_size=4,
)
waivers = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "rule_id": st.sampled_from(["r", "", "*", "r.1", "a?"]),
            "subject": st.one_of(
                st.fixed_dictionaries(
                    {"model": st.sampled_from(["m", "*", ""])},
                    optional={"version": st.sampled_from(["1.0.0", "*", 1])},
                ),
                values,
            ),
            "justification": st.sampled_from(["because", ""]),
            "approved_by": st.just("a@example.org"),
            "ticket": st.just("T-1"),
            "expires": st.one_of(st.dates(), st.datetimes(), st.text(max_size=12)),
        },
    ),
    max_size=3,
)


def dump(document: Any) -> str:
    try:
        return yaml.safe_dump(document, allow_unicode=True)
    except yaml.YAMLError:
        return "{"


def check_loads_or_policy_error(text: str, name: str = "policy.yaml") -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        try:
            load_policies([path], REGISTRY)
        except PolicyError as exc:
            assert "\n" not in str(exc)
            assert exc.exit_code == 2


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_is_a_policy_error(text: str) -> None:
    check_loads_or_policy_error(text)


@SETTINGS
@given(values)
def test_random_yaml_documents_are_policy_errors(document: Any) -> None:
    check_loads_or_policy_error(dump(document))


@SETTINGS
@given(
    rules,
    st.one_of(st.none(), waivers),
    st.one_of(st.none(), st.lists(st.sampled_from(["policy.yaml", "nope.yaml", ""]), max_size=2)),
    st.one_of(st.none(), st.dictionaries(st.sampled_from(["r", "x"]), values, max_size=2)),
)
def test_random_rule_documents_load_or_are_policy_errors(
    rule_list: list[dict[str, Any]],
    waiver_list: list[dict[str, Any]] | None,
    extends: list[str] | None,
    overrides: dict[str, Any] | None,
) -> None:
    document: dict[str, Any] = {
        "apiVersion": "governance/v1",
        "kind": "Policy",
        "metadata": {"name": "p", "version": "1.0.0"},
        "rules": rule_list,
    }
    for key, value in (("waivers", waiver_list), ("extends", extends), ("overrides", overrides)):
        if value is not None:
            document[key] = value
    check_loads_or_policy_error(dump(document))


@SETTINGS
@given(st.one_of(waivers, values))
def test_random_waiver_files_are_policy_errors(waiver_list: Any) -> None:
    document = {"apiVersion": "governance/v1", "kind": "Waivers", "waivers": waiver_list}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "waivers.yaml"
        path.write_text(dump(document), encoding="utf-8")
        try:
            load_waivers(path)
        except PolicyError as exc:
            assert "\n" not in str(exc)


@SETTINGS
@given(values, values, values)
def test_random_policy_test_files_are_policy_errors(cases: Any, model: Any, evidence: Any) -> None:
    policy = {
        "apiVersion": "governance/v1",
        "kind": "Policy",
        "metadata": {"name": "p", "version": "1.0.0"},
        "rules": [
            {
                "id": "r",
                "title": "t",
                "severity": "high",
                "check": "performance.metric",
                "params": {"metric": "accuracy"},
                "assert": "measured > 0.5 && evidence.x.all(g, g > 1)",
            }
        ],
    }
    document = {
        "apiVersion": "governance/v1",
        "kind": "PolicyTest",
        "policies": ["policy.yaml"],
        "model": model,
        "tests": [
            {"name": "n", "evidence": {"r": evidence}, "expect": {"r": "pass"}},
            *([cases] if isinstance(cases, dict) else []),
        ],
    }
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "policy.yaml").write_text(dump(policy), encoding="utf-8")
        path = Path(folder) / "p.test.yaml"
        path.write_text(dump(document), encoding="utf-8")
        try:
            run_test_file(path, REGISTRY)
        except PolicyError as exc:
            assert "\n" not in str(exc)


def test_deeply_nested_yaml_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    try:
        load_policy(path, REGISTRY)
    except PolicyError as exc:
        assert exc.line == 1
